"""What a typed reference names: an arXiv id, a DOI, or neither.

Every form that takes a link or a DOI asks here, so a paper comes in by one
door whichever box the person pasted it into (papers.services routes it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .arxiv_client import ArxivId, InvalidArxivId, parse_arxiv_id

# Crossref's advice is 10.NNNN+/suffix with almost anything in the suffix.
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIXES = re.compile(
    r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*|doi\s+)",
    re.IGNORECASE,
)
_TRAILING = ".,;:)]}>'\""
DOI_MAX_LENGTH = 200


class InvalidDoi(ValueError):
    """The text is not a DOI; str(error) says what one looks like."""


def normalize_doi(text: str) -> str:
    """The DOI in `text` as we store it: no resolver prefix, lower case (DOIs
    are case-insensitive), no trailing punctuation. Accepts `10.1000/xyz`,
    `doi:10.1000/xyz`, `https://doi.org/10.1000/xyz` (and dx.doi.org), and
    URL-encoded slashes. "" stays "". Raises InvalidDoi."""
    value = (text or "").strip()
    if not value:
        return ""
    value = _DOI_PREFIXES.sub("", value, count=1).strip()
    value = unquote(value).rstrip(_TRAILING).lower()
    if not _DOI.fullmatch(value) or len(value) > DOI_MAX_LENGTH:
        raise InvalidDoi(
            f'"{text.strip()[:80]}" is not a DOI; expected something like 10.1000/xyz123 '
            "or https://doi.org/10.1000/xyz123."
        )
    return value


_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(?P<id>.+)")


def arxiv_id_from_doi(doi: str) -> ArxivId | None:
    """arXiv's own DOIs (10.48550/arXiv.2106.09685) name an arXiv paper."""
    match = _ARXIV_DOI.fullmatch(doi or "")
    if match is None:
        return None
    try:
        return parse_arxiv_id(match.group("id"))
    except InvalidArxivId:
        return None


@dataclass(frozen=True)
class LinkKind:
    """What a pasted link points at. arXiv's own DOIs set both: the arXiv id wins."""

    arxiv_id: ArxivId | None = None
    doi: str = ""


def classify_link(url: str) -> LinkKind:
    """An arxiv.org abs/pdf link is an arXiv id; a doi.org link is a DOI;
    anything else is just a link."""
    value = (url or "").strip()
    if not value:
        return LinkKind()
    host = urlsplit(value if "://" in value else f"https://{value}").hostname or ""
    if host.endswith("arxiv.org"):
        try:
            return LinkKind(arxiv_id=parse_arxiv_id(value))
        except InvalidArxivId:
            return LinkKind()
    if host in ("doi.org", "dx.doi.org"):
        try:
            doi = normalize_doi(value)
        except InvalidDoi:
            return LinkKind()
        return LinkKind(arxiv_id=arxiv_id_from_doi(doi), doi=doi)
    return LinkKind()


def normalize_title(title: str) -> str:
    """A title reduced to its words, for "is it this one?": case, accents kept
    apart from letters, punctuation and spacing do not count."""
    folded = unicodedata.normalize("NFKD", title or "").casefold()
    letters = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", letters))

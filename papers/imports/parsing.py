"""Reading a reference library into entries: what each names (title, authors,
year, DOI, link, arXiv id). bibtexparser reads BibTeX and rispy reads RIS (the
one module that imports either); CSL JSON is plain JSON.

A file that cannot be read whole is refused with the first bad entry named:
nothing of it is imported."""

import json
import re
from dataclasses import dataclass, field

from ..arxiv_client import ArxivId, InvalidArxivId, parse_arxiv_id, split_id_tokens
from ..errors import PaperError
from ..identifiers import InvalidDoi, arxiv_id_from_doi, classify_link, normalize_doi

MAX_BYTES = 2 * 1024 * 1024  # a library of a few thousand entries
MAX_ENTRIES = 200  # one batch of proposals

_ARXIV_IN_TEXT = re.compile(
    r"arxiv[:\s/]*(?:abs/|pdf/)?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)",
    re.IGNORECASE,
)


class ImportRefused(PaperError):
    """The file cannot be imported; str(error) says why and names the first bad entry."""


@dataclass
class Entry:
    label: str  # how the person's file names it: a BibTeX key, an RIS/CSL id, a line
    title: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    doi: str = ""
    url: str = ""
    arxiv_id: ArxivId | None = None


def _year(text) -> int | None:
    match = re.search(r"\b(1[89]\d\d|20\d\d|2100)\b", str(text or ""))
    return int(match[1]) if match else None


def _doi(text: str) -> str:
    try:
        return normalize_doi(text) if text else ""
    except InvalidDoi:
        return ""


def _arxiv(*candidates: str) -> ArxivId | None:
    """The arXiv id an entry names in any of its fields, or None."""
    for text in candidates:
        if not text:
            continue
        link = classify_link(text) if text.startswith("http") else None
        if link is not None and link.arxiv_id is not None:
            return link.arxiv_id
        if (doi := _doi(text)) and (from_doi := arxiv_id_from_doi(doi)):
            return from_doi
        if match := _ARXIV_IN_TEXT.search(text):
            try:
                return parse_arxiv_id(match[1])
            except InvalidArxivId:
                continue
    return None


def _finish(entry: Entry) -> Entry:
    entry.title = " ".join(entry.title.replace("{", "").replace("}", "").split())[:500]
    entry.doi = _doi(entry.doi)
    if entry.arxiv_id is None:
        entry.arxiv_id = _arxiv(entry.url, entry.doi)
    return entry


def _bibtex_names(text: str) -> list[str]:
    """ "Vaswani, Ashish and Shazeer, Noam" -> ["Ashish Vaswani", "Noam Shazeer"]"""
    names = []
    for name in re.split(r"\s+and\s+", text.replace("{", "").replace("}", "")):
        last, _, first = name.partition(",")
        names.append(" ".join(f"{first} {last}".split()) if first else " ".join(name.split()))
    return [name for name in names if name]


def parse_bibtex(text: str) -> list[Entry]:
    import bibtexparser  # noqa: PLC0415 - slow to import; only an import needs it
    from bibtexparser.middlewares import LatexDecodingMiddleware  # noqa: PLC0415 - the same

    # {\'e} -> é, {LoRA} -> LoRA
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    if library.failed_blocks:
        first = min(library.failed_blocks, key=lambda block: block.start_line or 0)
        text_of = (first.raw or "").strip()
        raw = text_of.splitlines()[0][:80] if text_of else ""
        key = re.match(r"@\w+\s*[{(]\s*([^,\s]+)", raw)
        name = f"“{key[1]}”" if key else f"“{raw}”"
        line = (first.start_line or 0) + 1
        raise ImportRefused(
            f"The BibTeX file cannot be read: the entry {name} at line {line} "
            "is broken (an unclosed brace or a missing comma?). Nothing was imported; "
            "fix it and try again."
        )
    entries = []
    for item in library.entries:
        get = {key.lower(): str(value.value) for key, value in item.fields_dict.items()}.get
        arxiv = None
        if (get("archiveprefix") or get("eprinttype") or "").lower() == "arxiv":
            arxiv = _arxiv(f"arXiv:{get('eprint') or ''}")
        entry = Entry(
            label=item.key,
            title=get("title") or "",
            authors=_bibtex_names(get("author") or ""),
            year=_year(get("year") or get("date")),
            doi=get("doi") or "",
            url=get("url") or "",
            arxiv_id=arxiv or _arxiv(get("journal") or "", get("note") or "", get("eprint") or ""),
        )
        entries.append(_finish(entry))
    return entries


def parse_ris(text: str) -> list[Entry]:
    import rispy  # noqa: PLC0415 - only an import needs it

    if not re.search(r"^TY  - ", text, re.MULTILINE):
        raise ImportRefused("That is not an RIS file (no “TY  - ” line). Nothing was imported.")
    try:
        records = rispy.loads(text)
    except Exception as error:  # rispy raises plain errors on a damaged record
        raise ImportRefused(
            f"The RIS file cannot be read: {error}. Nothing was imported."
        ) from error
    entries = []
    for number, record in enumerate(records, start=1):
        title = record.get("title") or record.get("primary_title") or ""
        if not title and not record.get("doi") and not record.get("urls"):
            raise ImportRefused(
                f"The RIS file's record {number} has no title, DOI or link. Nothing was imported."
            )
        urls = record.get("urls") or []
        entry = Entry(
            label=record.get("id") or f"record {number}",
            title=title,
            authors=[
                " ".join(reversed([part.strip() for part in name.split(",", 1)]))
                for name in (record.get("authors") or record.get("first_authors") or [])
            ],
            year=_year(record.get("year") or record.get("publication_year") or record.get("date")),
            doi=record.get("doi") or "",
            url=urls[0] if urls else "",
            arxiv_id=_arxiv(
                *urls, record.get("notes_abstract") or "", record.get("journal_name") or ""
            ),
        )
        entries.append(_finish(entry))
    return entries


def parse_csl_json(text: str) -> list[Entry]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRefused(
            f"The CSL JSON file cannot be read: {error.msg} at line {error.lineno}, "
            f"column {error.colno}. Nothing was imported."
        ) from error
    if isinstance(items, dict):
        items = items.get("items", [items])
    if not isinstance(items, list):
        raise ImportRefused("A CSL JSON file is a list of items. Nothing was imported.")
    entries = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("title", ""), str):
            raise ImportRefused(
                f"The CSL JSON item {number} is not an item with a title. Nothing was imported."
            )
        authors = []
        for person in item.get("author") or []:
            if isinstance(person, dict):
                name = (
                    person.get("literal") or f"{person.get('given', '')} {person.get('family', '')}"
                )
                authors.append(" ".join(str(name).split()))
        issued = item.get("issued") or {}
        parts = issued.get("date-parts") if isinstance(issued, dict) else None
        year = _year(parts[0][0]) if parts and parts[0] else _year(issued)
        entry = Entry(
            label=str(item.get("id") or f"item {number}"),
            title=item.get("title") or "",
            authors=[a for a in authors if a],
            year=year,
            doi=str(item.get("DOI") or ""),
            url=str(item.get("URL") or ""),
            arxiv_id=_arxiv(str(item.get("number") or ""), str(item.get("archive_location") or "")),
        )
        entries.append(_finish(entry))
    return entries


def parse_id_list(text: str) -> list[Entry]:
    """A list of arXiv ids, arXiv links and DOIs, one or more a line."""
    entries = []
    for token in split_id_tokens(text):
        arxiv = _arxiv(token) or _arxiv(f"arXiv:{token}")
        doi = "" if arxiv else _doi(token)
        if arxiv is None and not doi:
            raise ImportRefused(
                f"“{token[:80]}” is neither an arXiv id nor a DOI. Nothing was imported."
            )
        entries.append(
            Entry(
                label=token[:80],
                doi=doi,
                arxiv_id=arxiv,
                url=f"https://doi.org/{doi}" if doi else "",
            )
        )
    return entries


def parse_library(*, name: str, data: bytes) -> list[Entry]:
    """The entries of an uploaded file, by its kind (its name, else its content)."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; an import is at most "
            f"{MAX_BYTES // 1024 // 1024} MB. Split the library and import it in parts."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused("The file is not UTF-8 text. Export it again as UTF-8.") from error
    lowered, start = name.lower(), text.lstrip()[:1]
    if lowered.endswith((".json", ".csljson")) or (start and start in "[{"):
        entries = parse_csl_json(text)
    elif lowered.endswith(".ris") or re.search(r"^TY  - ", text, re.MULTILINE):
        entries = parse_ris(text)
    elif lowered.endswith(".bib") or start == "@":
        entries = parse_bibtex(text)
    else:
        entries = parse_id_list(text)
    if not entries:
        raise ImportRefused("The file holds no entries. Nothing was imported.")
    if len(entries) > MAX_ENTRIES:
        raise ImportRefused(
            f"The file holds {len(entries):,} entries; import at most {MAX_ENTRIES} at once."
        )
    return entries

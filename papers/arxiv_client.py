"""The one client for arXiv: its query API (metadata) and its PDF service.

We make the HTTP calls ourselves with `requests` (arxiv 4.0.2's client has no
timeout and retries every non-200 several times, 400s included) and reuse the
`arxiv` package's Atom parsing to build its `Result` objects.

The client is stateless and fast: no rate limiting, no retries, no sleeping.
The Celery task layer serialises calls, spaces them out and retries the
`ArxivUnavailable` errors; every other `ArxivError` is final.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import requests
from urllib3.exceptions import ReadTimeoutError

from clubs.limits import clip

from .models import Paper

if TYPE_CHECKING:
    import arxiv

log = logging.getLogger(__name__)

USER_AGENT = (
    "PaperClub/0.1 (+https://github.com/paperclub/paperclub; mailto:admin@paperclub.invalid)"
)
"""arXiv asks API clients to identify themselves; deployments may pass their own contact."""

MAX_IDS_PER_REQUEST = 100
"""More ids than this make an unwieldy URL; the task layer batches below it."""

MAX_FEED_BYTES = 10 * 1024 * 1024
"""A feed of 100 entries is well under 1 MB; anything far larger is not arXiv talking."""

_CHUNK_BYTES = 64 * 1024
_ABS_URL = "https://arxiv.org/abs/"
_PDF_URL = "https://arxiv.org/pdf/"

_ATOM_NS = "http://www.w3.org/2005/Atom"
_FEED_NS = {
    "atom": _ATOM_NS,
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


# --- Identifiers -------------------------------------------------------------------------------

_NEW_STYLE = re.compile(r"(?P<yymm>\d{4})\.(?P<number>\d{4,5})(?:v(?P<version>[1-9]\d*))?")
_OLD_STYLE = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[A-Z]{2})?/(?P<yymm>\d{4})\d{3}(?:v(?P<version>[1-9]\d*))?"
)
_ARXIV_PREFIX = re.compile(r"arxiv:", re.IGNORECASE)
_ARXIV_URL = re.compile(
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>.+?)(?:\.pdf)?",
    re.IGNORECASE,
)
_TOKEN_SEPARATORS = re.compile(r"[\s,]+")
_EXAMPLES = "expected something like 2106.09685, 2106.09685v2 or hep-th/9901001"


@dataclass(frozen=True)
class ArxivId:
    """An arXiv identifier split into the base id (unique per paper) and an optional version."""

    base: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        """The id as arXiv spells it: the base id, plus `vN` when a version was given."""
        return self.base if self.version is None else f"{self.base}v{self.version}"

    def __str__(self) -> str:
        return self.versioned

    @property
    def abs_url(self) -> str:
        """The paper's page on arXiv (this version, or the latest)."""
        return f"{_ABS_URL}{self.versioned}"

    @property
    def pdf_url(self) -> str:
        return f"{_PDF_URL}{self.versioned}"


class InvalidArxivId(ValueError):
    """The text given is not an arXiv identifier."""

    def __init__(self, token: str, reason: str = _EXAMPLES) -> None:
        self.token = token
        self.reason = reason
        shown = token if len(token) <= 80 else f"{token[:77]}..."
        super().__init__(f'"{shown}" is not an arXiv id; {reason}.')

    def __reduce__(self) -> tuple[type[InvalidArxivId], tuple[str, str]]:
        return (self.__class__, (self.token, self.reason))


def parse_arxiv_id(token: str) -> ArxivId:
    """Parse one user-typed arXiv reference into an `ArxivId`, or raise `InvalidArxivId`.

    Accepts `2106.09685`, `2106.09685v2`, `hep-th/9901001(v1)`, `math.GT/0309136`, an
    `arXiv:` prefix in any case, `arxiv.org/abs/…`, `/pdf/…` and `/pdf/….pdf` URLs (with or
    without `www.`/`export.`, a query string or a trailing slash) and PDF file names.
    Besides the shape, it checks what arXiv's scheme implies: YYMM has a real month, new-style
    ids start in 0704, and have 4 digits after the dot before 1501 and 5 from then on.

    Old-style ids lose their subject class (`math.GT/0309136` becomes `math/0309136`),
    because that is how arXiv names the paper in its answers.
    """
    text = token.strip()
    url = _ARXIV_URL.fullmatch(text.split("?", 1)[0].split("#", 1)[0].rstrip("/"))
    if url:
        text = url.group("id")
    elif _ARXIV_PREFIX.match(text):
        text = text[len("arxiv:") :]
    text = text.strip().rstrip("/")
    if text[-4:].lower() == ".pdf":  # a pasted file name, 2106.09685v2.pdf
        text = text[:-4]

    if match := _NEW_STYLE.fullmatch(text):
        _check_month(token, match.group("yymm"))
        yymm, number = match.group("yymm"), match.group("number")
        if yymm < "0704":
            raise InvalidArxivId(token, "ids like YYMM.NNNNN start in April 2007 (0704)")
        if yymm < "1501" and len(number) != 4:
            raise InvalidArxivId(token, "ids from before 2015 have 4 digits after the dot")
        if yymm >= "1501" and len(number) != 5:
            raise InvalidArxivId(token, "ids from 2015 on have 5 digits after the dot")
        return ArxivId(f"{yymm}.{number}", _version(match))

    if match := _OLD_STYLE.fullmatch(text):
        _check_month(token, match.group("yymm"))
        number = text.split("/", 1)[1][:7]
        return ArxivId(f"{match.group('archive')}/{number}", _version(match))

    raise InvalidArxivId(token)


def _check_month(token: str, yymm: str) -> None:
    month = int(yymm[2:])
    if not 1 <= month <= 12:
        raise InvalidArxivId(token, f"{yymm[2:]} is not a month (the id starts with YYMM)")


def _version(match: re.Match[str]) -> int | None:
    version = match.group("version")
    return int(version) if version else None


def split_id_tokens(text: str) -> list[str]:
    """Split a textarea of ids (newlines, commas, spaces) into tokens, in order, without repeats."""
    tokens = (token for token in _TOKEN_SEPARATORS.split(text) if token)
    return list(dict.fromkeys(tokens))


# --- Metadata ----------------------------------------------------------------------------------

_CODE_LINK = re.compile(
    r"(?<![\w@./-])(?:https?://)?(?:www\.)?"
    r"(?P<host>github\.com|gitlab\.com|huggingface\.co|hf\.co|bitbucket\.org)"
    r"(?P<path>/[^\s<>\"'{}|\\^`\[\]]*)",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\"/*"


def extract_code_links(*texts: str) -> list[str]:
    """GitHub, GitLab, Hugging Face and Bitbucket URLs in the texts, as https, in order, once each.

    Scheme-less mentions (`github.com/org/repo`) count too; trailing punctuation and slashes
    are dropped, and a bare host without a path is not a link to code.
    """
    links: dict[str, str] = {}
    for text in texts:
        for match in _CODE_LINK.finditer(text):
            path = match.group("path").rstrip(_TRAILING_PUNCTUATION)
            if len(path) < 2:
                continue
            url = f"https://{match.group('host').lower()}{path}"
            links.setdefault(url.lower(), url)
    return list(links.values())


def _collapse(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


@dataclass
class ArxivPaper:
    """One paper's metadata as arXiv describes it, tidied for display."""

    base_id: str
    version: int | None
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    primary_category: str
    published: datetime
    updated: datetime
    abs_url: str
    pdf_url: str
    doi: str = ""
    comment: str = ""
    journal_ref: str = ""
    code_links: list[str] = field(default_factory=list)

    @property
    def arxiv_id(self) -> ArxivId:
        return ArxivId(self.base_id, self.version)


@dataclass
class FetchResult:
    """The answer to one `id_list` request."""

    papers: dict[str, ArxivPaper]
    """The papers arXiv returned, keyed by base id, in the order they were asked for."""
    missing: list[str]
    """Base ids that were asked for and not returned (no such paper, or withdrawn from the API)."""
    total_results: int | None
    """`opensearch:totalResults` as arXiv sent it."""


# --- Errors ------------------------------------------------------------------------------------


class ArxivError(Exception):
    """arXiv could not give us what we asked for. Subclasses say whether to retry."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ArxivUnavailable(ArxivError):
    """A transient failure: network error, timeout, HTTP 408/429/5xx or an unreadable answer."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        """Seconds arXiv asked us to wait (its Retry-After header), if it said."""


class ArxivRejected(ArxivError):
    """arXiv refused the request (HTTP 400 or an error entry): sending it again won't help."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class PdfNotFound(ArxivError):
    """arXiv has no PDF for this id (HTTP 404)."""


class PdfTooLarge(ArxivError):
    """The PDF is larger than we are willing to download."""

    def __init__(self, message: str, *, max_bytes: int = 0, size: int | None = None) -> None:
        super().__init__(message)
        self.max_bytes = max_bytes
        self.size = size
        """The size arXiv announced, or None when it announced none and we stopped reading."""


# --- HTTP --------------------------------------------------------------------------------------


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header: delta-seconds or an HTTP date. Never negative."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _is_transient(status: int) -> bool:
    return status in (408, 425, 429) or 500 <= status <= 599


def _unavailable_for(response: requests.Response) -> ArxivUnavailable:
    status = response.status_code
    retry_after = response.headers.get("Retry-After")
    log.warning(
        "arXiv answered HTTP %d (Retry-After: %s) to GET %s", status, retry_after, response.url
    )
    if status in (429, 503):
        message = f"arXiv is busy (HTTP {status})"
    elif status == 408:
        message = "arXiv did not answer in time (HTTP 408)"
    else:
        message = f"arXiv is having trouble (HTTP {status})"
    return ArxivUnavailable(
        message,
        status=status,
        retry_after=_retry_after_seconds(retry_after),
    )


@dataclass
class _Exchange:
    """A streamed GET whose errors all become `ArxivError`s."""

    url: str
    timeout: float
    user_agent: str
    accept: str
    deadline: float = 0.0

    def open(self) -> requests.Response:
        self.deadline = time.monotonic() + self.timeout
        try:
            return requests.get(
                self.url,
                headers={"User-Agent": self.user_agent, "Accept": self.accept},
                timeout=(self.timeout, self.timeout),
                stream=True,
                allow_redirects=True,
            )
        except requests.Timeout as exc:
            raise self.unavailable("arXiv did not answer in time", exc) from exc
        except requests.RequestException as exc:
            raise self.unavailable("arXiv could not be reached", exc) from exc

    def chunks(self, response: requests.Response) -> Iterator[bytes]:
        """Yield the body. `timeout` bounds each read and, checked between chunks, the whole
        exchange; a server trickling bytes inside one chunk is left to the task's time limit.
        """
        try:
            for chunk in response.iter_content(_CHUNK_BYTES):
                yield chunk
                if time.monotonic() > self.deadline:
                    raise self.unavailable("arXiv did not answer in time")
        except requests.Timeout as exc:
            raise self.unavailable("arXiv did not answer in time", exc) from exc
        except requests.RequestException as exc:
            # requests reports a read timeout in the middle of a body as a ConnectionError.
            if any(isinstance(arg, ReadTimeoutError) for arg in exc.args):
                raise self.unavailable("arXiv did not answer in time", exc) from exc
            raise self.unavailable("arXiv broke off the answer", exc) from exc

    def unavailable(self, message: str, error: Exception | None = None) -> ArxivUnavailable:
        log.warning("%s: GET %s (%r)", message, self.url, error)
        return ArxivUnavailable(message)

    def read(self, response: requests.Response, *, max_bytes: int) -> bytes | None:
        """The whole body, or None when it is longer than `max_bytes`."""
        body = bytearray()
        for chunk in self.chunks(response):
            body += chunk
            if len(body) > max_bytes:
                return None
        return bytes(body)


# --- Metadata API ------------------------------------------------------------------------------


def fetch_papers(
    ids: list[ArxivId],
    *,
    api_url: str,
    timeout: float = 15.0,
    user_agent: str = USER_AGENT,
) -> FetchResult:
    """Fetch the metadata of `ids` with ONE `id_list` request to arXiv's query API.

    Ids with a version ask for that version; the others get arXiv's latest. Ids are de-duplicated
    by base id (the first one wins). Raises `ArxivUnavailable` (retry later), `ArxivRejected`
    (arXiv refused the ids) or `ArxivError` (anything else, final).
    """
    wanted: dict[str, ArxivId] = {}
    for arxiv_id in ids:
        wanted.setdefault(arxiv_id.base, arxiv_id)
    if not wanted:
        return FetchResult(papers={}, missing=[], total_results=None)
    if len(wanted) > MAX_IDS_PER_REQUEST:
        raise ValueError(f"Ask arXiv for at most {MAX_IDS_PER_REQUEST} ids at a time.")

    query = urlencode(
        {
            "id_list": ",".join(arxiv_id.versioned for arxiv_id in wanted.values()),
            "max_results": str(len(wanted)),
        },
        safe=",/",
    )
    body = _get_feed(f"{api_url}?{query}", timeout=timeout, user_agent=user_agent)
    return _fetch_result(body, wanted)


def _get_feed(url: str, *, timeout: float, user_agent: str) -> bytes:
    """GET one page of arXiv's query API: the body of a 200, or the `ArxivError` it means."""
    exchange = _Exchange(url, timeout, user_agent, "application/atom+xml, application/xml")
    with exchange.open() as response:
        status = response.status_code
        if status == 200:
            body = exchange.read(response, max_bytes=MAX_FEED_BYTES)
            if body is None:
                raise ArxivUnavailable("arXiv sent an answer far larger than a feed")
            return body
        if status == 400:
            body = exchange.read(response, max_bytes=MAX_FEED_BYTES)
            message = _error_message(body) if body else None
            log.warning("arXiv rejected GET %s: %s", exchange.url, message)
            raise ArxivRejected(message or "arXiv rejected the request (HTTP 400)")
        if _is_transient(status):
            raise _unavailable_for(response)
        log.warning("arXiv answered HTTP %d to GET %s", status, exchange.url)
        raise ArxivError(f"arXiv answered HTTP {status}")


MAX_SEARCH_RESULTS = 200
"""The most entries one `search_query` page asks for (a watch needs far fewer)."""


@dataclass
class SearchResult:
    """The answer to one `search_query` request: a page of papers, newest first as asked."""

    papers: list[ArxivPaper]
    total_results: int
    """How many papers match the query in all (`opensearch:totalResults`), beyond this page."""


def search_papers(
    search_query: str,
    *,
    api_url: str,
    max_results: int,
    timeout: float = 15.0,
    user_agent: str = USER_AGENT,
) -> SearchResult:
    """ONE `search_query` request, newest submissions first (sortBy=submittedDate,
    sortOrder=descending), for at most `max_results` papers.

    Raises `ArxivUnavailable` (retry later: HTTP 408/429/5xx, a timeout, a body that is not
    a feed, or one that is empty without saying it matched nothing), `ArxivRejected` (arXiv
    refused the query) or `ArxivError` (anything else, final).
    """
    if not 1 <= max_results <= MAX_SEARCH_RESULTS:
        raise ValueError(f"Ask arXiv for 1 to {MAX_SEARCH_RESULTS} papers at a time.")
    query = urlencode(
        {
            "search_query": search_query,
            "sortBy": "submittedDate",
            "sortOrder": "descending",
            "start": "0",
            "max_results": str(max_results),
        }
    )
    body = _get_feed(f"{api_url}?{query}", timeout=timeout, user_agent=user_agent)
    root = _parse_xml(body)
    if root is None:
        log.warning("arXiv sent an answer that is not XML: %r", body[:200])
        raise ArxivUnavailable("arXiv sent an answer we could not read")
    total = _total_results(root)
    entries = root.findall("atom:entry", _FEED_NS)
    if total is None:
        raise ArxivUnavailable("arXiv sent a feed without its number of results")
    papers: dict[str, ArxivPaper] = {}
    for paper in _papers_of(entries):
        papers.setdefault(paper.base_id, paper)
    # arXiv sometimes answers a page with no entries under load: only "0 results" is nothing.
    if not entries and total != 0:
        log.warning("arXiv sent no entries for %r (totalResults %s)", search_query, total)
        raise ArxivUnavailable("arXiv sent an empty answer")
    return SearchResult(papers=list(papers.values()), total_results=total)


def _papers_of(entries: list[Any]) -> Iterator[ArxivPaper]:
    """The papers of a feed's entries, raising `ArxivRejected` on arXiv's error entry."""
    from arxiv import _feed  # noqa: PLC0415 - slow library imported where used (arxiv: ~0.8 s)

    for entry in entries:
        if _is_error_entry(entry):
            summary = _collapse(entry.findtext("atom:summary", namespaces=_FEED_NS))
            log.warning("arXiv answered with an error entry: %s", summary)
            raise ArxivRejected(summary or "arXiv rejected the request", status=200)
        result = _feed._build_result(entry)
        if result is None:
            continue  # arxiv logged why (no id or no dates)
        paper = _paper_from_result(result)
        if paper is not None:
            yield paper


def _parse_xml(body: bytes) -> Any | None:
    """The root element of an Atom feed, or None when the body is not one."""
    from lxml import etree  # noqa: PLC0415 - slow library imported where used (lxml: ~0.25 s); arxiv's own parser dependency

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or root.tag != f"{{{_ATOM_NS}}}feed":
        return None
    return root


def _is_error_entry(entry: Any) -> bool:
    entry_id = entry.findtext("atom:id", default="", namespaces=_FEED_NS)
    return "arxiv.org/api/errors" in entry_id


def _error_message(body: bytes) -> str | None:
    """The `<summary>` of the first error entry in arXiv's error feed, if there is one."""
    root = _parse_xml(body)
    if root is None:
        return None
    for entry in root.iterfind("atom:entry", _FEED_NS):
        if _is_error_entry(entry):
            return _collapse(entry.findtext("atom:summary", namespaces=_FEED_NS)) or None
    return None


def _total_results(root: Any) -> int | None:
    text = root.findtext("opensearch:totalResults", namespaces=_FEED_NS)
    try:
        return int(text.strip()) if text else None
    except ValueError:
        return None


def _fetch_result(body: bytes, wanted: dict[str, ArxivId]) -> FetchResult:
    # The entry -> Result construction is arxiv's own (its parse() would also skip the error
    # entry silently and read a non-feed page as "0 results", so we walk the document ourselves).
    root = _parse_xml(body)
    if root is None:
        log.warning("arXiv sent an answer that is not XML: %r", body[:200])
        raise ArxivUnavailable("arXiv sent an answer we could not read")
    total_results = _total_results(root)

    found: dict[str, ArxivPaper] = {}
    entries = root.findall("atom:entry", _FEED_NS)
    for paper in _papers_of(entries):
        if paper.base_id not in wanted:
            log.warning("Ignoring an arXiv entry we did not ask for: %s", paper.arxiv_id)
            continue
        found.setdefault(paper.base_id, paper)

    # An empty answer is only "no such paper" when arXiv says so; otherwise it's a hiccup.
    if not entries and total_results != 0:
        log.warning(
            "arXiv sent no entries for %s (totalResults %s)", ",".join(wanted), total_results
        )
        raise ArxivUnavailable("arXiv sent an empty answer")

    papers = {base: found[base] for base in wanted if base in found}
    missing = [base for base in wanted if base not in found]
    return FetchResult(papers=papers, missing=missing, total_results=total_results)


def _paper_from_result(result: arxiv.Result) -> ArxivPaper | None:
    short_id = result.get_short_id()
    try:
        arxiv_id = parse_arxiv_id(short_id)
    except InvalidArxivId:
        return None
    # Cut to the columns' limits (papers.models.Paper); arXiv's own stay far below them.
    comment = clip(_collapse(result.comment), Paper.COMMENT_MAX)
    abstract = clip(_collapse(result.summary), Paper.ABSTRACT_MAX)
    categories = list(result.categories)
    return ArxivPaper(
        base_id=arxiv_id.base,
        version=arxiv_id.version,
        title=clip(_collapse(result.title), Paper.TITLE_MAX),
        authors=[name for author in result.authors if (name := _collapse(author.name))],
        abstract=abstract,
        categories=categories,
        primary_category=result.primary_category or (categories[0] if categories else ""),
        published=result.published,
        updated=result.updated,
        abs_url=arxiv_id.abs_url,
        pdf_url=arxiv_id.pdf_url,
        doi=(result.doi or "").strip(),
        comment=comment,
        journal_ref=clip(_collapse(result.journal_ref), Paper.JOURNAL_REF_MAX),
        code_links=extract_code_links(abstract, comment),
    )


# --- PDFs --------------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    """1.5 MB, 30 MB: rounded up to a tenth so that "over the limit" never reads as equal."""
    tenths = math.ceil(size * 10 / (1024 * 1024))
    return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def download_pdf(
    arxiv_id: ArxivId,
    *,
    pdf_url: str,
    max_bytes: int,
    timeout: float = 30.0,
    user_agent: str = USER_AGENT,
) -> bytes:
    """Download the PDF of `arxiv_id` (that version, or arXiv's latest) without holding more
    than `max_bytes` in memory.

    Raises `PdfTooLarge`, `PdfNotFound`, `ArxivUnavailable` (retry later) or `ArxivError`.
    """
    name = arxiv_id.versioned
    exchange = _Exchange(f"{pdf_url.rstrip('/')}/{name}", timeout, user_agent, "application/pdf")
    with exchange.open() as response:
        status = response.status_code
        if status in (404, 410):
            raise PdfNotFound(f"arXiv has no PDF for {name}")
        if _is_transient(status):
            raise _unavailable_for(response)
        if status != 200:
            log.warning("arXiv answered HTTP %d to GET %s", status, exchange.url)
            raise ArxivError(f"arXiv answered HTTP {status} for the PDF of {name}")

        limit = _megabytes(max_bytes)
        announced = _content_length(response)
        if announced is not None and announced > max_bytes:
            raise PdfTooLarge(
                f"The PDF of {name} is {_megabytes(announced)} MB; the limit is {limit} MB",
                max_bytes=max_bytes,
                size=announced,
            )
        data = exchange.read(response, max_bytes=max_bytes)
        if data is None:
            raise PdfTooLarge(
                f"The PDF of {name} is larger than the {limit} MB limit",
                max_bytes=max_bytes,
                size=None,
            )

    if b"%PDF-" not in data[:1024]:
        content_type = response.headers.get("Content-Type", "unknown type")
        log.warning("arXiv sent %s, not a PDF, to GET %s", content_type, exchange.url)
        raise ArxivError(f"arXiv sent something that is not a PDF for {name} ({content_type})")
    return data


def _content_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None

"""A local stand-in for arXiv: its query API at /api/query and its PDFs at /pdf/<id>.

A `FakeArxiv` is a real HTTP server on 127.0.0.1 (an ephemeral port, a daemon thread), so the
code under test, or a Celery worker, talks HTTP to it exactly as it would to arXiv. A test
can:

- queue canned responses (status, body, headers, delay) for a path, optionally only for
  requests whose query parameters match; each queued response is used once, in order;
- fill a catalogue (base id -> Atom `<entry>`) that answers `id_list` queries with a feed
  of the entries it has, so a batch with an unknown id returns only the others, and
  `search_query` queries (the terms the arXiv watch sends: cat:, au:, all:, ti:, abs: and
  submittedDate:[... TO ...] joined by AND) with the matching entries, newest submitted first,
  `max_results` of them and the number of all matches in `opensearch:totalResults`;
- add PDFs served at /pdf/<id> and /pdf/<id>v<N>;
- read back every request (path, query parameters, headers).

Without a queued response, /api/query answers from the catalogue, /pdf/... from the PDFs,
and anything else (or an unknown PDF) is a 404.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape, quoteattr, unescape

ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
_WRITE_CHUNK = 64 * 1024


@dataclass
class FakeResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (cut short when the server stops)."""
    body_delay: float = 0.0
    """Seconds to wait between sending the headers and the body: a stalled transfer."""
    content_length: bool = True
    """Send a Content-Length header; without one the body ends when the connection closes."""
    query: dict[str, str] | None = None
    """Answer only requests whose query parameters include these (exact values)."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Header names in lower case."""
    received_at: float = 0.0
    """time.monotonic() when the request arrived: the spacing arXiv sees."""

    @property
    def params(self) -> dict[str, str]:
        """Query parameters with their last value, for exact comparisons."""
        return {name: values[-1] for name, values in self.query.items()}

    @property
    def id_list(self) -> list[str]:
        value = self.params.get("id_list", "")
        return value.split(",") if value else []


class FakeArxiv:
    """Use as a context manager (or via the `fake_arxiv` fixture); it stops on exit."""

    def __init__(self) -> None:
        self.catalogue: dict[str, str] = {}
        """Base id (e.g. "2106.09685", "hep-th/9901001") -> its Atom <entry> element as text."""
        self.pdfs: dict[str, bytes] = {}
        """Id as requested after /pdf/ ("2106.09685" or "2106.09685v2") -> PDF bytes."""
        self.requests: list[RecordedRequest] = []
        self._queued: dict[str, list[FakeResponse]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeArxiv:
        """Serve on 127.0.0.1:`port` (0: any free port)."""
        self._stopping.clear()
        server = _Server(("127.0.0.1", port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers that are sleeping through a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeArxiv:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeArxiv is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What settings.ARXIV_API_URL should be."""
        return f"{self.base_url}/api/query"

    @property
    def pdf_url(self) -> str:
        """What settings.ARXIV_PDF_URL should be."""
        return f"{self.base_url}/pdf"

    # --- arranging ---------------------------------------------------------------------------

    def queue(
        self,
        path: str = "/api/query",
        *,
        status: int = 200,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        body_delay: float = 0.0,
        content_length: bool = True,
        query: dict[str, str] | None = None,
    ) -> None:
        """Answer the next request to `path` (matching `query`, if given) with this response."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = dict(headers or {})
        if path.startswith("/api/") and body:
            headers.setdefault("Content-Type", ATOM_CONTENT_TYPE)
        response = FakeResponse(status, body, headers, delay, body_delay, content_length, query)
        with self._lock:
            self._queued.setdefault(path, []).append(response)

    def add_entry(self, base_id: str, entry: str) -> None:
        self.catalogue[base_id] = entry

    def add_feed_entries(self, feed: bytes | str) -> None:
        """Put every <entry> of an Atom feed (in arXiv's layout) into the catalogue."""
        self.catalogue.update(entries_from_feed(feed))

    def add_pdf(self, arxiv_id: str, data: bytes) -> None:
        self.pdfs[arxiv_id] = data

    @property
    def pending(self) -> int:
        """How many queued responses no request has used yet."""
        with self._lock:
            return sum(len(responses) for responses in self._queued.values())

    # --- serving -----------------------------------------------------------------------------

    def _take_queued(self, path: str, params: dict[str, str]) -> FakeResponse | None:
        with self._lock:
            responses = self._queued.get(path, [])
            for index, response in enumerate(responses):
                if response.query is None or all(
                    params.get(name) == value for name, value in response.query.items()
                ):
                    return responses.pop(index)
        return None

    def _respond(self, path: str, params: dict[str, str]) -> FakeResponse:
        queued = self._take_queued(path, params)
        if queued is not None:
            return queued
        if path == "/api/query" and params.get("search_query") and not params.get("id_list"):
            body = search_feed(self.catalogue, params)
            return FakeResponse(200, body, {"Content-Type": ATOM_CONTENT_TYPE})
        if path == "/api/query":
            ids = [token for token in params.get("id_list", "").split(",") if token]
            body = catalogue_feed(self.catalogue, ids)
            return FakeResponse(200, body, {"Content-Type": ATOM_CONTENT_TYPE})
        if path.startswith("/pdf/"):
            name = unquote(path[len("/pdf/") :]).removesuffix(".pdf")
            data = self.pdfs.get(name)
            if data is None:
                data = self.pdfs.get(_without_version(name))
            if data is not None:
                return FakeResponse(200, data, {"Content-Type": "application/pdf"})
        return FakeResponse(404, b"Not Found", {"Content-Type": "text/plain"})

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeArxiv

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up early (a timeout, a size cap) is expected here, not an error.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: bodies may end at close

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        request = RecordedRequest(
            method="GET",
            path=parts.path,
            query=query,
            headers={name.lower(): value for name, value in self.headers.items()},
            received_at=time.monotonic(),
        )
        fake._record(request)
        response = fake._respond(parts.path, request.params)

        if response.delay and fake._stopping.wait(response.delay):
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.content_length and "Content-Length" not in response.headers:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        try:
            if response.body_delay:
                self.wfile.flush()
                if fake._stopping.wait(response.body_delay):
                    return
            for start in range(0, len(response.body), _WRITE_CHUNK):
                self.wfile.write(response.body[start : start + _WRITE_CHUNK])
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


# --- building feeds ------------------------------------------------------------------------------

_FEED_HEAD = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" \
xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/fake</id>
  <title>arXiv Query: search_query=&amp;id_list={id_list}&amp;start=0&amp;\
max_results={max_results}</title>
  <updated>{updated}</updated>
  <link href="https://arxiv.org/api/query?search_query=&amp;start=0&amp;\
max_results={max_results}&amp;id_list={id_list}" type="application/atom+xml"/>
  <opensearch:itemsPerPage>{max_results}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
"""
_ENTRY = re.compile(r"<entry>.*?</entry>", re.DOTALL)
_ENTRY_ID = re.compile(r"<id>https?://arxiv\.org/abs/(?P<id>.+?)</id>")
_VERSION_SUFFIX = re.compile(r"v\d+$")


def _without_version(arxiv_id: str) -> str:
    return _VERSION_SUFFIX.sub("", arxiv_id)


def atom_feed(
    entries: list[str],
    *,
    id_list: str = "",
    max_results: int | None = None,
    total: int | None = None,
) -> bytes:
    """An arXiv API feed (current layout) holding `entries`; `total` is its
    `opensearch:totalResults` (all matches, beyond this page), by default len(entries)."""
    head = _FEED_HEAD.format(
        id_list=escape(id_list),
        max_results=max_results if max_results is not None else max(len(entries), 10),
        updated=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        total=len(entries) if total is None else total,
    )
    body = "".join(f"  {entry.strip()}\n" for entry in entries)
    return (head + body + "</feed>\n").encode("utf-8")


def catalogue_feed(catalogue: dict[str, str], ids: list[str]) -> bytes:
    """The feed arXiv would send for `id_list=ids`: the entries it knows, in the asked order."""
    entries = []
    for arxiv_id in ids:
        entry = catalogue.get(arxiv_id) or catalogue.get(_without_version(arxiv_id))
        if entry is not None and entry not in entries:
            entries.append(entry)
    return atom_feed(entries, id_list=",".join(ids), max_results=len(ids) or 10)


_TERM = re.compile(r'(?P<field>\w+):(?:"(?P<phrase>[^"]*)"|\[(?P<range>[^\]]*)\]|(?P<word>\S+))')
_TAG_TEXT = {
    name: re.compile(rf"<{name}>(.*?)</{name}>", re.DOTALL)
    for name in ("title", "summary", "published", "name")
}
_CATEGORY = re.compile(r'<category term="([^"]+)"')


def _entry_facts(entry: str) -> dict:
    def text(name: str) -> str:
        match = _TAG_TEXT[name].search(entry)
        return unescape(match.group(1)) if match else ""

    return {
        "cat": _CATEGORY.findall(entry),
        "au": [unescape(name) for name in _TAG_TEXT["name"].findall(entry)],
        "ti": text("title"),
        "abs": text("summary"),
        "published": datetime.fromisoformat(text("published").replace("Z", "+00:00")),
    }


def _matches(facts: dict, field: str, value: str) -> bool:
    value = value.lower()
    if field == "cat":
        return value in (c.lower() for c in facts["cat"])
    if field == "au":
        return any(value in name.lower() for name in facts["au"])
    if field == "submittedDate":
        low, _, high = value.partition(" to ")
        moment = facts["published"].strftime("%Y%m%d%H%M")
        return low.strip() <= moment <= high.strip()
    texts = {"ti": [facts["ti"]], "abs": [facts["abs"]]}.get(field, [facts["ti"], facts["abs"]])
    return any(value in " ".join(t.lower().split()) for t in texts)


def search_feed(catalogue: dict[str, str], params: dict[str, str]) -> bytes:
    """The feed arXiv would send for a `search_query` of terms joined by AND:
    the matching entries, newest submitted first, a page of max_results."""
    terms = [
        (m.group("field"), m.group("phrase") or m.group("range") or m.group("word") or "")
        for m in _TERM.finditer(params["search_query"])
    ]
    found = []
    for entry in catalogue.values():
        facts = _entry_facts(entry)
        if all(_matches(facts, field, value) for field, value in terms):
            found.append((facts["published"], entry))
    found.sort(key=lambda pair: pair[0], reverse=params.get("sortOrder") != "ascending")
    start = int(params.get("start") or 0)
    size = int(params.get("max_results") or 10)
    page = [entry for _, entry in found[start : start + size]]
    return atom_feed(page, max_results=size, total=len(found))


def entries_from_feed(feed: bytes | str) -> dict[str, str]:
    """Base id -> <entry> text for every entry of a feed in arXiv's layout."""
    text = feed.decode("utf-8") if isinstance(feed, bytes) else feed
    entries = {}
    for entry in _ENTRY.findall(text):
        match = _ENTRY_ID.search(entry)
        if match:
            entries[_without_version(match.group("id"))] = entry
    return entries


def atom_entry(
    arxiv_id: str,
    *,
    title: str = "A Paper",
    authors: tuple[str, ...] | list[str] = ("Ada Lovelace",),
    summary: str = "An abstract.",
    categories: tuple[str, ...] | list[str] = ("cs.LG",),
    published: str = "2021-06-17T17:37:18Z",
    updated: str | None = None,
    comment: str | None = None,
    journal_ref: str | None = None,
    doi: str | None = None,
) -> str:
    """An <entry> in arXiv's current layout. `arxiv_id` carries the version: "2106.09685v2"."""
    parts = [
        "<entry>",
        f"<id>http://arxiv.org/abs/{escape(arxiv_id)}</id>",
        f"<title>{escape(title)}</title>",
        f"<updated>{updated or published}</updated>",
        f'<link href="https://arxiv.org/abs/{escape(arxiv_id)}" rel="alternate" type="text/html"/>',
        f'<link href="https://arxiv.org/pdf/{escape(arxiv_id)}" rel="related" '
        'type="application/pdf" title="pdf"/>',
        f"<summary>{escape(summary)}</summary>",
        *(
            f'<category term={quoteattr(term)} scheme="http://arxiv.org/schemas/atom"/>'
            for term in categories
        ),
        f"<published>{published}</published>",
    ]
    if comment is not None:
        parts.append(f"<arxiv:comment>{escape(comment)}</arxiv:comment>")
    if categories:
        parts.append(f"<arxiv:primary_category term={quoteattr(categories[0])}/>")
    if journal_ref is not None:
        parts.append(f"<arxiv:journal_ref>{escape(journal_ref)}</arxiv:journal_ref>")
    parts.extend(f"<author><name>{escape(name)}</name></author>" for name in authors)
    if doi is not None:
        parts.append(f"<arxiv:doi>{escape(doi)}</arxiv:doi>")
    parts.append("</entry>")
    return "\n    ".join(parts)


def error_feed(message: str) -> bytes:
    """arXiv's answer to a malformed request (sent with HTTP 400): one entry titled "Error"."""
    anchor = escape(re.sub(r"\W+", "_", message))
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" \
xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/</id>
  <title>arXiv Search Results</title>
  <updated>2026-01-01T00:00:00Z</updated>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>https://arxiv.org/api/errors#{anchor}</id>
    <title>Error</title>
    <updated>2026-01-01T00:00:00Z</updated>
    <link href="https://arxiv.org/api/errors#{anchor}" rel="alternate" type="text/html"/>
    <summary>{escape(message)}</summary>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
""".encode()

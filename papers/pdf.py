"""Reading untrusted PDFs with pypdf: page count, metadata, the first pages' text, a title guess.

Every failure becomes `PdfUnreadable` with a message a person can act on. pypdf runs under
explicit resource limits and never calls an external program (jbig2dec). Even so, parse in a
worker with a soft time limit, never in the request.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import dataclass
from io import BytesIO
from typing import IO, TYPE_CHECKING, Any

# Celery's soft time limit is an ordinary Exception raised wherever the worker happens to be:
# every catch-all here lets it through, or a slow hostile PDF runs on to the hard kill.
from celery.exceptions import SoftTimeLimitExceeded

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 2000
DEFAULT_TEXT_PAGES = 6
MAX_TEXT_CHARS = 200_000
"""Cap on `PdfInfo.first_pages_text` (six dense pages are ~30k characters)."""
PAGE_SEPARATOR = "\n\f\n"
MAX_TITLE_CHARS = 300
MAX_METADATA_CHARS = 500

_MIB = 1024 * 1024
_MAGIC = b"%PDF-"
_MAGIC_WINDOW = 1024
_READ_CHUNK = 256 * 1024


def _pypdf_limits(max_pages: int) -> dict[str, Any]:
    """pypdf 7.1 `Configuration` overrides: tighter than its defaults, generous for real papers.

    A decompression that would pass these limits raises `LimitReachedError` instead of filling
    memory; byte-by-byte recovery of damaged zlib data is slow in Python, so it gets little input.
    """
    output = 32 * _MIB
    return {
        "maximum_declared_stream_length": 64 * _MIB,
        "array_based_stream_maximum_output_length": output,
        "zlib_maximum_output_length": output,
        "zlib_maximum_recovery_input_length": 1 * _MIB,
        "lzw_maximum_output_length": output,
        "run_length_maximum_output_length": output,
        "brotli_maximum_output_length": output,
        "jbig2_maximum_output_length": output,
        "image_maximum_buffer_size": output,
        "stream_decoding_work_maximum_length": 128 * _MIB,
        "stream_parsing_work_maximum_count": 2_000_000,
        "stream_filters_maximum_length": 8,
        "array_maximum_element_count": 100_000,
        "dictionary_maximum_element_count": 100_000,
        "xmp_maximum_input_length": 1 * _MIB,
        "xmp_maximum_element_count": 10_000,
        "page_tree_maximum_depth": 64,
        "page_tree_maximum_entries": max(10 * max_pages, 10_000),
        "page_tree_maximum_page_entries": max(100 * max_pages, 100_000),
        "xform_maximum_invocations_per_extraction": 1_000,
        "jbig2dec_binary": None,
    }


@dataclass(frozen=True)
class PdfInfo:
    """What we learn from a PDF. Empty strings mean "unknown", never "blank"."""

    page_count: int
    title: str
    """The document metadata's title, tidied; "" when there is none."""
    author: str
    """The document metadata's author, tidied; "" when there is none."""
    first_pages_text: str
    """The text of the first pages, joined with PAGE_SEPARATOR, at most MAX_TEXT_CHARS."""
    title_guess: str
    """The metadata title when it looks real, else the first substantial line of page 1."""


class PdfUnreadable(Exception):
    """The PDF cannot be used. `str(error)` is a message to show the person who gave it to us."""

    NOT_PDF = "not_pdf"
    DAMAGED = "damaged"
    ENCRYPTED = "encrypted"
    TOO_LARGE = "too_large"
    TOO_MANY_PAGES = "too_many_pages"
    TOO_COMPLEX = "too_complex"
    NO_PAGES = "no_pages"
    UNSUPPORTED = "unsupported"

    def __init__(self, message: str, *, reason: str = DAMAGED) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        """One of the class constants, for code that needs to tell the cases apart."""

    @classmethod
    def not_pdf(cls) -> PdfUnreadable:
        return cls("This file is not a PDF.", reason=cls.NOT_PDF)

    @classmethod
    def damaged(cls) -> PdfUnreadable:
        return cls("The PDF is damaged or truncated and could not be read.", reason=cls.DAMAGED)

    @classmethod
    def encrypted(cls) -> PdfUnreadable:
        return cls(
            "The PDF is password-protected; upload a copy without a password.",
            reason=cls.ENCRYPTED,
        )

    @classmethod
    def too_large(cls, *, max_bytes: int, size: int | None = None) -> PdfUnreadable:
        limit = _megabytes(max_bytes)
        if size is None:
            message = f"The PDF is too large (the limit is {limit} MB)."
        else:
            message = f"The PDF is too large ({_megabytes(size)} MB; the limit is {limit} MB)."
        return cls(message, reason=cls.TOO_LARGE)

    @classmethod
    def too_many_pages(cls, *, pages: int, max_pages: int) -> PdfUnreadable:
        return cls(
            f"The PDF has {pages} pages; we read at most {max_pages}.",
            reason=cls.TOO_MANY_PAGES,
        )

    @classmethod
    def too_complex(cls) -> PdfUnreadable:
        return cls(
            "The PDF could not be read: it uses more resources than we allow.",
            reason=cls.TOO_COMPLEX,
        )


def _megabytes(size: int) -> str:
    """1.5, 30: MiB rounded up to a tenth, so a file over the limit never reads as equal to it."""
    tenths = math.ceil(size * 10 / _MIB)
    return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def pdf_bytes_from_file(f: IO[bytes] | Any, *, max_bytes: int) -> bytes:
    """Read an uploaded file (a Django `UploadedFile` or any binary file object) into memory,
    raising PdfUnreadable as soon as it passes `max_bytes`, without reading the rest.
    """
    size = getattr(f, "size", None)
    if isinstance(size, int) and size > max_bytes:
        raise PdfUnreadable.too_large(max_bytes=max_bytes, size=size)

    if hasattr(f, "chunks"):  # Django's UploadedFile: rewinds, and streams from disk or memory
        chunks = f.chunks(_READ_CHUNK)
    else:
        if getattr(f, "seekable", lambda: False)():
            f.seek(0)
        chunks = iter(lambda: f.read(_READ_CHUNK), b"")

    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > max_bytes:
            raise PdfUnreadable.too_large(max_bytes=max_bytes)
    return bytes(data)


def read_pdf(
    data: bytes,
    *,
    max_bytes: int,
    max_pages: int = DEFAULT_MAX_PAGES,
    text_pages: int = DEFAULT_TEXT_PAGES,
) -> PdfInfo:
    """Read an untrusted PDF's page count, metadata and first pages' text, or raise PdfUnreadable.

    Text that cannot be extracted (a scanned page, a page that would pass our limits) comes
    back as "" for that page: the caller should treat empty text as unknown.
    """
    if len(data) > max_bytes:
        raise PdfUnreadable.too_large(max_bytes=max_bytes, size=len(data))
    if data.find(_MAGIC, 0, _MAGIC_WINDOW) == -1:
        raise PdfUnreadable.not_pdf()

    import pypdf  # noqa: PLC0415 - slow library imported where used (pypdf: ~0.9 s; only the PDF worker needs it)
    from pypdf.errors import (  # noqa: PLC0415 - slow library imported where used
        DependencyError,
        FileNotDecryptedError,
        LimitReachedError,
        PyPdfError,
    )

    try:
        with pypdf.apply_configuration(**_pypdf_limits(max_pages)):
            return _read(data, max_pages=max_pages, text_pages=text_pages)
    except (PdfUnreadable, SoftTimeLimitExceeded):
        raise
    except FileNotDecryptedError as exc:
        raise PdfUnreadable.encrypted() from exc
    except (LimitReachedError, RecursionError, MemoryError) as exc:
        raise PdfUnreadable.too_complex() from exc
    except DependencyError as exc:
        # An optional part of pypdf is missing from this installation: the operator's to fix.
        log.warning("pypdf cannot read a PDF without an optional dependency: %s", exc)
        raise PdfUnreadable(
            "The PDF uses a feature we cannot read.", reason=PdfUnreadable.UNSUPPORTED
        ) from exc
    except PyPdfError as exc:
        raise PdfUnreadable.damaged() from exc
    except Exception as exc:
        # Hostile or broken files make pypdf raise anything (ValueError, KeyError, ...).
        log.warning("pypdf raised %r on a PDF; taken as damaged", exc, exc_info=True)
        raise PdfUnreadable.damaged() from exc


def _read(data: bytes, *, max_pages: int, text_pages: int) -> PdfInfo:
    from pypdf import PasswordType, PdfReader  # noqa: PLC0415 - slow library imported where used

    reader = PdfReader(BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise PdfUnreadable.encrypted()

    # The declared count is cheap to read and gives the right message before we walk a huge tree;
    # the walked tree is the truth (the declared count may lie).
    declared = _declared_page_count(reader)
    if declared is not None and declared > max_pages:
        raise PdfUnreadable.too_many_pages(pages=declared, max_pages=max_pages)
    page_count = len(reader.pages)
    if page_count > max_pages:
        raise PdfUnreadable.too_many_pages(pages=page_count, max_pages=max_pages)
    if page_count == 0:
        raise PdfUnreadable("The PDF has no pages.", reason=PdfUnreadable.NO_PAGES)

    title, author = _metadata(reader)
    texts = _first_pages_text(reader, min(text_pages, page_count))
    first_page_text = texts[0] if texts else ""
    if title_looks_real(title):
        guess = title
    else:
        guess = _title_in_largest_type(reader) or _title_from_text(first_page_text)
    return PdfInfo(
        page_count=page_count,
        title=title,
        author=author,
        first_pages_text=PAGE_SEPARATOR.join(texts)[:MAX_TEXT_CHARS],
        title_guess=guess,
    )


def _declared_page_count(reader: PdfReader) -> int | None:
    try:
        count = reader.root_object["/Pages"].get_object()["/Count"]  # type: ignore[index]  # caught below
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        return None
    return count if isinstance(count, int) and count >= 0 else None


def _metadata(reader: PdfReader) -> tuple[str, str]:
    """Title and author from the Info dictionary; a broken one costs the metadata, not the file."""
    try:
        metadata = reader.metadata
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        log.info("Unreadable PDF metadata: %r", exc)
        return "", ""
    if metadata is None:
        return "", ""
    return _metadata_text(metadata, "title"), _metadata_text(metadata, "author")


def _metadata_text(metadata: Any, name: str) -> str:
    # pypdf's properties decode what its raw values leave as bytes (e.g. strings with a NUL).
    try:
        value = getattr(metadata, name)
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        return ""
    if not isinstance(value, str):
        return ""
    return _one_line(value)[:MAX_METADATA_CHARS].strip()


def _one_line(text: str) -> str:
    without_controls = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(without_controls.split())


def _clean_page_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Drop control characters (NUL, form feeds: the page separator must stay unambiguous).
    text = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def _first_pages_text(reader: PdfReader, count: int) -> list[str]:
    texts: list[str] = []
    total = 0
    for index in range(count):
        try:
            text = _clean_page_text(reader.pages[index].extract_text() or "")
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:  # LimitReachedError on a bomb page, or any pypdf bug
            log.info("No text from PDF page %d: %r", index + 1, exc)
            text = ""
        texts.append(text)
        total += len(text) + len(PAGE_SEPARATOR)
        if total >= MAX_TEXT_CHARS:
            break
    return texts


_JUNK_TITLES = {
    "untitled",
    "untitled document",
    "no title",
    "title",
    "document",
    "paper",
    "article",
    "manuscript",
    "main",
    "draft",
    "template",
    "slides",
    "presentation",
    "pdf",
    "none",
    "null",
    "unknown",
}
_FILE_NAME = re.compile(
    r".*\.(pdf|docx?|odt|rtf|tex|dvi|ps|eps|txt|html?|pptx?|key|pages|indd)", re.IGNORECASE
)
_APP_TITLE = re.compile(
    r"(microsoft (word|powerpoint|excel)|untitled|document\d*|doc\d+)\b", re.IGNORECASE
)
_PATH = re.compile(r"([a-z]:\\|/|~/|file:)", re.IGNORECASE)
_ARXIV_STAMP = re.compile(r"arxiv:\s*(\d{4}\.\d{4,5}|[a-z-]+(\.[a-z]{2})?/\d{7})", re.IGNORECASE)
_RUNNING_HEAD = re.compile(
    r"(?:(?:preprint|published as|under review|accepted (?:at|to|for|in)|to appear|proceedings of|"
    r"technical report|working paper|draft|submitted to|copyright|page \d+)\b|©)",
    re.IGNORECASE,
)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def title_looks_real(title: str) -> bool:
    """False for the titles tools leave behind: empty, "Untitled", file names, paths, ids."""
    title = title.strip()
    return not (
        _letters(title) < 3
        or title.casefold() in _JUNK_TITLES
        or _FILE_NAME.fullmatch(title)
        or _APP_TITLE.match(title)
        or _PATH.match(title)
        or _ARXIV_STAMP.match(title)
    )


# A title is set larger than anything else near the top of page 1; its lines
# are within this fraction of the largest size (LaTeX sets one size for them).
_TITLE_SIZE_SHARE = 0.92
_TITLE_MAX_LINES = 4


def _title_in_largest_type(reader: PdfReader) -> str:
    """The lines of page 1 set in its largest type, joined: a title that
    wraps over two or three lines comes whole (the text-line guess below
    keeps only its first). "" when page 1 has no larger type (one size
    throughout), or the largest type is not a title (an arXiv stamp, a
    number)."""
    runs: list[tuple[float, str]] = []  # (rendered size, text), in reading order

    def visit(text, cm, tm, font_dict, font_size) -> None:
        if not text or not text.strip() or not font_size:
            return
        if abs(tm[1]) > 1e-6 or abs(cm[1]) > 1e-6:  # rotated: margin stamps
            return
        size = float(font_size) * abs(float(tm[3]) or 1.0) * abs(float(cm[3]) or 1.0)
        runs.append((round(size, 1), text))

    try:
        reader.pages[0].extract_text(visitor_text=visit)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        log.info("No type sizes from PDF page 1: %r", exc)
        return ""
    usable = [
        (size, text)
        for size, text in runs
        if _letters(text) >= 1 and not _ARXIV_STAMP.match(_one_line(text))
    ]
    sizes = {size for size, _ in usable}
    if len(sizes) < 2:
        return ""
    largest = max(sizes)
    parts: list[str] = []
    started = False
    for size, text in usable:
        if size >= largest * _TITLE_SIZE_SHARE:
            started = True
            parts.append(text)
        elif started:
            break
    lines = [_one_line(line) for line in "\n".join(parts).split("\n") if _one_line(line)]
    title = _one_line(" ".join(lines[:_TITLE_MAX_LINES]))
    headings = {"abstract", "introduction", "contents", "table of contents"}
    if _letters(title) < 4 or _RUNNING_HEAD.match(title) or not title_looks_real(title):
        return ""
    if title.casefold().rstrip(".:") in headings:
        return ""
    if len(title) <= MAX_TITLE_CHARS:
        return title
    return title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-")


def _title_from_text(page_text: str) -> str:
    """The first line of page 1 that reads like a title, at most MAX_TITLE_CHARS."""
    for raw_line in page_text.split("\n"):
        line = _one_line(raw_line)
        words = line.split()
        if (
            _letters(line) < 4
            or (len(words) < 2 and len(line) < 12)
            or _ARXIV_STAMP.match(line)
            or _RUNNING_HEAD.match(line)
            or "@" in line
            or "://" in line
        ):
            continue
        if len(line) <= MAX_TITLE_CHARS:
            return line
        return line[:MAX_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return ""

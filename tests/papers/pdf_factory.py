"""Hand-written PDFs for tests: real text in Helvetica that pypdf can extract, and hostile files.

The files are built object by object with an exact xref table, so each one is a valid PDF
without any PDF library involved in writing it.
"""

import zlib

_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
_LINE_HEIGHT = 14
_TOP = 770


def pdf_string(text: str) -> bytes:
    """A PDF string: literal when ASCII, UTF-16BE with a byte order mark otherwise."""
    if text.isascii():
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _show_text(line: str) -> bytes:
    # Helvetica with WinAnsiEncoding: cp1252 bytes in a literal string.
    raw = line.encode("cp1252", errors="replace")
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b") Tj T*\n"


def text_content(text: str) -> bytes:
    """A content stream that writes `text` line by line from the top left of a Letter page."""
    lines = b"".join(_show_text(line) for line in text.split("\n"))
    return b"BT\n/F1 11 Tf\n%d TL\n72 %d Td\n%sET\n" % (_LINE_HEIGHT, _TOP, lines)


def titled_content(
    title_lines: list[str], body: str, *, title_size: int = 17, stamp: str | None = None
) -> bytes:
    """Page 1 of a typeset paper: the title in larger type over `title_lines` (as
    LaTeX wraps a long one), the rest in 10 pt below, and optionally arXiv's
    stamp rotated up the left margin in 20 pt."""
    leading = title_size + 4
    title = b"".join(_show_text(line) for line in title_lines)
    rest = b"".join(_show_text(line) for line in body.split("\n"))
    below = _TOP - leading * len(title_lines) - 20
    content = b"BT\n/F1 %d Tf\n%d TL\n72 %d Td\n%sET\n" % (title_size, leading, _TOP, title)
    content += b"BT\n/F1 10 Tf\n12 TL\n72 %d Td\n%sET\n" % (below, rest)
    if stamp is not None:
        content += b"BT\n/F1 20 Tf\n0 1 -1 0 40 200 Tm\n%s Tj\nET\n" % pdf_string(stamp)
    return content


def make_titled_pdf(title_lines: list[str], body: str, **kwargs) -> bytes:
    return build_pdf([_stream(titled_content(title_lines, body, **kwargs), compress=False)])


def two_column_content(left: str, right: str) -> bytes:
    """A content stream with two columns of lines, the left one written first (as
    LaTeX's two-column papers are), so text extraction reads left then right."""
    columns = []
    for x, text in ((72, left), (320, right)):
        lines = b"".join(_show_text(line) for line in text.split("\n"))
        columns.append(b"BT\n/F1 9 Tf\n%d TL\n%d %d Td\n%sET\n" % (11, x, _TOP, lines))
    return b"".join(columns)


def _stream(content: bytes, *, compress: bool) -> bytes:
    if compress:
        content = zlib.compress(content)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (
            len(content),
            content,
        )
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)


def _deflated_stream(data: bytes) -> bytes:
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)


def build_pdf(page_contents: list[bytes], info: dict[str, str] | None = None) -> bytes:
    """Assemble a PDF whose pages have the given (already encoded) content stream objects."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in below once the page numbers are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for content in page_contents:
        objects.append(content)
        content_number = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_number
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))

    trailer_info = b""
    if info:
        entries = b" ".join(
            b"/%s %s" % (key.encode(), pdf_string(value)) for key, value in info.items()
        )
        objects.append(b"<< " + entries + b" >>")
        trailer_info = b" /Info %d 0 R" % len(objects)

    out = bytearray(_HEADER)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_offset = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, trailer_info)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def make_pdf(
    pages: list[str],
    title: str | None = None,
    author: str | None = None,
    *,
    compress: bool = False,
) -> bytes:
    """A PDF with one page per string (lines split on newlines) and optional metadata."""
    info = {}
    if title is not None:
        info["Title"] = title
    if author is not None:
        info["Author"] = author
    info["Producer"] = "Paper Club test factory"
    contents = [_stream(text_content(text), compress=compress) for text in pages]
    return build_pdf(contents, info)


def make_two_column_pdf(pages: list[tuple[str, str]], title: str | None = None) -> bytes:
    """A PDF whose pages each hold a (left, right) pair of columns."""
    info = {"Producer": "Paper Club test factory"}
    if title is not None:
        info["Title"] = title
    contents = [_stream(two_column_content(left, right), compress=True) for left, right in pages]
    return build_pdf(contents, info)


def deflate_bomb(inflated_mb: int) -> bytes:
    """A valid zlib stream that inflates to `inflated_mb` MiB of spaces, in about 1 KB per MiB.

    Compressing hundreds of MiB takes a second; repeating one fully flushed deflate block
    (each decodes on its own) and computing the checksum takes a few milliseconds.
    """
    chunk = b" " * (1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(inflated_mb):
        checksum = zlib.adler32(chunk, checksum)
    final_empty_block = b"\x03\x00"
    return b"\x78\xda" + block * inflated_mb + final_empty_block + checksum.to_bytes(4, "big")


def make_bomb_pdf(inflated_mb: int = 400, *, after: str = "Text after the bomb") -> bytes:
    """Page 1's content stream inflates to `inflated_mb` MiB; page 2 holds ordinary text."""
    bomb = _deflated_stream(deflate_bomb(inflated_mb))
    return build_pdf([bomb, _stream(text_content(after), compress=False)], {"Title": "Bomb"})

import pickle
import tracemalloc
from io import BytesIO

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PageObject, PdfWriter

from papers import pdf
from papers.pdf import PdfInfo, PdfUnreadable, pdf_bytes_from_file, read_pdf, title_looks_real
from tests.papers.pdf_factory import build_pdf, make_bomb_pdf, make_pdf, make_titled_pdf

MB = 1024 * 1024
LIMIT = 10 * MB

PAGES = [
    "LoRA: Low-Rank Adaptation of Large Language Models\nEdward J. Hu, Yelong Shen\nAbstract",
    "1 Introduction\nMany applications in natural language processing",
    "2 Problem Statement\nSuppose we are given a pre-trained model (with weights)",
    "3 Method",
    "4 Experiments",
    "5 Related Work",
    "6 Understanding the Low-Rank Updates",
    "7 Conclusion",
]


def written_pdf(
    pages: int = 1, *, metadata: dict[str, str] | None = None, encrypt: dict | None = None
) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if metadata:
        writer.add_metadata(metadata)
    if encrypt is not None:
        writer.encrypt(**encrypt)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def unreadable(data: bytes, **kwargs) -> PdfUnreadable:
    kwargs.setdefault("max_bytes", LIMIT)
    with pytest.raises(PdfUnreadable) as caught:
        read_pdf(data, **kwargs)
    return caught.value


# --- reading -------------------------------------------------------------------------------------


def test_read_pdf_multi_page_paper():
    data = make_pdf(PAGES, title="LoRA: Low-Rank Adaptation", author="Edward J. Hu")

    info = read_pdf(data, max_bytes=LIMIT)

    assert info == PdfInfo(
        page_count=8,
        title="LoRA: Low-Rank Adaptation",
        author="Edward J. Hu",
        first_pages_text="\n\f\n".join(PAGES[:6]),
        title_guess="LoRA: Low-Rank Adaptation",
    )


def test_read_pdf_reads_only_the_first_text_pages():
    info = read_pdf(make_pdf(PAGES), max_bytes=LIMIT, text_pages=2)

    assert info.first_pages_text == f"{PAGES[0]}\n\f\n{PAGES[1]}"
    assert info.page_count == 8


def test_read_pdf_compressed_content_and_non_ascii_metadata():
    data = make_pdf(
        ["Überall: ein Benchmark\nZoë Müller"],
        title="Überall: ein Benchmark",
        author="Zoë Müller; Łukasz Kaiser",
        compress=True,
    )

    info = read_pdf(data, max_bytes=LIMIT)

    assert (info.title, info.author) == ("Überall: ein Benchmark", "Zoë Müller; Łukasz Kaiser")
    assert info.first_pages_text == "Überall: ein Benchmark\nZoë Müller"


def test_read_pdf_metadata_is_tidied():
    data = make_pdf(["x"], title="  A  Title\n\twith\x00 breaks ", author="\x07")

    info = read_pdf(data, max_bytes=LIMIT)

    assert (info.title, info.author) == ("A Title with breaks", "")


def test_read_pdf_without_metadata_or_text():
    info = read_pdf(written_pdf(3), max_bytes=LIMIT)

    assert info == PdfInfo(
        page_count=3, title="", author="", first_pages_text="\n\f\n\n\f\n", title_guess=""
    )


@pytest.mark.parametrize(
    ("title", "first_page", "guess"),
    [
        (None, "Attention Is All You Need\nAshish Vaswani", "Attention Is All You Need"),
        ("", "Attention Is All You Need", "Attention Is All You Need"),
        ("untitled", "Attention Is All You Need", "Attention Is All You Need"),
        ("paper.pdf", "Attention Is All You Need", "Attention Is All You Need"),
        ("main.tex", "Attention Is All You Need", "Attention Is All You Need"),
        (
            "Microsoft Word - draft v3.docx",
            "Attention Is All You Need",
            "Attention Is All You Need",
        ),
        ("C:\\Users\\me\\paper", "Attention Is All You Need", "Attention Is All You Need"),
        ("arXiv:1706.03762v7", "Attention Is All You Need", "Attention Is All You Need"),
        ("Attention Is All You Need", "Something else entirely", "Attention Is All You Need"),
        (
            None,
            "arXiv:1706.03762v7 [cs.CL] 2 Aug 2023\n"
            "Published as a conference paper at ICLR 2018\n"
            "\n"
            "42\n"
            "Attention Is All You Need\n"
            "Ashish Vaswani",
            "Attention Is All You Need",
        ),
        (None, "1\n\n2\nvaswani@google.com, noam@google.com\nPreprint", ""),
        (None, "Letters\nAttention Is All You Need", "Attention Is All You Need"),
        (None, "Quantum Chromodynamics", "Quantum Chromodynamics"),
    ],
)
def test_read_pdf_title_guess(title, first_page, guess):
    info = read_pdf(make_pdf([first_page], title=title), max_bytes=LIMIT)

    assert info.title_guess == guess


def test_read_pdf_title_guess_is_cut_at_a_word():
    long_line = " ".join(["word"] * 100)  # 499 characters

    info = read_pdf(make_pdf([long_line]), max_bytes=LIMIT)

    assert info.title_guess == " ".join(["word"] * 60)
    assert len(info.title_guess) == 299


@pytest.mark.parametrize(
    ("title", "looks_real"),
    [
        ("Attention Is All You Need", True),
        ("LoRA", True),
        ("Documenting Drift in Deployed Models", True),
        ("", False),
        ("   ", False),
        ("0", False),
        ("Untitled", False),
        ("Untitled-1", False),
        ("untitled document", False),
        ("Document1", False),
        ("paper.pdf", False),
        ("Final_Version (2).docx", False),
        ("Microsoft Word - paper.docx", False),
        ("Microsoft PowerPoint - talk", False),
        ("/home/me/paper", False),
        ("arXiv:2106.09685v2", False),
    ],
)
def test_title_looks_real(title, looks_real):
    assert title_looks_real(title) is looks_real


def test_read_pdf_caps_the_text(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_TEXT_CHARS", 100)

    info = read_pdf(make_pdf(["a" * 80, "b" * 80, "c" * 80]), max_bytes=LIMIT)

    assert info.first_pages_text == "a" * 80 + "\n\f\n" + "b" * 17


def test_read_pdf_encrypted_with_an_empty_user_password_reads():
    data = written_pdf(
        2,
        metadata={"/Title": "Open to all", "/Author": "Ada"},
        encrypt={"user_password": "", "owner_password": "owner-only", "algorithm": "AES-128"},
    )

    info = read_pdf(data, max_bytes=LIMIT)

    assert (info.page_count, info.title, info.author) == (2, "Open to all", "Ada")


# --- refusing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"<html><body>Not Found</body></html>",
        b" " * 1024 + b"%PDF-1.7\n",
    ],
)
def test_read_pdf_not_a_pdf(data):
    error = unreadable(data)

    assert str(error) == "This file is not a PDF."
    assert error.reason == PdfUnreadable.NOT_PDF


@pytest.mark.parametrize(
    "data",
    [
        make_pdf(PAGES)[:300],
        make_pdf(PAGES)[: len(make_pdf(PAGES)) // 2],
        make_pdf(PAGES)[:-30],
        b"%PDF-1.7\n" + bytes(range(256)) * 64,
        b"%PDF-1.7\n" + b"garbage " * 500 + b"\n%%EOF\n",
        b"%PDF-1.7\n",
    ],
    ids=["first-300-bytes", "first-half", "no-trailer", "binary-garbage", "text-garbage", "header"],
)
def test_read_pdf_damaged(data):
    error = unreadable(data)

    assert str(error) == "The PDF is damaged or truncated and could not be read."
    assert error.reason == PdfUnreadable.DAMAGED


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_read_pdf_password_protected(algorithm):
    data = written_pdf(
        metadata={"/Title": "Secret"},
        encrypt={"user_password": "s3cret", "owner_password": "owner", "algorithm": algorithm},
    )

    error = unreadable(data)

    assert str(error) == "The PDF is password-protected; upload a copy without a password."
    assert error.reason == PdfUnreadable.ENCRYPTED


def test_read_pdf_too_large():
    error = unreadable(b"%PDF-1.7\n" + b"0" * (2 * MB), max_bytes=2 * MB)

    assert str(error) == "The PDF is too large (2.1 MB; the limit is 2 MB)."
    assert error.reason == PdfUnreadable.TOO_LARGE


def test_read_pdf_too_many_pages_at_the_default_limit():
    error = unreadable(written_pdf(2001))

    assert str(error) == "The PDF has 2001 pages; we read at most 2000."
    assert error.reason == PdfUnreadable.TOO_MANY_PAGES


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (written_pdf(6), "The PDF has 6 pages; we read at most 5."),
        # The page tree's declared /Count may lie: the pages found are what counts.
        (
            make_pdf(["p"] * 6).replace(b"/Count 6", b"/Count 1"),
            "The PDF has 6 pages; we read at most 5.",
        ),
    ],
    ids=["declared", "counted"],
)
def test_read_pdf_too_many_pages(data, message):
    error = unreadable(data, max_pages=5)

    assert str(error) == message


def test_read_pdf_exactly_max_pages_reads():
    assert read_pdf(written_pdf(5), max_bytes=LIMIT, max_pages=5).page_count == 5


def test_read_pdf_no_pages():
    error = unreadable(build_pdf([]))

    assert str(error) == "The PDF has no pages."
    assert error.reason == PdfUnreadable.NO_PAGES


def _deep_page_tree(depth: int) -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        parent = b" /Parent %d 0 R" % (level + 1) if level else b""
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (level + 3, parent))
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] >>" % (depth + 1))
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_read_pdf_reads_a_modest_page_tree():
    assert read_pdf(_deep_page_tree(10), max_bytes=LIMIT).page_count == 1


def test_read_pdf_too_deep_page_tree_uses_too_many_resources():
    error = unreadable(_deep_page_tree(3000))

    assert str(error) == "The PDF could not be read: it uses more resources than we allow."
    assert error.reason == PdfUnreadable.TOO_COMPLEX


def test_read_pdf_decompression_bomb_page_has_unknown_text_and_bounded_memory():
    data = make_bomb_pdf(400)  # page 1 inflates to 400 MiB

    tracemalloc.start()
    try:
        info = read_pdf(data, max_bytes=LIMIT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert info == PdfInfo(
        page_count=2,
        title="Bomb",
        author="",
        first_pages_text="\n\f\nText after the bomb",
        title_guess="Bomb",
    )
    assert peak < 100 * MB


def test_read_pdf_lets_celerys_soft_time_limit_through(monkeypatch):
    # The soft time limit is raised wherever the worker is, here inside pypdf's text extraction.
    def out_of_time(self, *args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(PageObject, "extract_text", out_of_time)

    with pytest.raises(SoftTimeLimitExceeded):
        read_pdf(make_pdf(PAGES), max_bytes=LIMIT)


def test_pdf_unreadable_survives_pickling():
    error = PdfUnreadable.too_many_pages(pages=2100, max_pages=2000)

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)

    assert (str(copy), copy.reason) == (
        "The PDF has 2100 pages; we read at most 2000.",
        error.reason,
    )


# --- pdf_bytes_from_file -------------------------------------------------------------------------


class CountingFile(BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_pdf_bytes_from_file_reads_a_file_object():
    data = make_pdf(PAGES)
    f = BytesIO(data)
    f.seek(10)

    assert pdf_bytes_from_file(f, max_bytes=LIMIT) == data


def test_pdf_bytes_from_file_reads_a_django_upload():
    data = make_pdf(PAGES)
    upload = SimpleUploadedFile("paper.pdf", data, content_type="application/pdf")

    assert pdf_bytes_from_file(upload, max_bytes=LIMIT) == data


def test_pdf_bytes_from_file_stops_reading_past_the_limit():
    f = CountingFile(b"%PDF-1.7\n" + b"0" * (20 * MB))

    with pytest.raises(PdfUnreadable) as caught:
        pdf_bytes_from_file(f, max_bytes=MB)

    assert str(caught.value) == "The PDF is too large (the limit is 1 MB)."
    assert caught.value.reason == PdfUnreadable.TOO_LARGE
    assert f.bytes_read <= 2 * MB


def test_pdf_bytes_from_file_trusts_a_declared_size_without_reading():
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (3 * MB))
    upload.file = CountingFile(upload.file.getvalue())

    with pytest.raises(PdfUnreadable) as caught:
        pdf_bytes_from_file(upload, max_bytes=MB)

    assert str(caught.value) == "The PDF is too large (3.1 MB; the limit is 1 MB)."
    assert upload.file.bytes_read == 0


def test_pdf_bytes_from_file_exactly_at_the_limit():
    data = b"%PDF-1.7\n" + b"0" * (MB - 9)

    assert pdf_bytes_from_file(BytesIO(data), max_bytes=MB) == data


@pytest.mark.parametrize("stamp", [None, "arXiv:2106.09685v2 [cs.CL] 16 Oct 2021"])
def test_a_title_wrapped_over_lines_is_guessed_whole(stamp):
    """Issue 13: a PDF's guessed title kept only the first line of a wrapped title."""
    pdf = make_titled_pdf(
        ["LoRA: Low-Rank Adaptation of Large", "Language Models"],
        "Edward J. Hu, Yelong Shen, Phillip Wallis\nMicrosoft Corporation\nAbstract\nWe adapt.",
        stamp=stamp,
    )

    info = read_pdf(pdf, max_bytes=LIMIT)

    assert info.title_guess == "LoRA: Low-Rank Adaptation of Large Language Models"


def test_type_of_one_size_throughout_falls_back_to_the_first_title_like_line():
    pdf = make_titled_pdf(["Sparse Experts"], "Ada Lovelace\nAbstract", title_size=10)

    assert read_pdf(pdf, max_bytes=LIMIT).title_guess == "Sparse Experts"

"""The reading method the clubs follow, and a first-pass guide drawn from a PDF's text.

The extractor reads the stored text of a paper's first pages (pages separated
by form feeds) and looks for a few landmarks. Text from PDFs is messy, so each
finder is conservative: when it is not sure, it returns nothing, and the page
shows nothing rather than nonsense.
"""

import re
from dataclasses import dataclass, field

PAGE_BREAK = "\f"

# --- The method -------------------------------------------------------------------

# (key, pass, what to do). Keys are stored per member; never rename one.
CHECKLIST = [
    ("p1-abstract", 1, "Read the title, the abstract and the last paragraphs of the introduction"),
    ("p1-headings", 1, "Glance over the section headings"),
    ("p1-figure", 1, "Find the architecture figure and read its caption"),
    ("p1-conclusion", 1, "Read the conclusion"),
    ("p2-equations", 2, "Follow the main equations"),
    ("p2-related", 2, "See where the paper sits among the related work"),
    ("p2-experiments", 2, "Read the experiments with suspicion: baselines, data, error bars"),
    ("p3-rederive", 3, "Re-derive the key results, or re-run them"),
    ("p3-notes", 3, "Write notes and open questions for the session"),
]
CHECKLIST_KEYS = frozenset(key for key, _, _ in CHECKLIST)


@dataclass(frozen=True)
class PassTimes:
    first: int
    second: int
    third: int


def pass_minutes(page_count: int | None) -> PassTimes:
    """Minutes each pass takes, from the page count.

    first  = 10 minutes, plus 1 per 10 pages past the first 10 (skimming long
             papers takes a little longer);
    second = 5 minutes a page, at least 30 and at most 180 (an hour for a
             typical 12-page paper);
    third  = 4 × second (several hours).
    Without a page count, a 12-page paper is assumed.
    """
    pages = page_count if page_count and page_count > 0 else 12
    first = 10 + max(0, pages - 10) // 10
    second = min(180, max(30, 5 * pages))
    return PassTimes(first=first, second=second, third=4 * second)


# --- Extraction ----------------------------------------------------------------------

_NUMBERED_HEADING = re.compile(
    r"^(?:[1-9]\d?|[IVX]{1,4})(?:\.\d{1,2}){0,2}\.?\s+([A-Z][^\n]{1,70})$"
)
_KNOWN_HEADINGS = {
    "abstract",
    "introduction",
    "related work",
    "background",
    "method",
    "methods",
    "approach",
    "experiments",
    "results",
    "discussion",
    "conclusion",
    "conclusions",
    "references",
    "acknowledgments",
    "acknowledgements",
}
_CAPTION = re.compile(r"^(?:Figure|Fig\.)\s*(\d{1,3})\s*[:.|]\s*(\S.*)$")
_RELATED = re.compile(r"\b(related work|prior work|background)\b", re.IGNORECASE)
_INTRO = re.compile(r"^(?:[1I]\.?\s+)?introduction\b", re.IGNORECASE)
_ABSTRACT = re.compile(r"^abstract\b[\s.:—-]*", re.IGNORECASE)


@dataclass
class Guide:
    abstract: str = ""
    intro_end: str = ""
    headings: list[str] = field(default_factory=list)
    figure_captions: list[str] = field(default_factory=list)
    related_work_heading: str = ""
    related_work_page: int | None = None


def _clean(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip()


def _is_heading(line: str) -> str:
    """The heading's text if the line looks like a section heading, else ""."""
    if len(line) > 80 or line.endswith((",", ";")):
        return ""
    if line.lower().rstrip(".:") in _KNOWN_HEADINGS:
        return line.rstrip(".:")
    match = _NUMBERED_HEADING.match(line)
    if match and not re.search(r"\d{3,}|[=<>]", line) and len(match.group(1).split()) <= 10:
        return line
    return ""


def _lines_by_page(text: str) -> list[list[str]]:
    return [[_clean(line) for line in page.splitlines()] for page in text.split(PAGE_BREAK)]


def _join(lines: list[str], limit: int) -> str:
    text = " ".join(line for line in lines if line)
    text = re.sub(r"(\w)- (\w)", r"\1\2", text)  # words hyphenated across lines
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def extract_guide(text: str) -> Guide:
    guide = Guide()
    if not text or not text.strip():
        return guide
    pages = _lines_by_page(text)
    flat: list[tuple[int, str]] = [
        (number, line) for number, page in enumerate(pages, start=1) for line in page
    ]

    heading_at: list[tuple[int, str]] = []
    for index, (page, line) in enumerate(flat):
        heading = _is_heading(line)
        if heading:
            heading_at.append((index, heading))
            if not guide.related_work_heading and _RELATED.search(heading):
                guide.related_work_heading = heading[:200]
                guide.related_work_page = page
    guide.headings = list(dict.fromkeys(h for _, h in heading_at))[:40]

    guide.abstract = _section_text(flat, heading_at, _ABSTRACT, limit=2000)
    intro = _section_lines(flat, heading_at, _INTRO)
    if intro:
        guide.intro_end = _intro_end(intro)

    captions = []
    for index, (_, line) in enumerate(flat):
        match = _CAPTION.match(line)
        if match:
            following = []
            for _, more in flat[index + 1 : index + 4]:
                if not more or _CAPTION.match(more) or _is_heading(more):
                    break
                following.append(more)
            caption = _join([f"Figure {match.group(1)}: {match.group(2)}", *following], 300)
            captions.append(caption)
    guide.figure_captions = list(dict.fromkeys(captions))[:20]
    return guide


def _section_lines(flat, heading_at, pattern) -> list[str]:
    for position, (index, heading) in enumerate(heading_at):
        if pattern.match(heading):
            end = heading_at[position + 1][0] if position + 1 < len(heading_at) else len(flat)
            return [line for _, line in flat[index + 1 : end]]
    # An abstract often has its heading on the same line as its text.
    for index, (_, line) in enumerate(flat):
        if pattern is _ABSTRACT and _ABSTRACT.match(line) and len(line) > 40:
            rest = _ABSTRACT.sub("", line, count=1)
            later = []
            for _, more in flat[index + 1 :]:
                if _is_heading(more):
                    break
                later.append(more)
            return [rest, *later]
    return []


def _section_text(flat, heading_at, pattern, *, limit: int) -> str:
    lines = _section_lines(flat, heading_at, pattern)
    text = _join(lines, limit)
    # Fewer than a dozen words is not an abstract but a stray match.
    return text if len(text.split()) >= 12 else ""


INTRO_END_CHARS = 1_200


def _intro_end(lines: list[str]) -> str:
    """The introduction's last paragraphs (where contributions are listed): its end, or nothing.

    Text from PDFs rarely keeps blank lines between paragraphs, so a paragraph
    also ends at a sentence's end on a line clearly shorter than the column's
    usual width (about 95 characters on one-column pages, 45 on two-column
    ones). Whole paragraphs are taken from the end while they fit in
    INTRO_END_CHARS; when the last one alone is longer, its last sentences."""
    widths = sorted(len(line) for line in lines if line)
    if not widths:
        return ""
    short = 0.8 * widths[len(widths) // 2]
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
                current = []
            continue
        current.append(line)
        if line.endswith((".", ":")) and len(line) < short:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    texts = [_join(p, len(" ".join(p)) + 1) for p in paragraphs]
    texts = [t for t in texts if len(t.split()) >= 8]
    if not texts:
        return ""
    tail = [texts[-1]]
    for text in reversed(texts[:-1][-1:]):  # at most one more paragraph
        if len(text) + sum(len(t) + 2 for t in tail) > INTRO_END_CHARS:
            break
        tail.insert(0, text)
    tail[0] = _last_sentences(tail[0], INTRO_END_CHARS - sum(len(t) + 2 for t in tail[1:]))
    text = "\n\n".join(tail)
    return text if len(text.split()) >= 12 else ""


_SENTENCE_START = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"“])")


def _last_sentences(text: str, limit: int) -> str:
    """The end of `text` in at most `limit` characters, starting at a sentence (else a word)."""
    if len(text) <= limit:
        return text
    window = text[-limit:]
    start = _SENTENCE_START.search(window)
    if start is not None:
        return "… " + window[start.end() :]
    return "… " + window.split(" ", 1)[-1]

"""The archive as files: CSV for spreadsheets, BibTeX for reference managers.

Both take the sessions as `selectors.archive` returns them (papers prefetched
as `ordered_papers`, facilitators with profiles), so they run no queries.
Dates are the club's local date of each session. A session's shared
write-up (sessions.writeups) goes along as a note and a link: the CSV's last
two columns, and in BibTeX the note of each paper the session read.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from clubs.models import Club
from clubs.templatetags.paperclub import display_name
from papers.models import Paper

from ..models import Session, Writeup
from ..writeups.selectors import writeup_url

CSV_COLUMNS = [
    "date",
    "title",
    "papers",
    "arxiv_ids",
    "facilitator",
    "slides",
    "recording",
    "write_up_url",
    "write_up",
]

# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _writeup(session: Session) -> Writeup | None:
    """The session's write-up if it says anything (archive() selects it with the session)."""
    writeup = getattr(session, "writeup", None)
    return writeup if writeup is not None and writeup.text.strip() else None


def archive_csv(*, sessions: Iterable[Session]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for session in sessions:
        papers = [link.nomination.paper for link in session.ordered_papers]  # type: ignore[attr-defined]  # prefetched (to_attr)
        writeup = _writeup(session)
        writer.writerow(
            [
                _cell(value)
                for value in (
                    session.local_start.date().isoformat(),
                    session.title,
                    "; ".join(paper.display_title for paper in papers),
                    "; ".join(paper.arxiv_id for paper in papers if paper.arxiv_id),
                    display_name(session.facilitator) if session.facilitator else "",
                    session.slides_url,
                    session.recording_url,
                    writeup_url(session) if writeup else "",
                    writeup.text if writeup else "",
                )
            ]
        )
    return out.getvalue()


# --- BibTeX ------------------------------------------------------------------------------

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_KEY_STOP_WORDS = {
    "a",
    "an",
    "the",
    "on",
    "of",
    "in",
    "for",
    "to",
    "and",
    "with",
    "is",
    "are",
    "at",
    "by",
    "from",
    "via",
    "towards",
    "toward",
}


def _clean(text: str) -> str:
    """One line: control characters and runs of spaces become one space."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def bibtex_escape(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(char, char) for char in _clean(text))


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _base_key(paper: Paper) -> str:
    """`vaswani2017attention` (first author's surname, year, first real title
    word) when the paper has them, else `arxiv-1706.03762`, else `paper-<id>`."""
    surname = _ascii_word(paper.authors[0].split()[-1]) if paper.authors else ""
    words = [_ascii_word(word) for word in _clean(paper.title).split()]
    word = next((w for w in words if w and w not in _KEY_STOP_WORDS), "")
    if surname and paper.year and word:
        return f"{surname}{paper.year}{word}"
    if paper.arxiv_id:
        return "arxiv-" + paper.arxiv_id.replace("/", "-")
    return f"paper-{paper.pk}"


def _unique(key: str, used: set[str]) -> str:
    candidate, suffix = key, ord("b")
    while candidate in used:
        candidate = f"{key}{chr(suffix)}"
        suffix += 1
    used.add(candidate)
    return candidate


def _spoken_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _note(club: Club, days: list[str], writeups: list[tuple[date, str]]) -> str:
    note = f"Read by {club.name} on {_spoken_list(days)}"
    if len(writeups) == 1:
        return f"{note}; write-up: {writeups[0][1]}"
    if writeups:
        return f"{note}; write-ups: " + ", ".join(
            f"{day.isoformat()} {url}" for day, url in writeups
        )
    return note


def archive_bibtex(*, club: Club, sessions: Iterable[Session]) -> str:
    """One @misc entry per paper the club read, noting when it was read."""
    read_on: dict[int, list[date]] = {}
    papers: dict[int, Paper] = {}
    writeups: dict[int, list[tuple[date, str]]] = {}
    for session in sessions:
        day = session.local_start.date()
        writeup = _writeup(session)
        for link in session.ordered_papers:  # type: ignore[attr-defined]  # prefetched (to_attr)
            paper = link.nomination.paper
            papers.setdefault(paper.pk, paper)
            read_on.setdefault(paper.pk, []).append(day)
            if writeup is not None:
                writeups.setdefault(paper.pk, []).append((day, writeup_url(session)))
    used: set[str] = set()
    entries = []
    for paper_id, paper in papers.items():
        days = [day.isoformat() for day in sorted(set(read_on[paper_id]))]
        url = paper.abs_url or paper.url
        if not url and paper.arxiv_id:
            url = f"https://arxiv.org/abs/{paper.arxiv_id}"
        fields = [
            ("title", bibtex_escape(paper.display_title)),
            ("author", " and ".join(bibtex_escape(name) for name in paper.authors or [])),
            ("year", str(paper.year or "")),
            ("eprint", paper.arxiv_id or ""),
            ("archivePrefix", "arXiv" if paper.arxiv_id else ""),
            ("primaryClass", bibtex_escape(paper.primary_category)),
            ("doi", bibtex_escape(paper.doi)),
            ("url", re.sub(r"[\s{}]", "", url)),
            ("note", bibtex_escape(_note(club, days, sorted(writeups.get(paper_id, []))))),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
        entries.append(f"@misc{{{_unique(_base_key(paper), used)},\n{body}\n}}\n")
    return "\n".join(entries)

"""Diffs between two revisions and who wrote each line, with difflib.

Pure functions over text: no models, no queries. Lines are compared whole (a
write-up is prose with one paragraph or list item a line), and difflib's
"junk" heuristic is off, since it would treat a write-up's common lines (blank
ones, "- ") as noise and give odd matches.
"""

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Generic, TypeVar

# Lines of unchanged text shown around each change.
CONTEXT_LINES = 3

Author = TypeVar("Author")


@dataclass(frozen=True)
class DiffLine:
    op: str  # "equal", "delete" or "insert"
    text: str
    old_number: int | None  # 1-based line number in the older text
    new_number: int | None  # ... and in the newer one


@dataclass(frozen=True)
class DiffStats:
    added: int
    removed: int


def _lines(text: str) -> list[str]:
    return (text or "").replace("\r\n", "\n").split("\n") if text else []


def _matcher(old: list[str], new: list[str]) -> SequenceMatcher:
    return SequenceMatcher(None, old, new, autojunk=False)


def diff_hunks(old: str, new: str, *, context: int = CONTEXT_LINES) -> list[list[DiffLine]]:
    """The changes from `old` to `new` as hunks of lines, each with `context`
    unchanged lines around it; no hunks when the texts are the same."""
    old_lines, new_lines = _lines(old), _lines(new)
    hunks = []
    for group in _matcher(old_lines, new_lines).get_grouped_opcodes(context):
        hunk: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                hunk.extend(
                    DiffLine("equal", old_lines[i], i + 1, j1 + (i - i1) + 1) for i in range(i1, i2)
                )
                continue
            if tag in ("delete", "replace"):
                hunk.extend(DiffLine("delete", old_lines[i], i + 1, None) for i in range(i1, i2))
            if tag in ("insert", "replace"):
                hunk.extend(DiffLine("insert", new_lines[j], None, j + 1) for j in range(j1, j2))
        hunks.append(hunk)
    return hunks


def diff_stats(old: str, new: str) -> DiffStats:
    added = removed = 0
    for tag, i1, i2, j1, j2 in _matcher(_lines(old), _lines(new)).get_opcodes():
        if tag in ("delete", "replace"):
            removed += i2 - i1
        if tag in ("insert", "replace"):
            added += j2 - j1
    return DiffStats(added=added, removed=removed)


@dataclass(frozen=True)
class AttributedLine(Generic[Author]):
    text: str
    author: Author
    revision: int  # the number of the revision that wrote this line as it reads


def attribute_lines(revisions: list[tuple[int, Author, str]]) -> list[AttributedLine[Author]]:
    """Who wrote what: each line of the last revision with the revision (and its
    author) that last changed it. `revisions` are (number, author, text), oldest
    first. A line kept from one revision to the next keeps its writer; a line
    added or changed belongs to the revision that added or changed it."""
    lines: list[AttributedLine[Author]] = []
    for number, author, text in revisions:
        new_lines = _lines(text)
        old_lines = [line.text for line in lines]
        carried: list[AttributedLine[Author]] = []
        for tag, i1, i2, j1, j2 in _matcher(old_lines, new_lines).get_opcodes():
            if tag == "equal":
                carried.extend(lines[i1:i2])
            elif tag in ("insert", "replace"):
                carried.extend(AttributedLine(new_lines[j], author, number) for j in range(j1, j2))
        lines = carried
    return lines

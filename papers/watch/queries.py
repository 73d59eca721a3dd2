"""What a watch may be, and the `search_query` it asks arXiv.

A category is written as arXiv writes it (cs.CL, math.AG, hep-th,
astro-ph.CO); an author is a name, a keyword a word or a short phrase, either
optionally within one category. Everything is checked here, with the reason
given in words, before it is stored: a watch is never sent to arXiv in a form
arXiv would refuse.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

# How many watches a club, and each member, may keep (docs/limits.md).
WATCHES_PER_CLUB = 20
WATCHES_PER_MEMBER = 10
VALUE_MIN = 2
VALUE_MAX = 100
KEYWORD_WORDS_MAX = 6

_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[a-z]+)*)?")
# Characters with a meaning in arXiv's query syntax (quotes, grouping, fields, ranges).
_SYNTAX = re.compile(r'["():\[\]{}\\]')
CATEGORY_EXAMPLES = "write it as arXiv does, like cs.CL, math.AG, stat.ML or hep-th"
# arXiv's archives (arxiv.org/category_taxonomy): those with subject classes,
# which a watch must name (cs.CL, not cs), and those without.
ARCHIVES_WITH_CLASSES = {
    "astro-ph": "astro-ph.CO",
    "cond-mat": "cond-mat.str-el",
    "cs": "cs.CL",
    "econ": "econ.EM",
    "eess": "eess.SP",
    "math": "math.AG",
    "nlin": "nlin.AO",
    "physics": "physics.optics",
    "q-bio": "q-bio.NC",
    "q-fin": "q-fin.ST",
    "stat": "stat.ML",
}
ARCHIVES_WHOLE = frozenset(
    {"gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th"}
    | {"quant-ph"}
)


class WatchInvalid(ValueError):
    """What was typed cannot be watched; the message says why and what to type."""


def clean_category(text: str) -> str:
    """ "cs.cl " -> "cs.CL"; refuses anything not shaped like an arXiv category."""
    value = text.strip()
    if not value:
        raise WatchInvalid(f"Give a category: {CATEGORY_EXAMPLES}.")
    archive, dot, subject = value.partition(".")
    archive = archive.lower()
    if len(subject) == 2 and subject.isalpha():
        subject = subject.upper()  # cs.cl -> cs.CL: two-letter classes are capitals
    value = f"{archive}{dot}{subject}"
    shown = text.strip()[:40]
    if len(value) > 40 or not _CATEGORY.fullmatch(value):
        raise WatchInvalid(f"“{shown}” is not an arXiv category: {CATEGORY_EXAMPLES}.")
    if archive in ARCHIVES_WITH_CLASSES and not subject:
        example = ARCHIVES_WITH_CLASSES[archive]
        raise WatchInvalid(
            f"“{archive}” is a whole archive: name one of its categories, like {example}."
        )
    if not (
        (archive in ARCHIVES_WITH_CLASSES and subject) or (archive in ARCHIVES_WHOLE and not dot)
    ):
        raise WatchInvalid(f"“{shown}” is not an arXiv category: {CATEGORY_EXAMPLES}.")
    return value


def clean_words(text: str, *, kind: str) -> str:
    """An author's name or a keyword: spaces collapsed, arXiv's query syntax refused."""
    value = " ".join(text.split())
    noun = "an author's name" if kind == "author" else "a keyword"
    if not value:
        raise WatchInvalid(f"Give {noun}.")
    if len(value) < VALUE_MIN:
        raise WatchInvalid(
            f"“{value}” is too short to watch: give {noun} of {VALUE_MIN} or more letters."
        )
    if len(value) > VALUE_MAX:
        raise WatchInvalid(f"That is {len(value)} characters; a watch is at most {VALUE_MAX}.")
    if _SYNTAX.search(value):
        raise WatchInvalid(
            f"Leave out quotes, brackets, colons and backslashes: give {noun} as plain words."
        )
    if kind == "keyword" and len(value.split()) > KEYWORD_WORDS_MAX:
        raise WatchInvalid(
            f"A keyword is at most {KEYWORD_WORDS_MAX} words (arXiv looks for them as one "
            "phrase); watch a shorter one."
        )
    return value


@dataclass(frozen=True)
class WatchSpec:
    kind: str
    value: str
    within: str = ""


def clean_watch(*, kind: str, value: str, within: str = "") -> WatchSpec:
    """The watch as it is stored, or WatchInvalid with the reason."""
    if kind == "category":
        if within.strip():
            raise WatchInvalid("A category is watched whole: leave “within” empty.")
        return WatchSpec(kind=kind, value=clean_category(value))
    if kind not in ("author", "keyword"):
        raise WatchInvalid("Choose what to watch: a category, an author or a keyword.")
    return WatchSpec(
        kind=kind,
        value=clean_words(value, kind=kind),
        within=clean_category(within) if within.strip() else "",
    )


def _term(spec: WatchSpec) -> str:
    if spec.kind == "category":
        return f"cat:{spec.value}"
    field = "au" if spec.kind == "author" else "all"
    term = f'{field}:"{spec.value}"' if " " in spec.value else f"{field}:{spec.value}"
    return f"{term} AND cat:{spec.within}" if spec.within else term


def _stamp(moment: datetime) -> str:
    """arXiv's submittedDate form, in GMT to the minute: 202612011830."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def search_query(spec: WatchSpec, *, since: datetime, until: datetime) -> str:
    """The one `search_query` of a run: the watch's term, submitted in [since, until]."""
    return f"{_term(spec)} AND submittedDate:[{_stamp(since)} TO {_stamp(until)}]"

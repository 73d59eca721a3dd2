"""Nearest papers by tf-idf: the arithmetic only, no database.

Each paper is two sparse vectors, its words (title twice, then the abstract;
English stop words out, words and pairs of words, sublinear counts) and its
authors (one token per surname and first initial), weighted and joined, so
two papers score by cosine similarity. A paper without an abstract is matched
on its title and authors alone, and its pairs are marked weak.

Memory stays flat in the club's size: the similarities are taken a block of
rows at a time (BLOCK × papers floats), never the whole square.
"""

import re
import unicodedata
from dataclasses import dataclass

WORDS_WEIGHT = 0.9
AUTHORS_WEIGHT = 0.45
BLOCK = 512
MAX_FEATURES = 100_000


@dataclass(frozen=True)
class Doc:
    key: int
    title: str
    abstract: str
    authors: tuple[str, ...]


@dataclass(frozen=True)
class Neighbour:
    key: int
    score: float
    weak: bool


def author_key(name: str) -> str:
    """ "Ashish Vaswani", "A. Vaswani", "Vaswani, Ashish" -> "vaswani a"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    if "," in text:
        last, _, first = text.partition(",")
    else:
        parts = text.split()
        last, first = (parts[-1], " ".join(parts[:-1])) if parts else ("", "")
    last = re.sub(r"[^a-z-]", "", last)
    initial = next((c for c in first if c.isalpha()), "")
    return f"{last} {initial}".strip()


WORD = re.compile(r"[a-z][a-z0-9]+")


def words_of(text: str) -> list[str]:
    """Lower-case words, hyphenated ones split ("self-attention" -> "self",
    "attention"), a plural's s taken off ("transformers" -> "transformer") so
    that one word in two forms counts as one."""
    found = []
    for word in WORD.findall(text.lower()):
        if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        found.append(word)
    return found


def _authors(doc: Doc) -> list[str]:
    return [key for key in dict.fromkeys(author_key(a) for a in doc.authors) if key]


def _vectors(docs: list[Doc]):
    """Each doc's row: its words and its authors, weighted, joined and
    normalised (so a dot product is the cosine). None when no doc has a word
    or an author."""
    # Imported here: scikit-learn takes a moment to load, and only the worker needs it.
    import numpy as np  # noqa: PLC0415
    from scipy.sparse import hstack  # noqa: PLC0415
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer  # noqa: PLC0415
    from sklearn.preprocessing import normalize  # noqa: PLC0415

    # The stop words as the tokenizer makes them ("perhaps" -> "perhap").
    stop_words = sorted(set(ENGLISH_STOP_WORDS) | set(words_of(" ".join(ENGLISH_STOP_WORDS))))
    texts = [f"{doc.title}. {doc.title}. {doc.abstract}" for doc in docs]
    words = TfidfVectorizer(
        stop_words=stop_words,
        strip_accents="unicode",
        lowercase=True,
        tokenizer=words_of,
        token_pattern=None,
        ngram_range=(1, 2),
        sublinear_tf=True,
        # A word in most of a big club's papers ("model", "learning") says little.
        max_df=0.5 if len(docs) >= 50 else 1.0,
        max_features=MAX_FEATURES,
        dtype=np.float32,
    )
    try:
        word_matrix = words.fit_transform(texts)
    except ValueError:  # no word at all survives (titles of stop words only)
        word_matrix = None
    author_lists = [_authors(doc) for doc in docs]
    matrices = [] if word_matrix is None else [word_matrix * WORDS_WEIGHT]
    if any(author_lists):
        people = TfidfVectorizer(analyzer=lambda keys: keys, sublinear_tf=True, dtype=np.float32)
        matrices.append(people.fit_transform(author_lists) * AUTHORS_WEIGHT)
    if not matrices:
        return None
    return normalize(hstack(matrices).tocsr())


def nearest(docs: list[Doc], *, k: int = 5, min_score: float = 0.04) -> dict[int, list[Neighbour]]:
    """Up to k nearest others of every doc, best first, each at least min_score."""
    if len(docs) < 2:
        return {doc.key: [] for doc in docs}
    import numpy as np  # noqa: PLC0415

    joined = _vectors(docs)
    if joined is None:
        return {doc.key: [] for doc in docs}
    has_abstract = np.array([bool(doc.abstract.strip()) for doc in docs])
    found: dict[int, list[Neighbour]] = {}
    take = min(k, len(docs) - 1)

    def by_score(j: int) -> tuple[float, int]:
        return (-float(scores[j]), docs[j].key)

    for start in range(0, len(docs), BLOCK):
        block = (joined[start : start + BLOCK] @ joined.T).toarray()
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -1.0  # never itself
        best = np.argpartition(-block, take - 1, axis=1)[:, :take]
        for row, candidates in enumerate(best):
            i = start + row
            scores = block[row]
            ordered = sorted(candidates, key=by_score)
            found[docs[i].key] = [
                Neighbour(
                    key=docs[j].key,
                    score=round(float(block[row, j]), 4),
                    weak=not (has_abstract[i] and has_abstract[j]),
                )
                for j in ordered
                if block[row, j] >= min_score
            ]
    return found


def nearest_in(
    history: list[Doc], candidates: list[Doc], *, min_score: float = 0.04
) -> list[Neighbour | None]:
    """For each candidate (in order), its nearest doc of `history` by the same
    vectors as `nearest`, or None when none scores at least min_score. The
    words are weighed over history and candidates together; candidates are
    never compared with each other."""
    if not history or not candidates:
        return [None] * len(candidates)
    joined = _vectors(history + candidates)
    if joined is None:
        return [None] * len(candidates)
    split = len(history)
    found: list[Neighbour | None] = []
    for start in range(0, len(candidates), BLOCK):
        block = (joined[split + start : split + start + BLOCK] @ joined[:split].T).toarray()
        for row, scores in enumerate(block):
            j = int(scores.argmax())
            candidate = candidates[start + row]
            if scores[j] < min_score:
                found.append(None)
                continue
            found.append(
                Neighbour(
                    key=history[j].key,
                    score=round(float(scores[j]), 4),
                    weak=not (candidate.abstract.strip() and history[j].abstract.strip()),
                )
            )
    return found

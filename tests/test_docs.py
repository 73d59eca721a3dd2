"""The contributor's docs point at files and functions that exist.

docs/architecture.md says where each rule lives ("`sessions/rota/facilitators.py`:
`session_claim`"); a rename that forgets the doc makes it send the next reader
to nothing. Paths are checked against the tree, names against the file named
just before them on the same line.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["docs/architecture.md", "CONTRIBUTING.md"]
PATH = re.compile(r"`((?:[\w.-]+/)+[\w.-]*)`")
FILE_THEN_NAMES = re.compile(r"`([\w/.-]+\.py)`: ((?:`\w+`(?:, | and |\s*\([^)]*\)\s*,?\s*)?)+)")


# A path inside a part's own row or list is written relative to it ("rota/").
PARTS = ["", "paperclub/", "clubs/", "papers/", "sessions/", "api/"]


def _exists(path: str) -> bool:
    return any((ROOT / part / path.rstrip("/")).exists() for part in PARTS)


def _paths(text: str) -> set[str]:
    return {match for match in PATH.findall(text) if not match.startswith(("http", "../"))}


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_a_doc_names_exists(doc):
    text = (ROOT / doc).read_text()
    paths = _paths(text)

    assert len(paths) > 5
    assert sorted(path for path in paths if not _exists(path)) == []


def test_every_function_the_architecture_names_is_in_its_file():
    text = (ROOT / "docs/architecture.md").read_text()
    missing = []
    pairs = 0
    for path, names in FILE_THEN_NAMES.findall(text):
        source = (ROOT / path).read_text()
        for name in re.findall(r"`(\w+)`", names):
            pairs += 1
            if not re.search(rf"\b{name}\b", source):
                missing.append(f"{path}: {name}")

    assert pairs > 10
    assert missing == []


def test_checker_notices_a_name_that_is_not_there():
    line = "`sessions/permissions.py`: `session_may_run`, `no_such_rule`"
    [(path, names)] = FILE_THEN_NAMES.findall(line)
    source = (ROOT / path).read_text()

    assert [n for n in re.findall(r"`(\w+)`", names) if not re.search(rf"\b{n}\b", source)] == [
        "no_such_rule"
    ]

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.papers.fake_arxiv import FakeArxiv

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fake_arxiv() -> Iterator[FakeArxiv]:
    """A local arXiv (API and PDFs) on 127.0.0.1, stopped after the test."""
    with FakeArxiv() as fake:
        yield fake


@pytest.fixture
def arxiv_fixture() -> Callable[[str], bytes]:
    """Read one of the project's own arXiv API answers from tests/papers/fixtures/."""

    def read(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return read

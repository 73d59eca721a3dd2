import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
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


_STAMP = re.compile(rb"<(published|updated)>([^<]+)</\1>")


def feed_as_of(feed: bytes, now: datetime) -> bytes:
    """The feed as arXiv would answer it at `now`: every <published> and <updated>
    moved by one amount, so the feed's own <updated> is `now` and its entries keep
    their spacing. For tests on the real clock, where the fixture's fixed dates
    fall out of a watch's first lookback as the calendar moves on."""
    own = re.search(rb"<updated>([^<]+)</updated>", feed)  # the feed's, before any entry's
    assert own is not None, "an Atom feed has an <updated>"
    shift = now.replace(microsecond=0) - datetime.fromisoformat(own[1].decode())

    def moved(stamp: re.Match[bytes]) -> bytes:
        at = (datetime.fromisoformat(stamp[2].decode()) + shift).astimezone(UTC)
        return b"<%s>%s</%s>" % (stamp[1], at.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), stamp[1])

    return _STAMP.sub(moved, feed)

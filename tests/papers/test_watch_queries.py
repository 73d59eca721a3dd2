"""What a watch may be (papers.watch.queries): clear reasons for bad input, and the query sent."""

from datetime import UTC, datetime

import pytest

from papers.watch.queries import WatchInvalid, WatchSpec, clean_watch, search_query


@pytest.mark.parametrize(
    ("kind", "value", "within", "stored"),
    [
        ("category", "cs.CL", "", WatchSpec("category", "cs.CL")),
        ("category", " cs.cl ", "", WatchSpec("category", "cs.CL")),
        ("category", "hep-th", "", WatchSpec("category", "hep-th")),
        ("category", "astro-ph.CO", "", WatchSpec("category", "astro-ph.CO")),
        ("category", "physics.acc-ph", "", WatchSpec("category", "physics.acc-ph")),
        ("author", "  Yoshua   Bengio ", "", WatchSpec("author", "Yoshua Bengio")),
        ("keyword", "retrieval", "cs.ir", WatchSpec("keyword", "retrieval", "cs.IR")),
    ],
)
def test_a_watch_is_stored_tidied(kind, value, within, stored):
    assert clean_watch(kind=kind, value=value, within=within) == stored


@pytest.mark.parametrize(
    ("kind", "value", "within", "reason"),
    [
        ("category", "", "", "Give a category: write it as arXiv does, like cs.CL"),
        ("category", "cs CL", "", "“cs CL” is not an arXiv category: write it as arXiv does"),
        ("category", "Computation and Language", "", "is not an arXiv category"),
        ("category", "cs.CL", "cs.LG", "A category is watched whole"),
        ("author", "   ", "", "Give an author's name."),
        ("keyword", "x", "", "“x” is too short to watch"),
        ("keyword", "a" * 101, "", "That is 101 characters; a watch is at most 100."),
        ("keyword", 'large "language" models', "", "Leave out quotes, brackets, colons"),
        ("author", "au:Bengio", "", "Leave out quotes, brackets, colons"),
        ("keyword", "one two three four five six seven", "", "A keyword is at most 6 words"),
        ("keyword", "retrieval", "information retrieval", "is not an arXiv category"),
        ("tag", "cs.CL", "", "Choose what to watch"),
        ("category", "cs", "", "“cs” is a whole archive: name one of its categories, like cs.CL."),
        ("category", "ir", "", "“ir” is not an arXiv category"),
        ("category", "hep-th.XY", "", "“hep-th.XY” is not an arXiv category"),
    ],
)
def test_a_bad_watch_is_refused_with_the_reason(kind, value, within, reason):
    with pytest.raises(WatchInvalid) as error:
        clean_watch(kind=kind, value=value, within=within)
    assert reason in str(error.value)


SINCE = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "term"),
    [
        (WatchSpec("category", "cs.CL"), "cat:cs.CL"),
        (WatchSpec("author", "Yoshua Bengio"), 'au:"Yoshua Bengio"'),
        (WatchSpec("keyword", "retrieval"), "all:retrieval"),
        (
            WatchSpec("keyword", "state space models", "cs.LG"),
            'all:"state space models" AND cat:cs.LG',
        ),
    ],
)
def test_the_search_query_is_the_term_since_the_last_run(spec, term):
    assert search_query(spec, since=SINCE, until=UNTIL) == (
        f"{term} AND submittedDate:[202611300600 TO 202612010630]"
    )

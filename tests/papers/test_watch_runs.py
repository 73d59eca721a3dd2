"""The arXiv watch's daily run (papers.watch.runs) against the loopback fake arXiv.

The app's clock is passed in (NOW), so days pass in a moment; the retry
spacing is the production one, and the request-spacing test keeps arXiv's
slot of one request every 3 real seconds, which the suite's settings
otherwise leave at 0.
"""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from papers.identifiers import normalize_title
from papers.models import Nomination, Suggestion, Watch
from papers.watch import runs
from tests.factories import NominationFactory, PaperFactory, SuggestionFactory, WatchFactory
from tests.papers.conftest import feed_as_of
from tests.papers.fake_arxiv import atom_entry, atom_feed, entries_from_feed

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def arxiv(fake_arxiv, settings, arxiv_fixture):
    settings.ARXIV_API_URL = fake_arxiv.api_url
    assert settings.ARXIV_RETRY_BASE_SECONDS == 20.0  # the production spacing
    assert settings.WATCH_MAX_PER_RUN == 50
    fake_arxiv.add_feed_entries(arxiv_fixture("search_cat_cs.CL_newest.xml"))
    return fake_arxiv


def _searches(fake) -> list[dict[str, str]]:
    return [r.params for r in fake.requests if "search_query" in r.params]


def _sweep(at: datetime = NOW):
    return runs.watches_sweep(now=at)


def _suggested(club, owner=None) -> list[str]:
    return list(
        Suggestion.objects.filter(club=club, owner=owner)
        .order_by("-score", "-published_at")
        .values_list("arxiv_id", flat=True)
    )


def test_a_run_asks_one_search_query_newest_first_since_the_last_run(arxiv, club):
    watch = WatchFactory(club=club, value="cs.CL")

    assert [o.ok for o in _sweep()] == [True]
    watch.refresh_from_db()
    assert _searches(arxiv) == [
        {
            "search_query": "cat:cs.CL AND submittedDate:[202611240600 TO 202612010600]",
            "sortBy": "submittedDate",
            "sortOrder": "descending",
            "start": "0",
            "max_results": "50",
        }
    ]
    assert sorted(_suggested(club)) == ["2611.27003", "2611.29871", "2611.30412"]
    assert (watch.last_success_at, watch.last_matched, watch.last_suggested) == (NOW, 3, 3)
    assert watch.next_run_at == NOW + timedelta(hours=24)

    # Not due again before a day has passed.
    assert _sweep(NOW + timedelta(hours=23)) == []
    # A day later: one paper is new since the last run, the rest were offered before.
    arxiv.add_entry(
        "2612.00101",
        atom_entry("2612.00101v1", categories=["cs.CL"], published="2026-12-01T11:00:00Z"),
    )
    later = NOW + timedelta(hours=24)
    assert [(o.ok, o.matched, o.suggested) for o in _sweep(later)] == [(True, 1, 1)]
    assert _searches(arxiv)[-1]["search_query"] == (
        "cat:cs.CL AND submittedDate:[202612010600 TO 202612020600]"
    )
    assert Suggestion.objects.filter(club=club).count() == 4


def test_what_the_club_has_read_or_was_offered_is_dropped(arxiv, club, member):
    # Has it: the same arXiv work, another version (the club asked for v2).
    covered = NominationFactory(
        club=club,
        state=Nomination.State.COVERED,
        paper=PaperFactory(club=club, arxiv_id="2611.30412", arxiv_version=2, title="Sparse"),
    )
    # Has it under its title (added by link, no arXiv id).
    PaperFactory(
        club=club,
        title="A benchmark of discourse coherence in long-form summaries!",
        title_key=normalize_title("A benchmark of discourse coherence in long-form summaries!"),
        url="https://example.org/coherence",
    )
    # Muted for the club on an earlier run (by a watch since removed).
    SuggestionFactory(
        club=club, arxiv_id="2611.27003", state=Suggestion.State.MUTED, watch=None, watch_label="x"
    )
    WatchFactory(club=club, value="cs.CL")

    _sweep()

    assert _suggested(club) == ["2611.27003"]  # only the muted row, nothing new
    assert Suggestion.objects.get(club=club).state == Suggestion.State.MUTED
    assert covered.paper.arxiv_id == "2611.30412"

    # A member's own watch skips what the club has and what it muted for the club.
    WatchFactory(club=club, owner=member, kind=Watch.Kind.KEYWORD, value="speech")
    WatchFactory(club=club, owner=member, kind=Watch.Kind.AUTHOR, value="Aiko Tanaka")
    WatchFactory(club=club, owner=member, kind=Watch.Kind.KEYWORD, value="adapters")
    _sweep()
    assert _suggested(club, owner=member) == []
    assert sorted(p["search_query"].split(" AND ")[0] for p in _searches(arxiv)[1:]) == [
        "all:adapters",
        "all:speech",
        'au:"Aiko Tanaka"',
    ]


def test_the_title_key_of_a_club_paper_drops_the_suggestion(arxiv, club):
    PaperFactory(
        club=club,
        title="Tokenizer-free speech translation",
        title_key=normalize_title("Tokenizer-free speech translation"),
        url="https://example.org/tfst",
    )
    WatchFactory(club=club, value="cs.CL")
    _sweep()
    assert sorted(_suggested(club)) == ["2611.29871", "2611.30412"]


def _history(club):
    def read(title, abstract, authors, state=Nomination.State.COVERED):
        paper = PaperFactory(club=club, title=title, abstract=abstract, authors=authors)
        return NominationFactory(club=club, paper=paper, state=state)

    return {
        "lora": read(
            "LoRA: Low-Rank Adaptation of Large Language Models",
            "We freeze the pretrained model weights and inject trainable rank decomposition "
            "matrices into each layer, greatly reducing the number of trainable parameters "
            "for fine-tuning language models.",
            ["Edward Hu", "Yelong Shen"],
        ),
        "gnn": read(
            "Neural Message Passing for Quantum Chemistry",
            "Message passing neural networks learn on molecular graphs and predict quantum "
            "chemical properties of molecules.",
            ["Justin Gilmer", "George Dahl"],
            state=Nomination.State.PROPOSED,
        ),
        "vision": read(
            "An Image is Worth 16x16 Words: Transformers for Image Recognition",
            "A pure transformer applied to sequences of image patches performs very well on "
            "image classification.",
            ["Alexey Dosovitskiy"],
        ),
    }


def test_suggestions_are_ranked_against_the_club_history(arxiv, club):
    history = _history(club)
    entries = [
        atom_entry(
            "2611.40001v1",
            title="Medieval Crop Rotation in Northern Europe",
            summary="Field records of rye and barley harvests from monastic estates.",
            authors=["Hild Aldersdottir"],
            categories=["cs.CL"],
            published="2026-11-30T12:00:00Z",
        ),
        atom_entry(
            "2611.40002v1",
            title="Graph Message Passing Networks for Molecular Property Prediction",
            summary="Message passing on molecular graphs predicts chemical properties of "
            "molecules.",
            authors=["Rui Zhang"],
            categories=["cs.CL"],
            published="2026-11-29T12:00:00Z",
        ),
        atom_entry(
            "2611.40003v1",
            title="Low-Rank Adaptation with Sparse Rank Decomposition Matrices",
            summary="Trainable low-rank decomposition matrices for fine-tuning large language "
            "models with few trainable parameters.",
            authors=["Edward Hu"],
            categories=["cs.CL"],
            published="2026-11-28T12:00:00Z",
        ),
    ]
    arxiv.queue(body=atom_feed(entries, max_results=50))
    WatchFactory(club=club, value="cs.CL")

    _sweep()

    rows = {s.arxiv_id: s for s in Suggestion.objects.filter(club=club)}
    assert rows["2611.40003"].near_id == history["lora"].pk
    assert rows["2611.40002"].near_id == history["gnn"].pk
    assert rows["2611.40001"].near_id is None
    assert rows["2611.40001"].score == 0.0
    # The nearest to the club's history first; the unrelated (and newest) one last.
    assert _suggested(club)[-1] == "2611.40001"
    assert min(rows["2611.40003"].score, rows["2611.40002"].score) > 0.1
    assert rows["2611.40003"].watch_label == "category cs.CL"


def test_a_watch_that_matches_nothing_says_so_with_when_it_last_ran(arxiv, club):
    watch = WatchFactory(club=club, kind=Watch.Kind.AUTHOR, value="Nobody Atall")

    [outcome] = _sweep()

    watch.refresh_from_db()
    assert (outcome.ok, outcome.matched, outcome.suggested) == (True, 0, 0)
    assert (watch.last_success_at, watch.last_matched, watch.last_capped) == (NOW, 0, False)


def test_a_watch_matching_thousands_a_day_is_capped_with_a_message(arxiv, club):
    entries = [
        atom_entry(
            f"2611.{50000 + n}v1",
            title=f"Paper number {n}",
            categories=["cs.LG"],
            published=(NOW - timedelta(minutes=n + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for n in range(50)
    ]
    arxiv.queue(body=atom_feed(entries, max_results=50, total=3_412))
    watch = WatchFactory(club=club, value="cs.LG")

    [outcome] = _sweep()

    watch.refresh_from_db()
    assert _searches(arxiv)[0]["max_results"] == "50"
    assert (outcome.matched, outcome.suggested) == (3_412, 50)
    assert (watch.last_matched, watch.last_suggested, watch.last_capped) == (3_412, 50, True)


FAULTS = {
    "503": {"status": 503, "body": "<html>Service Unavailable</html>"},
    "500": {"status": 500, "body": "Internal Server Error"},
    "malformed": {"status": 200, "body": "<html><body>Not a feed</body></html>"},
    "cut-off": {"status": 200, "body": atom_feed([])[:200]},
    "empty-but-counted": {"status": 200, "body": atom_feed([], total=12)},
}


def _fault_then_recovery(arxiv, club, **fault):
    watch = WatchFactory(club=club, value="cs.CL")
    arxiv.queue(**fault)

    [failed] = _sweep()

    watch.refresh_from_db()
    assert failed.ok is False
    assert Suggestion.objects.filter(club=club).count() == 0  # nothing half-written
    assert watch.last_success_at is None  # the "since" mark did not move
    assert watch.failures == 1
    assert watch.last_error.endswith("Trying again automatically.")
    # Retried later: the production backoff (its first step is 10-20 s), not tomorrow.
    retry_in = watch.next_run_at - NOW
    assert timedelta(seconds=10) <= retry_in <= timedelta(seconds=20)
    assert _sweep(NOW + timedelta(seconds=5)) == []

    [ok] = _sweep(watch.next_run_at)

    watch.refresh_from_db()
    assert ok.ok is True
    assert sorted(_suggested(club)) == ["2611.27003", "2611.29871", "2611.30412"]
    assert (watch.failures, watch.last_error, watch.failing_since) == (0, "", None)
    # Both runs asked for the same window: the mark had stayed.
    first, second = [p["search_query"] for p in _searches(arxiv)]
    assert first.split(" TO ")[0] == second.split(" TO ")[0]
    return failed


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_arxiv_failing_during_the_run_is_retried_later_and_nothing_is_half_written(
    arxiv, club, name
):
    _fault_then_recovery(arxiv, club, **FAULTS[name])


def test_arxiv_timing_out_during_the_run_is_retried_later(arxiv, club, settings):
    # A real timeout: arXiv answers a second after the client's production limit.
    assert settings.ARXIV_TIMEOUT_SECONDS == 15.0
    failed = _fault_then_recovery(
        arxiv, club, body=atom_feed([]), delay=settings.ARXIV_TIMEOUT_SECONDS + 1
    )
    assert "did not answer in time" in failed.error


def test_a_run_that_breaks_while_storing_keeps_nothing(arxiv, club, monkeypatch):
    watch = WatchFactory(club=club, value="cs.CL")

    def boom(message, *args):
        if args and args[0] == watch.pk:
            raise RuntimeError("the worker died here")

    # Raised after the suggestions and the watch's new mark were written, for one watch.
    monkeypatch.setattr(runs.log, "info", boom)
    other = WatchFactory(club=club, kind=Watch.Kind.AUTHOR, value="Nobody Atall")
    outcomes = _sweep()

    # The broken run is reported; the sweep went on to the next watch.
    assert [(o.watch_id, o.ok) for o in outcomes] == [(watch.pk, False), (other.pk, True)]

    watch.refresh_from_db()
    assert Suggestion.objects.filter(club=club).count() == 0
    assert (watch.last_success_at, watch.last_suggested) == (None, 0)
    # Leased while it ran: a later sweep takes it again.
    assert watch.next_run_at == NOW + runs.RUN_LEASE
    monkeypatch.undo()
    assert [o.ok for o in _sweep(NOW + runs.RUN_LEASE)] == [True]


def test_arxiv_refusing_the_query_waits_for_tomorrow(arxiv, club):
    from tests.papers.fake_arxiv import error_feed  # noqa: PLC0415

    watch = WatchFactory(club=club, value="cs.CL")
    arxiv.queue(status=400, body=error_feed("malformed query"))

    [failed] = _sweep()

    watch.refresh_from_db()
    assert failed.ok is False
    assert watch.last_error == "arXiv refused this watch's query: malformed query."
    assert watch.next_run_at == NOW + timedelta(hours=24)


def test_watches_take_the_shared_arxiv_slot_three_seconds_apart(arxiv, club, member, settings):
    settings.ARXIV_MIN_INTERVAL_SECONDS = 3  # arXiv's own rule, not the suite's 0
    WatchFactory(club=club, value="cs.CL")
    WatchFactory(club=club, kind=Watch.Kind.KEYWORD, value="speech")
    WatchFactory(club=club, owner=member, kind=Watch.Kind.AUTHOR, value="Aiko Tanaka")

    outcomes = runs.watches_sweep()  # the real clock

    assert [o.ok for o in outcomes] == [True, True, True]
    arrivals = [r.received_at for r in arxiv.requests]
    assert len(arrivals) == 3
    # The slot is taken 3 s apart; arrivals differ from that only by loopback latency.
    assert all(b - a >= 2.95 for a, b in itertools.pairwise(arrivals))
    assert Suggestion.objects.values("owner").annotate(n=Count("pk")).count() == 2


def test_the_fixture_is_a_search_page_in_arxivs_layout(arxiv_fixture):
    entries = entries_from_feed(arxiv_fixture("search_cat_cs.CL_newest.xml"))
    assert list(entries) == ["2611.30412", "2611.29871", "2611.27003"]


def test_a_feed_as_of_a_later_day_keeps_its_papers_and_their_spacing(arxiv_fixture):
    feed = arxiv_fixture("search_cat_cs.CL_newest.xml")
    later = datetime(2027, 3, 1, 6, 0, 4, tzinfo=UTC)  # 90 days after the feed's <updated>

    moved = feed_as_of(feed, later)

    assert b"<updated>2027-03-01T06:00:04Z</updated>" in moved
    assert b"<published>2027-02-28T17:59:58Z</published>" in moved  # was 2026-11-30
    assert b"<published>2027-02-24T20:30:00Z</published>" in moved  # was 2026-11-26
    assert b"2026-" not in moved
    assert list(entries_from_feed(moved)) == list(entries_from_feed(feed))


def test_the_daily_job_is_on_the_beat_schedule_and_the_embedded_beat_runs_it(
    arxiv, arxiv_fixture, club
):
    from paperclub.celery_app import app  # noqa: PLC0415
    from paperclub.embedded_beat import entries_from_settings  # noqa: PLC0415

    # On the real clock: the same papers, published as lately as the fixture's were.
    arxiv.add_feed_entries(feed_as_of(arxiv_fixture("search_cat_cs.CL_newest.xml"), timezone.now()))
    watch = WatchFactory(club=club, value="cs.CL")
    [entry] = [e for e in entries_from_settings() if e.task == "papers.sweep_watches"]
    assert entry.schedule.run_every == timedelta(minutes=10)

    # What the embedded beat's run_entry does (and celery beat's worker), minus
    # closing the connection, which the test's transaction holds.
    app.tasks[entry.task].apply(args=entry.args, kwargs=entry.kwargs, throw=True)

    watch.refresh_from_db()
    assert watch.last_success_at is not None
    assert sorted(_suggested(club)) == ["2611.27003", "2611.29871", "2611.30412"]

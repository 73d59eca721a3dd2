"""Issue 17 item 1: related papers on a small hand-built history where the
right answer is known, computed by the worker's rebuild and read by the page."""

import itertools
import time
from datetime import date

import pytest
from django.urls import reverse

from papers import proposing, services
from papers.models import Nomination, RelatedIndex, RelatedPaper
from papers.related import index
from papers.related.services import related_changed, related_due_club_ids, related_rebuild
from tests.celery_worker import running_worker
from tests.factories import ClubFactory, MembershipFactory, NominationFactory, PaperFactory
from tests.papers.fake_arxiv import atom_entry

pytestmark = pytest.mark.django_db

# Three corners of a club's history, two or three papers each: every paper's
# nearest are the others of its corner.
HISTORY = {
    "attention": [
        (
            "Attention Is All You Need",
            "The Transformer dispenses with recurrence and convolutions entirely, relying on "
            "self-attention layers for sequence transduction and machine translation.",
            ["Ashish Vaswani", "Noam Shazeer"],
        ),
        (
            "Generating Long Sequences with Sparse Transformers",
            "Sparse factorizations of the self-attention matrix let Transformers model long "
            "sequences of text, images and audio.",
            ["Rewon Child", "Ilya Sutskever"],
        ),
        (
            "Longformer: The Long-Document Transformer",
            "An attention mechanism that scales linearly with sequence length makes "
            "Transformers process long documents; local windowed self-attention.",
            ["Iz Beltagy"],
        ),
    ],
    "vision": [
        (
            "Deep Residual Learning for Image Recognition",
            "Residual networks with shortcut connections ease the training of very deep "
            "convolutional networks for image classification on ImageNet.",
            ["Kaiming He", "Xiangyu Zhang"],
        ),
        (
            "Densely Connected Convolutional Networks",
            "Dense connections between every layer of a convolutional network improve image "
            "classification on ImageNet with fewer parameters than residual networks.",
            ["Gao Huang"],
        ),
    ],
    "rl": [
        (
            "Playing Atari with Deep Reinforcement Learning",
            "A Q-learning agent learns control policies for Atari games from raw pixels, "
            "with experience replay; reinforcement learning from rewards.",
            ["Volodymyr Mnih"],
        ),
        (
            "Proximal Policy Optimization Algorithms",
            "Policy gradient methods for reinforcement learning that alternate sampling from "
            "the environment and optimizing a clipped surrogate objective; Atari and control.",
            ["John Schulman"],
        ),
    ],
}


def _history(club, *, covered_on=date(2026, 3, 3)):
    made = {}
    for corner, papers in HISTORY.items():
        for position, (title, abstract, authors) in enumerate(papers):
            state = Nomination.State.COVERED if position == 0 else Nomination.State.PROPOSED
            made[title] = NominationFactory(
                club=club,
                state=state,
                covered_on=covered_on if state == Nomination.State.COVERED else None,
                paper=PaperFactory(club=club, title=title, abstract=abstract, authors=authors),
            )
            made[title].corner = corner
    return made


def _corner_of(nominations, pk):
    return next(n.corner for n in nominations.values() if n.pk == pk)


def test_every_papers_nearest_are_the_others_of_its_corner(club):
    made = _history(club)

    related_rebuild(club_id=club.pk, force=True)

    for nomination in made.values():
        corner_size = len(HISTORY[nomination.corner]) - 1
        rows = list(RelatedPaper.objects.filter(nomination=nomination).order_by("rank"))
        top = [_corner_of(made, row.related_id) for row in rows[:corner_size]]
        assert top == [nomination.corner] * corner_size, nomination.paper.title
        assert [row.rank for row in rows] == list(range(1, len(rows) + 1))
        assert all(a.score >= b.score for a, b in itertools.pairwise(rows))
        assert not any(row.weak for row in rows)


def test_a_paper_without_abstract_is_related_by_title_and_authors_and_marked_weak(club):
    made = _history(club)
    # Same first author as the ResNet paper, and a title of that corner; no abstract yet.
    bare = NominationFactory(
        club=club,
        paper=PaperFactory(
            club=club, title="Identity Mappings in Deep Residual Networks", authors=["Kaiming He"]
        ),
    )

    related_rebuild(club_id=club.pk, force=True)

    first = RelatedPaper.objects.filter(nomination=bare).order_by("rank").first()
    assert first.related == made["Deep Residual Learning for Image Recognition"]
    assert first.weak
    # Its pairs are weak from the other side too.
    assert RelatedPaper.objects.get(nomination=first.related, related=bare).weak


def test_authors_alone_relate_two_papers(club):
    a = NominationFactory(
        club=club, paper=PaperFactory(club=club, title="Zebra", authors=["Ada Lovelace"])
    )
    b = NominationFactory(
        club=club, paper=PaperFactory(club=club, title="Quokka", authors=["A. Lovelace"])
    )
    NominationFactory(club=club, paper=PaperFactory(club=club, title="Wombat", authors=["X Y"]))

    related_rebuild(club_id=club.pk, force=True)

    assert list(RelatedPaper.objects.filter(nomination=a).values_list("related", flat=True)) == [
        b.pk
    ]


def test_only_the_clubs_own_backlog_and_archive_are_related(club):
    made = _history(club)
    other = ClubFactory()
    stranger = NominationFactory(
        club=other,
        paper=PaperFactory(club=other, title="Attention Is All You Need", abstract="Attention."),
    )
    archived = made["Densely Connected Convolutional Networks"]
    archived.state = Nomination.State.ARCHIVED
    archived.save()

    related_rebuild(club_id=club.pk, force=True)
    related_rebuild(club_id=other.pk, force=True)

    ids = set(RelatedPaper.objects.filter(club=club).values_list("related", flat=True))
    assert stranger.pk not in ids
    assert archived.pk not in ids
    assert not RelatedPaper.objects.filter(nomination=archived).exists()
    assert not RelatedPaper.objects.filter(club=other).exists()  # one paper: nothing near it


def test_a_paper_arriving_rebuilds_after_commit_and_a_burst_costs_one_build(
    club, django_capture_on_commit_callbacks
):
    made = _history(club)
    related_rebuild(club_id=club.pk, force=True)
    member = MembershipFactory(club=club).user

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        proposing.paper_propose(
            club=club, user=member, title="Efficient Transformers: Sparse Attention for Long Text"
        )
        proposing.paper_propose(club=club, user=member, title="Another Transformer")
    added = Nomination.objects.get(paper__title__startswith="Efficient Transformers")
    assert not RelatedPaper.objects.filter(nomination=added).exists()  # not before commit
    assert related_due_club_ids() == [club.pk]

    builds = [related_rebuild(club_id=club.pk) for _ in callbacks]  # what the doorbells do
    for callback in callbacks:
        callback()  # the real tasks (eager here): nothing left to do

    assert sum(b is not None for b in builds) == 1
    assert related_due_club_ids() == []
    assert RelatedIndex.objects.get(club=club).papers == len(made) + 2
    near = RelatedPaper.objects.filter(nomination=added).order_by("rank").first()
    assert _corner_of(made, near.related_id) == "attention"
    assert near.weak  # no abstract yet: a title typed by hand


def test_an_abstract_arriving_asks_for_a_rebuild(club, django_capture_on_commit_callbacks):
    nomination = NominationFactory(club=club)
    RelatedIndex.objects.create(club=club, built_at=nomination.created_at)
    RelatedIndex.objects.filter(club=club).update(requested_at=nomination.created_at)
    assert related_due_club_ids() == []

    with django_capture_on_commit_callbacks(execute=True):
        related_changed(club_ids=[club.pk])

    assert RelatedIndex.objects.get(club=club).built_at > nomination.created_at


def test_the_paper_page_shows_related_papers_and_when_the_club_read_them(client, club):
    made = _history(club)
    related_rebuild(club_id=club.pk, force=True)
    sparse = made["Generating Long Sequences with Sparse Transformers"]

    html = client.get(reverse("papers:nomination", args=[club.slug, sparse.pk])).content.decode()

    assert "Related in this club" in html
    assert "Attention Is All You Need" in html
    assert "read on 3 Mar 2026" in html
    # Related, yet not closely: no notice.
    assert "The club read a closely related paper" not in html


def test_the_paper_page_says_when_related_papers_are_not_worked_out_yet(client, club):
    nomination = NominationFactory(club=club)

    html = client.get(reverse("papers:nomination", args=[club.slug, nomination.pk])).content
    assert b"No related papers in this club yet" in html


def test_proposing_a_paper_near_one_the_club_read_says_so(client, club):
    made = _history(club)
    read = made["Generating Long Sequences with Sparse Transformers"]
    read.state, read.covered_on = Nomination.State.COVERED, date(2026, 3, 3)
    read.save()
    related_rebuild(club_id=club.pk, force=True)
    member = MembershipFactory(club=club).user
    client.force_login(member)

    # Transactions commit in this test's atomic block only at its end, so the
    # worker's rebuild is run by hand, as the doorbell would after commit.
    response = client.post(
        reverse("papers:propose", args=[club.slug]),
        {
            "title": "Sparse Attention Transformers for Long Sequences",
            "url": "https://example.org/sparse-long.pdf",
        },
    )
    assert response.status_code == 302
    related_rebuild(club_id=club.pk)
    page = client.get(response["Location"]).content.decode()

    assert "The club read a closely related paper on 3 Mar 2026" in page
    assert "weaker match" in page


def test_the_index_handles_tiny_and_wordless_clubs():
    assert index.nearest([]) == {}
    assert index.nearest([index.Doc(1, "A", "", ())]) == {1: []}
    found = index.nearest([index.Doc(1, "the", "", ()), index.Doc(2, "of", "", ())])
    assert found == {1: [], 2: []}


def test_author_names_in_every_spelling_are_one_person():
    assert {index.author_key(n) for n in ["Ashish Vaswani", "A. Vaswani", "Vaswani, Ashish"]} == {
        "vaswani a"
    }


def test_a_deleted_nomination_takes_its_related_rows_with_it(club):
    made = _history(club)
    related_rebuild(club_id=club.pk, force=True)
    gone = made["Longformer: The Long-Document Transformer"]

    services.nomination_delete(nomination=gone)

    assert not RelatedPaper.objects.filter(related_id=gone.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_relates_papers_once_their_abstracts_arrive(
    fake_arxiv, django_capture_on_commit_callbacks
):
    """Proposed by id, fetched from the local arXiv by a real worker on Redis:
    the fetch rings the rebuild, which relates them on their abstracts."""
    for arxiv_id, (title, abstract, authors) in {
        "1706.03762": HISTORY["attention"][0],
        "1904.10509": HISTORY["attention"][1],
        "1512.03385": HISTORY["vision"][0],
    }.items():
        fake_arxiv.add_entry(
            arxiv_id, atom_entry(f"{arxiv_id}v1", title=title, authors=authors, summary=abstract)
        )
    club = ClubFactory()
    member = MembershipFactory(club=club).user
    with running_worker(
        ARXIV_API_URL=fake_arxiv.api_url,
        ARXIV_PDF_URL=fake_arxiv.pdf_url,
        # No wait for a batch to gather: the fetch is one batch already.
        RELATED_REBUILD_DELAY_SECONDS=0,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            services.papers_propose(club=club, user=member, text="1706.03762 1904.10509 1512.03385")

        def related_with_abstracts():
            rows = RelatedPaper.objects.filter(club=club, nomination__paper__arxiv_id="1706.03762")
            return rows.exists() and not any(r.weak for r in rows)

        deadline = time.monotonic() + 60
        while not related_with_abstracts() and time.monotonic() < deadline:
            time.sleep(0.25)
        assert related_with_abstracts()
    first = (
        RelatedPaper.objects.filter(club=club, nomination__paper__arxiv_id="1706.03762")
        .order_by("rank")
        .first()
    )
    assert first.related.paper.arxiv_id == "1904.10509"
    assert related_due_club_ids() == []

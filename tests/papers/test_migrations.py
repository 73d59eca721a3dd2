"""The migration that gives every paper one club, run on data of the old shape."""

from datetime import UTC, datetime

import pytest

from tests.migrating import apps_before, migrate

BEFORE = [("papers", "0005_backlog_stamp_and_hot_votes")]
AFTER = [("papers", "0007_paper_club_required")]


@pytest.fixture
def old_apps(transactional_db):
    yield from apps_before(BEFORE)


def test_shared_papers_become_one_per_club_with_guides_notes_and_ticks(old_apps):
    User = old_apps.get_model("auth", "User")
    Club = old_apps.get_model("clubs", "Club")
    Membership = old_apps.get_model("clubs", "Membership")
    Paper = old_apps.get_model("papers", "Paper")
    Nomination = old_apps.get_model("papers", "Nomination")
    ReadingGuide = old_apps.get_model("papers", "ReadingGuide")
    PaperNote = old_apps.get_model("papers", "PaperNote")
    GuideTick = old_apps.get_model("papers", "GuideTick")

    first, second = (Club.objects.create(name=n, slug=n) for n in ("first", "second"))
    both, only_first, nobody = (User.objects.create(username=n) for n in ("both", "one", "none"))
    for club, user in ((first, both), (second, both), (first, only_first)):
        Membership.objects.create(club=club, user=user, role="member", state="active")

    lora = Paper.objects.create(
        arxiv_id="2106.09685",
        arxiv_version=2,
        title="LoRA",
        published_at=datetime(2021, 6, 17, tzinfo=UTC),
        metadata_state="ready",
        doi="https://doi.org/10.48550/ARXIV.2106.09685",
    )
    link = Paper.objects.create(
        title="A private club's title", url="https://example.org/p", metadata_state="ready"
    )
    same_doi = Paper.objects.create(
        title="Journal version", url="https://example.org/j", doi="10.48550/arxiv.2106.09685"
    )
    kept_orphan = Paper.objects.create(title="Withdrawn", created_by=only_first)
    lost_orphan = Paper.objects.create(title="Nobody's", created_by=nobody)
    for paper, clubs in ((lora, (first, second)), (link, (second, first)), (same_doi, (first,))):
        for club in clubs:
            Nomination.objects.create(club=club, paper=paper)
    ReadingGuide.objects.create(paper=lora, abstract="We adapt.", headings=["1 Introduction"])
    for user in (both, only_first):
        PaperNote.objects.create(paper=lora, user=user, text=f"notes of {user.username}")
        GuideTick.objects.create(paper=lora, user=user, item="title")

    new_apps = migrate(AFTER)
    Paper = new_apps.get_model("papers", "Paper")
    Nomination = new_apps.get_model("papers", "Nomination")
    PaperNote = new_apps.get_model("papers", "PaperNote")
    GuideTick = new_apps.get_model("papers", "GuideTick")
    ReadingGuide = new_apps.get_model("papers", "ReadingGuide")

    # Each nomination points at its own club's row.
    assert all(n.paper.club_id == n.club_id for n in Nomination.objects.select_related("paper"))
    loras = {p.club_id: p for p in Paper.objects.filter(arxiv_id="2106.09685")}
    assert sorted(loras) == sorted([first.pk, second.pk])
    assert loras[first.pk].pk == lora.pk  # the first club keeps the row
    copy = loras[second.pk]
    assert (copy.title, copy.arxiv_version, copy.arxiv_latest_version, copy.year, copy.doi) == (
        "LoRA",
        2,
        2,
        2021,
        "10.48550/arxiv.2106.09685",
    )
    assert ReadingGuide.objects.get(paper=copy).headings == ["1 Introduction"]
    assert ReadingGuide.objects.get(paper=lora.pk).abstract == "We adapt."
    # Notes and ticks: all stay on the original; the copy has those of its club's members.
    assert sorted(PaperNote.objects.filter(paper=lora.pk).values_list("text", flat=True)) == [
        "notes of both",
        "notes of one",
    ]
    assert list(PaperNote.objects.filter(paper=copy).values_list("user_id", "text")) == [
        (both.pk, "notes of both")
    ]
    assert list(GuideTick.objects.filter(paper=copy).values_list("user_id", "item")) == [
        (both.pk, "title")
    ]
    # The link paper: the club that added it first (second) keeps it, the other gets a copy.
    links = dict(Paper.objects.filter(url="https://example.org/p").values_list("club_id", "pk"))
    assert links[second.pk] == link.pk
    assert sorted(links) == sorted([first.pk, second.pk])
    # A DOI twice in one club stays on the first paper only.
    assert Paper.objects.get(pk=same_doi.pk).doi == ""
    # A paper nobody lists goes to a club of whoever added it, or is gone.
    assert Paper.objects.get(pk=kept_orphan.pk).club_id == first.pk
    assert not Paper.objects.filter(pk=lost_orphan.pk).exists()

"""Topics are the organizers' list (papers.topics): a member's new topic is a
suggestion, kept on their paper and out of everyone's filter until an organizer
accepts or rejects it; topics already on the list stay as they are."""

import pytest
from django.urls import reverse

from papers import services, topics
from papers.errors import NotAllowed
from papers.models import Tag
from tests.factories import NominationFactory, TagFactory

pytestmark = pytest.mark.django_db


def _backlog(client, club):
    return client.get(reverse("papers:backlog", args=[club.slug]))


def _suggest(club, member, name: str) -> Tag:
    """A member proposes a paper under a topic the club does not have."""
    services.papers_propose(club=club, user=member, text="1706.03762", tag_names=[name])
    return Tag.objects.get(club=club, name=name)


def _filter_topics(response) -> list[str]:
    return [t.name for t in response.context["tags"]]


def test_a_members_new_topic_is_a_suggestion_out_of_the_filter(client, club, member):
    tag = _suggest(club, member, "Junk")
    assert (tag.name, tag.state, tag.suggested_by) == ("Junk", "suggested", member)
    client.force_login(member)
    response = _backlog(client, club)
    assert _filter_topics(response) == []
    assert ">Junk</a>" not in response.content.decode()  # not on the card either


def test_an_organizers_new_topic_joins_the_list_at_once(client, club, organizer):
    services.papers_propose(club=club, user=organizer, text="1706.03762", tag_names=["Vision"])
    assert Tag.objects.get(club=club).state == "accepted"
    client.force_login(organizer)
    assert _filter_topics(_backlog(client, club)) == ["Vision"]


def test_a_member_files_under_a_topic_on_the_list(club, member):
    listed = TagFactory(club=club, name="Vision", slug="vision")
    nomination = services.papers_propose(
        club=club, user=member, text="1706.03762", tag_names=["vision"]
    ).added[0]
    assert list(nomination.tags.all()) == [listed]
    listed.refresh_from_db()
    assert listed.state == "accepted"


def test_accepting_puts_the_topic_in_everyones_filter(client, club, organizer, member):
    tag = _suggest(club, member, "Robotics")
    client.force_login(organizer)
    page = client.get(reverse("papers:topics", args=[club.slug])).content.decode()
    assert "<strong>Robotics</strong>" in page
    response = client.post(reverse("papers:topic_decide", args=[club.slug, tag.pk, "accept"]))
    assert response.status_code == 302
    client.force_login(member)
    assert _filter_topics(_backlog(client, club)) == ["Robotics"]


def test_rejecting_takes_the_topic_off_its_papers(client, club, organizer, member):
    nomination = services.papers_propose(
        club=club, user=member, text="1706.03762", tag_names=["Junk", "Vision"]
    ).added[0]
    junk = Tag.objects.get(club=club, slug="junk")
    client.force_login(organizer)
    client.post(reverse("papers:topic_decide", args=[club.slug, junk.pk, "reject"]))
    assert list(nomination.tags.values_list("slug", flat=True)) == ["vision"]
    assert not Tag.objects.filter(pk=junk.pk).exists()


def test_a_member_cannot_decide_topics(club, member):
    tag = _suggest(club, member, "Junk")
    with pytest.raises(NotAllowed):
        topics.topic_accept(club=club, tag_id=tag.pk, by=member)
    tag.refresh_from_db()
    assert tag.state == "suggested"


def test_deciding_a_topic_twice_says_it_was_decided(client, club, organizer, member):
    tag = _suggest(club, member, "Junk")
    client.force_login(organizer)
    url = reverse("papers:topic_decide", args=[club.slug, tag.pk, "reject"])
    client.post(url, follow=True)  # the first answer's message is shown and done
    response = client.post(url, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "That suggestion is gone: another organizer decided it already."
    ]


def test_another_clubs_suggestion_is_neither_listed_nor_decided(client, club, organizer):
    theirs = TagFactory(club=NominationFactory().club, name="Theirs", state="suggested")
    client.force_login(organizer)
    client.post(reverse("papers:topic_decide", args=[club.slug, theirs.pk, "accept"]))
    theirs.refresh_from_db()
    assert theirs.state == "suggested"
    assert "Theirs" not in client.get(reverse("papers:topics", args=[club.slug])).content.decode()

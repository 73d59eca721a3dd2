"""Reads for clubs that the views rely on but show only in part."""

import pytest
from django.utils import timezone

from clubs import selectors
from clubs.models import Club, Membership
from tests.factories import ClubFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", ["active", "pending", "left"])
def test_membership_with_club_reads_the_membership_and_its_club_in_one_statement(
    state, django_assert_num_queries
):
    club = ClubFactory(description="Line one\n\nLine *two*")
    role = "organizer" if state == "active" else "member"  # organizers are active
    mine = MembershipFactory(club=club, role=role, state=state, joined_at=timezone.now())
    MembershipFactory(club=ClubFactory(), user=mine.user)  # another club of theirs

    with django_assert_num_queries(1):
        found = selectors.membership_with_club(slug=club.slug, user_id=mine.user_id)
        assert found.club.description == "Line one\n\nLine *two*"

    assert found == Membership.objects.get(pk=mine.pk)
    assert (found.state, found.role, found.joined_at) == (state, role, mine.joined_at)
    assert found.club == Club.objects.get(pk=club.pk)


def test_membership_with_club_is_none_for_another_club_or_a_stranger(club, member):
    other = ClubFactory()
    assert selectors.membership_with_club(slug=other.slug, user_id=member.pk) is None
    assert selectors.membership_with_club(slug=club.slug, user_id=UserFactory().pk) is None
    assert selectors.membership_with_club(slug="no-such-club", user_id=member.pk) is None


def test_members_without_a_display_name_are_found_by_the_name_they_show(club):
    plain = MembershipFactory(
        club=club, user=UserFactory(email="linus@kernel.example", profile__display_name="")
    ).user
    found = selectors.club_members(club=club, search="linu")
    assert [m.user_id for m in found] == [plain.pk]
    # The shown name is the address's part before the @, nothing after it.
    assert list(selectors.club_members(club=club, search="kernel")) == []
    assert [
        m.user_id for m in selectors.club_members(club=club, search="kernel", by_email=True)
    ] == [plain.pk]

import pytest

from tests.factories import ClubFactory, MembershipFactory, UserFactory


@pytest.fixture
def club(db):
    """A public, open club with one organizer."""
    club = ClubFactory()
    MembershipFactory(club=club, role="organizer")
    return club


@pytest.fixture
def organizer(club):
    return club.memberships.get(role="organizer").user


@pytest.fixture
def member(club):
    return MembershipFactory(club=club).user


@pytest.fixture
def outsider(db):
    return UserFactory()

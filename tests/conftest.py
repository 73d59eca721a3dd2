import pytest
from django.core.cache import cache

from tests.factories import ClubFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: on SQLite a rolled-back test's ids
    come round again, and cached lists of an old club must not be found."""
    cache.clear()
    yield
    cache.clear()


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

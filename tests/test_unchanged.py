"""The refusal tests' check, `unchanged()`, sees a write anywhere and lets reads pass."""

import re

import pytest

from clubs.models import Club
from papers.models import Nomination
from tests.factories import ClubFactory, NominationFactory, TagFactory
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db


def test_unchanged_lets_reads_pass():
    ClubFactory()
    with unchanged():
        assert Club.objects.count() == 1


@pytest.mark.parametrize(
    ("write", "tables"),
    [
        (lambda: ClubFactory(), "clubs.Club"),
        (lambda: Club.objects.update(name="Renamed"), "clubs.Club"),
        (lambda: Club.objects.filter(nominations__isnull=True).delete(), "clubs.Club"),
        # A many-to-many row: the tables Django makes for them are compared too.
        (lambda: Nomination.objects.get().tags.add(TagFactory()), "papers.Nomination_tags"),
    ],
    ids=["insert", "update", "delete", "many-to-many"],
)
def test_unchanged_fails_on_a_write(write, tables):
    NominationFactory()
    ClubFactory()
    with pytest.raises(AssertionError, match=re.escape(f"'{tables}'")), unchanged():
        write()

"""The backlog's lists (which nominations, in what order, how many) and its topic
counts, cached per club until the club's backlog changes.

Sorting a club's backlog is the expensive part of a backlog page: "trending"
scores every open nomination against the last month's votes, a search matches
through the full-text index. Yet a backlog changes only when someone proposes,
votes, pins, tags, archives or schedules, or a worker fills in a paper. So each
club has a *stamp* (BacklogStamp: a random token), replaced by every service
that makes such a change (papers.services, papers.fetching; the vote does it
in its transaction), and every cached list is keyed by it: a change makes
every list of that club a miss at once, with nothing to find and delete.

The stamp lives in the database and changes in the same transaction as the
rows, so a reader who reads the stamp first and the rows after can only cache
rows at least as new as the stamp says. A new random token (not a counter)
means lists cached for an older database with the same club ids are never
found either.

What a card shows (titles, names, badges, the viewer's vote) is not in these
lists: the page reads its own nominations fresh (papers.selectors.backlog_page).
The lists also expire after LIST_SECONDS as a safety net, and "trending" is
keyed by a five-minute slot too, since votes age out of its week and month by
the clock.
"""

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import time

from django.core.cache import cache

from .models import BacklogStamp

LIST_SECONDS = 15 * 60
TRENDING_SLOT_SECONDS = 5 * 60


def new_token() -> str:
    return uuid.uuid4().hex


def backlogs_changed(*, club_ids: Iterable[int]) -> None:
    """Every cached list of these clubs' backlogs is out of date from the moment
    the current transaction commits. Call it after making the change, in the
    same transaction (a service's @transaction.atomic)."""
    # One INSERT … ON CONFLICT DO UPDATE (a club that never changed has no row
    # yet), with the clubs in order so that two transactions lock them alike.
    BacklogStamp.objects.bulk_create(
        [BacklogStamp(club_id=club_id, token=new_token()) for club_id in sorted(set(club_ids))],
        update_conflicts=True,
        unique_fields=["club"],
        update_fields=["token"],
    )


def backlog_stamp(*, club_id: int) -> str:
    """The club's current token (every backlog page reads it)."""
    token = BacklogStamp.objects.filter(club_id=club_id).values_list("token", flat=True).first()
    # A club whose backlog never changed through a service has no row yet.
    return token or "none"


@dataclass(frozen=True)
class TagCount:
    slug: str
    name: str
    uses: int


def cached_lists(*, club, lists: dict[str, tuple[tuple, Callable[[], list]]]) -> dict:
    """Lists of plain values about this club's backlog as it is now, by name.

    `lists` maps a name to (params, compute): the params name the list (say a
    filter's fields), `compute()` makes it on a miss. The club's stamp makes
    each current (its creation time too, for a club that has no stamp yet); all
    of them are read from the cache at once."""
    stamp = backlog_stamp(club_id=club.pk)
    prefix = f"papers:backlog:{club.pk}:{stamp}:{club.created_at.timestamp()}:"
    keys = {
        name: prefix + hashlib.blake2b(repr((name, params)).encode(), digest_size=16).hexdigest()
        for name, (params, _) in lists.items()
    }
    found = cache.get_many(list(keys.values()))
    result, fresh = {}, {}
    for name, key in keys.items():
        if key in found:
            result[name] = found[key]
        else:
            result[name] = fresh[key] = lists[name][1]()
    if fresh:
        cache.set_many(fresh, LIST_SECONDS)
    return result


def trending_slot() -> int:
    return int(time() // TRENDING_SLOT_SECONDS)

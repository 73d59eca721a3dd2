"""The backlog's lists (which nominations, in what order, how many) and its topic
counts, cached per club until the club's backlog changes.

Sorting a club's backlog is the expensive part of a backlog page: "trending"
scores every open nomination against the last month's votes, a search matches
through the full-text index. Yet a backlog changes only when someone proposes,
votes, pins, tags, archives or schedules, or a worker fills in a paper. So each
club has a *stamp* in the cache, renewed by every service that makes such a
change (papers.services, papers.fetching), and every cached list is keyed by
it: a change makes every list of that club a miss at once, with nothing to
find and delete.

What a card shows (titles, names, badges, the viewer's vote) is not in these
lists: papers.cards keys each card by a digest of its rows, so a card is never
stale even if a change somehow left the stamp alone. The lists themselves
also expire after LIST_SECONDS as a safety net, and "trending" is keyed by a
five-minute slot too, since votes age out of its week and month by the clock.

Inside a transaction the stamp is renewed at once, so the transaction's own
reads see its change, and again after the commit: a reader who read the rows
before the commit may have cached them under the first new stamp, and the
second one leaves that behind. A rolled-back change costs one miss.

The cache must be shared by every process that serves or changes the club
(Redis in production, see the README); the embedded mode runs one process.
"""

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import time

from django.core.cache import cache
from django.db import transaction

LIST_SECONDS = 15 * 60
TRENDING_SLOT_SECONDS = 5 * 60


def _stamp_key(club_id: int) -> str:
    return f"papers:backlog-stamp:{club_id}"


def _renew(club_ids: list[int]) -> None:
    # One SET per club: usually one club, and a plain SET costs less than the
    # pipeline set_many builds.
    for pk in club_ids:
        cache.set(_stamp_key(pk), uuid.uuid4().hex, timeout=None)


def backlogs_changed(*, club_ids: Iterable[int]) -> None:
    """Every cached list of these clubs' backlogs is out of date from now on.

    Inside a transaction, call it once the change is made (anywhere before the
    commit); outside one (autocommit), call it after the change."""
    club_ids = sorted(set(club_ids))
    if not club_ids:
        return
    _renew(club_ids)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _renew(club_ids))


def backlog_stamp(*, club_id: int) -> str:
    stamp = cache.get(_stamp_key(club_id))
    if stamp is None:
        # First use, or evicted: any new value is safe, since lists under an
        # old stamp are never read again.
        cache.add(_stamp_key(club_id), uuid.uuid4().hex, timeout=None)
        stamp = cache.get(_stamp_key(club_id), "")
    return stamp


@dataclass(frozen=True)
class TagCount:
    slug: str
    name: str
    uses: int


def cached_lists(*, club_id: int, lists: dict[str, tuple[tuple, Callable[[], list]]]) -> dict:
    """Lists of plain values about this club's backlog as it is now, by name.

    `lists` maps a name to (params, compute): the params name the list (say a
    filter's fields), `compute()` makes it on a miss. The club's stamp makes
    each current; all of them are read from the cache at once."""
    stamp = backlog_stamp(club_id=club_id)
    keys = {
        name: f"papers:backlog:{club_id}:{stamp}:"
        + hashlib.blake2b(repr((name, params)).encode(), digest_size=16).hexdigest()
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

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

What a card shows is not in these lists: the page reads its own nominations
fresh (papers.selectors.backlog_page). The card's text apart from the vote
button (title, authors, badges, topics, proposer) is cached per nomination
under the same version (card_texts), so one render serves every member and
every filter until the backlog changes; the vote button, which holds the
viewer's vote and CSRF token, is rendered for each request. A proposer's new
display name renews the stamps of the clubs they proposed in (connected in
papers.apps), and the admin renews the stamp of what it saves
(papers.admin.RenewsBacklog).
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
from django.db.models.signals import post_save
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from .models import BacklogStamp, Nomination, Paper

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


def _proposer_renamed(sender, instance, update_fields=None, **kwargs) -> None:
    """A card says "Proposed by <display name>": a new name renews the stamp of
    every club the person proposed in (in the profile's own transaction)."""
    if update_fields is not None and "display_name" not in update_fields:
        return
    proposed = Nomination.objects.filter(proposed_by_id=instance.user_id)
    club_ids = set(proposed.values_list("club_id", flat=True).distinct())
    if club_ids:
        backlogs_changed(club_ids=club_ids)


def renew_on_proposer_rename() -> None:
    """Connect _proposer_renamed (PapersConfig.ready; clubs knows no papers)."""
    from clubs.models import Profile  # noqa: PLC0415 - AppConfig.ready: the registry is loading

    post_save.connect(_proposer_renamed, sender=Profile, dispatch_uid="papers.proposer_renamed")


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


def backlog_version(*, club) -> str:
    """Names the club's backlog as it is now: its stamp, and its creation time
    for a club that has no stamp yet. Lists and cards are cached under it."""
    return f"{club.pk}:{backlog_stamp(club_id=club.pk)}:{club.created_at.timestamp()}"


def cached_lists(
    *, club, lists: dict[str, tuple[tuple, Callable[[], list]]], version: str | None = None
) -> dict:
    """Lists of plain values about this club's backlog as it is now, by name.

    `lists` maps a name to (params, compute): the params name the list (say a
    filter's fields), `compute()` makes it on a miss. `version` (read once per
    page with backlog_version, or here) makes each current; all of them are
    read from the cache at once."""
    prefix = f"papers:backlog:{version or backlog_version(club=club)}:"
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


CARD_TEMPLATE = "papers/_nomination_card_body.html"


def card_texts(*, club, version: str, nominations: list) -> None:
    """Give each nomination whose paper is settled and fetched its card's text
    (`card_text`, HTML) from the cache, rendering the ones missing.

    The text is the same for every viewer (no request, no CSRF token: a paper
    still being read, or whose fetch failed and so shows a "Try again" form, is
    left for the template to render with the request). One get_many for the
    page: measured on the bench's backlog (issue 14), 25 separate cache reads
    cost about 4 ms a page more, as Django's Redis cache sets up a client for
    each command."""
    ready = Paper.MetadataState.READY
    keys = {
        n.pk: f"papers:card:{version}:{n.pk}"
        for n in nominations
        if n.paper.is_settled and n.paper.metadata_state == ready
    }
    if not keys:
        return
    found = cache.get_many(list(keys.values()))
    template = get_template(CARD_TEMPLATE)
    fresh = {}
    for nomination in nominations:
        key = keys.get(nomination.pk)
        if key is None:
            continue
        text = found.get(key)
        if text is None:
            text = fresh[key] = str(template.render({"club": club, "nomination": nomination}))
        nomination.card_text = mark_safe(text)  # noqa: S308 - our template's output, escaped by it
    if fresh:
        cache.set_many(fresh, LIST_SECONDS)


def trending_slot() -> int:
    return int(time() // TRENDING_SLOT_SECONDS)

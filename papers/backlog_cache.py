"""The backlog's lists (which nominations, in what order, how many), its topic
counts and its cards' texts, cached per club until the club's backlog changes.

Sorting a club's backlog is the expensive part of a backlog page: "trending"
scores every open nomination against the last month's votes, a search matches
through the full-text index. Yet a backlog changes only when someone proposes,
votes, pins, tags, archives or schedules, or a worker fills in a paper. So each
club has a *stamp* (BacklogStamp) of two random tokens, and every cached list
and card is keyed by them: a change makes every entry of that club that
depends on it a miss at once, with nothing to find and delete.

- `token` is replaced by every service that changes what the backlog holds or
  says (papers.services, papers.fetching, papers.proposing, ...:
  backlogs_changed): everything is keyed by it.
- `votes_token` is replaced by a vote (backlog_votes_changed, in the vote's
  transaction). Only what a vote changes is keyed by it: the order of the "top"
  and "trending" lists. The topics' counts, a search's matches in other states,
  the papers the club read and the cards' texts stay cached across votes.
  (Measured on the bench's club, issue 14: with one token a vote every 20
  reads made every 20th backlog page recompute all of that, about 0.6 s, which
  alone cost the page a third of its throughput.)

Both live in the database and change in the same transaction as the rows, so a
reader who reads the stamp first and the rows after can only cache rows at
least as new as the stamp says. New random tokens (not counters) mean entries
cached for an older database with the same club ids are never found either.

What a card shows is not in the lists: the page reads its own nominations
fresh (papers.selectors.backlog_cards). The card's text apart from the vote
button (title, authors, badges, topics, proposer, signals) is cached per
nomination under the content token, the nomination's vote count and the hour
(card_texts), so one render serves every member and every filter; the vote
button, which holds the viewer's vote and CSRF token, is rendered for each
request. The signals ("+3 votes this week", "club keeps coming back") are
therefore at most an hour behind the clock, and a vote re-renders only the
card it changed (its count is in the key). A proposer's new display name
renews the stamps of the clubs they proposed in (connected in papers.apps),
and the admin renews the stamp of what it saves (papers.admin.RenewsBacklog).
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
from django.db.models import OuterRef, Subquery
from django.db.models.signals import post_save
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from .models import BacklogOptions, BacklogStamp, Nomination, Paper

LIST_SECONDS = 15 * 60
TRENDING_SLOT_SECONDS = 5 * 60
SIGNALS_SLOT_SECONDS = 60 * 60


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


def backlog_votes_changed(*, club_id: int) -> None:
    """A vote changed the club's counts: the lists ordered by votes are out of
    date once the current transaction commits (the vote's own). Everything else
    cached about the backlog stays."""
    # A club that never changed has no row yet: it starts with both tokens.
    BacklogStamp.objects.bulk_create(
        [BacklogStamp(club_id=club_id, token=new_token(), votes_token=new_token())],
        update_conflicts=True,
        unique_fields=["club"],
        update_fields=["votes_token"],
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


def backlog_stamp(*, club_id: int) -> tuple[str, str]:
    """The club's current tokens (every backlog page reads them): what the
    backlog holds, and its votes."""
    row = BacklogStamp.objects.filter(club_id=club_id).values_list("token", "votes_token").first()
    # A club whose backlog never changed through a service has no row yet.
    token, votes = row or ("none", "none")
    return token, votes or "none"


@dataclass(frozen=True)
class TagCount:
    slug: str
    name: str
    uses: int


@dataclass(frozen=True)
class BacklogVersion:
    """Names the club's backlog as it is now (read once per page)."""

    content: str  # what it holds and says: every entry is keyed by it
    votes: str  # its votes: the lists ordered by them add it to their params
    # How its votes count (papers.voting): saving the options renews the stamp.
    budget: int | None = None
    weighted: bool = False


def backlog_version(*, club) -> BacklogVersion:
    """The club's backlog as it is now: its stamp, and its creation time for a
    club that has no stamp yet. Lists and cards are cached under it.

    The club's voting options come in the stamp's own statement (saving them
    renews the stamp, so a club without a stamp has none): a list computed on
    a miss knows how to rank without reading them again."""
    options = BacklogOptions.objects.filter(club_id=OuterRef("club_id"))
    row = (
        BacklogStamp.objects.filter(club_id=club.pk)
        .values_list(
            "token",
            "votes_token",
            Subquery(options.values("vote_budget")[:1]),
            Subquery(options.values("weighted_votes")[:1]),
        )
        .first()
    )
    token, votes, budget, weighted = row or ("none", "none", None, False)
    return BacklogVersion(
        content=f"{club.pk}:{token}:{club.created_at.timestamp()}",
        votes=votes or "none",
        budget=budget,
        weighted=bool(weighted),
    )


def cached_lists(
    *,
    club,
    lists: dict[str, tuple[tuple, Callable[[], list]]],
    version: BacklogVersion | None = None,
) -> dict:
    """Lists of plain values about this club's backlog as it is now, by name.

    `lists` maps a name to (params, compute): the params name the list (say a
    filter's fields, and `version.votes` for a list in the order of the votes),
    `compute()` makes it on a miss. `version` (read once per page with
    backlog_version, or here) makes each current; all of them are read from the
    cache at once."""
    prefix = f"papers:backlog:{(version or backlog_version(club=club)).content}:"
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


def card_texts(
    *,
    club,
    version: BacklogVersion,
    nominations: list,
    load: Callable[[list[int]], dict],
) -> list:
    """The cards of `nominations` (as backlog_page reads them: what a card's
    frame and vote button show), in order, each settled and fetched one with
    its text (`card_text`, HTML) from the cache.

    The rest, a miss here or a paper the template renders with the request,
    are replaced by `load(ids)` ({id: nomination}: everything a card's text
    shows, topics and signals too) in one call before any is rendered; an id
    `load` no longer finds is left out. So a page whose cards all come from the
    cache reads none of that.

    The text is the same for every viewer (no request, no CSRF token: a paper
    still being read, or whose fetch failed and so shows a "Try again" form, is
    left for the template to render with the request). One get_many for the
    page: measured on the bench's backlog (issue 14), 25 separate cache reads
    cost about 4 ms a page more, as Django's Redis cache sets up a client for
    each command."""
    ready = Paper.MetadataState.READY
    slot = int(time() // SIGNALS_SLOT_SECONDS)
    keys = {
        n.pk: f"papers:card:{version.content}:{n.pk}:{n.vote_count}:{slot}"
        for n in nominations
        if n.paper.is_settled and n.paper.metadata_state == ready
    }
    found = cache.get_many(list(keys.values())) if keys else {}
    rendered = [n.pk for n in nominations if keys.get(n.pk) not in found]
    loaded = load(rendered) if rendered else {}
    template = get_template(CARD_TEMPLATE)
    cards, fresh = [], {}
    for nomination in nominations:
        if nomination.pk in loaded:
            nomination = loaded[nomination.pk]
        elif nomination.pk in rendered:
            continue  # gone since the page read it
        key = keys.get(nomination.pk)
        if key is not None:
            text = found.get(key)
            if text is None:
                text = fresh[key] = str(template.render({"club": club, "nomination": nomination}))
            nomination.card_text = mark_safe(text)  # noqa: S308 - our template's output, escaped by it
        cards.append(nomination)
    if fresh:
        cache.set_many(fresh, LIST_SECONDS)
    return cards


def trending_slot() -> int:
    return int(time() // TRENDING_SLOT_SECONDS)

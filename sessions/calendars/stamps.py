"""Feed stamps: each club's (and person's) feeds are cached under a random
token that every change they show replaces in its own transaction, the pattern
of papers/backlog_cache.py. A reader reads the stamp first and the sessions
after, so it can only cache a feed at least as new as its stamp says."""

import hashlib
import uuid
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db.models import Subquery
from django.utils import timezone

from clubs.models import Club, Membership

from ..models import FeedStamp


def _upsert(field: str, ids: Iterable[int]) -> None:
    # In the order of the ids, so two transactions lock the stamps alike.
    now = timezone.now()
    rows = [
        FeedStamp(**{f"{field}_id": pk}, token=uuid.uuid4().hex, changed_at=now)
        for pk in sorted(set(ids))
    ]
    if rows:
        FeedStamp.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=[field],
            update_fields=["token", "changed_at"],
        )


def feeds_changed(*, club_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> None:
    """Every cached feed of these clubs (and the personal feeds of their members,
    whose keys include the club's stamp) or of these people is out of date from
    the moment the current transaction commits. Call it in that transaction."""
    _upsert("club", club_ids)
    _upsert("user", user_ids)


def club_feed_key(club: Club) -> str:
    token = FeedStamp.objects.filter(club=club).values_list("token", flat=True).first()
    # A club that never changed has no stamp: its creation time keeps an older
    # database's feed (same club id, say after a reseed) from being found.
    return f"feed:club:{club.pk}:{token or club.created_at.timestamp()}"


def personal_feed_key(user: User, *, scope: str) -> str:
    """The person's clubs (with each one's stamp) and their own stamp, in one
    statement (a person with no club has an empty feed whatever their stamp)."""
    own = FeedStamp.objects.filter(user=user).values("token")[:1]
    rows = (
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE)
        .order_by("club_id")
        .annotate(own=Subquery(own))
        .values_list("club_id", "club__feed_stamp__token", "club__created_at", "own")
    )
    parts = [
        (club_id, token or created.timestamp(), mine) for club_id, token, created, mine in rows
    ]
    digest = hashlib.blake2b(repr((parts, scope)).encode(), digest_size=16).hexdigest()
    return f"feed:user:{user.pk}:{digest}"

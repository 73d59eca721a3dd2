"""The backlog's cards as rendered HTML, cached and shared between viewers.

A card (papers/_nomination_card.html and the two templates it includes) is
drawn from one nomination's row, its paper's, its tags', its proposer's name
and profile, whether the viewer voted for it, and a few facts about the page:
the club, whether the viewer is a member, their time zone and language, and
the page's address (the forms' `next`). The cache key is a digest of all of
it, every column of every row included, so any change makes a new key: nothing
needs invalidating, every viewer who would see the same card shares one
rendering, and old keys simply expire.

On PostgreSQL the database computes the rows' digest, so a page whose cards
are all cached loads no nomination at all; elsewhere (SQLite, the embedded
mode) the rows are loaded and hashed in Python.

The CSRF token is the one value that belongs to a request: cards are rendered
with a placeholder in its place, replaced by the request's token on the way out.
"""

import functools
import hashlib
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from clubs.models import Profile
from clubs.permissions import ClubAccess

from .models import Nomination, Paper, Tag, Vote

CARD_TEMPLATE = "papers/_nomination_card.html"
# Bump when Python code that shapes a card changes (a template filter, say):
# the templates' own text is part of every key already.
CARD_VERSION = 1
CARD_SECONDS = 6 * 3600
_CSRF_PLACEHOLDER = "csrf-token-placeholder-1d5c0e8b"

_sources: str | None = None


def _template_sources() -> str:
    """A digest of the card's templates: a deploy that changes them changes every key."""
    global _sources
    if _sources is None:
        names = (CARD_TEMPLATE, "papers/_vote_button.html", "papers/_paper_status.html")
        text = "\n".join(get_template(name).template.source for name in names)
        _sources = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
    return _sources


@functools.cache
def _digest_sql() -> str:
    """Per nomination: md5 over its row, its paper's row, its proposer's id and
    email, their profile's row and its tags (id, slug, name); and whether the
    viewer voted for it. Table names come from the models."""
    tables = {
        "v": Vote._meta.db_table,
        "n": Nomination._meta.db_table,
        "p": Paper._meta.db_table,
        "u": get_user_model()._meta.db_table,
        "pr": Profile._meta.db_table,
        "t": Tag._meta.db_table,
        "nt": Nomination.tags.through._meta.db_table,
    }
    # Scalar subqueries rather than joins: PostgreSQL plans them in a fraction
    # of the time, and this runs on every backlog page.
    return f"""
        SELECT n.id,
            EXISTS(
                SELECT 1 FROM "{tables["v"]}" v WHERE v.nomination_id = n.id AND v.user_id = %s
            ),
            md5(
                n::text
                || '|' || (SELECT p::text FROM "{tables["p"]}" p WHERE p.id = n.paper_id)
                || '|' || coalesce((
                    SELECT u.id::text || ',' || u.email || '|' || coalesce((
                        SELECT pr::text FROM "{tables["pr"]}" pr WHERE pr.user_id = u.id
                    ), '')
                    FROM "{tables["u"]}" u WHERE u.id = n.proposed_by_id
                ), '')
                || '|' || coalesce((
                    SELECT string_agg(
                        t.id::text || ',' || t.slug || ',' || t.name, ';' ORDER BY t.id
                    )
                    FROM "{tables["nt"]}" nt JOIN "{tables["t"]}" t ON t.id = nt.tag_id
                    WHERE nt.nomination_id = n.id
                ), '')
            )
        FROM "{tables["n"]}" n
        WHERE n.id = ANY(%s) AND n.club_id = %s
    """  # noqa: S608 - table names from the models, values bound


def _row(instance: Model | None) -> tuple | None:
    if instance is None:
        return None
    return tuple(getattr(instance, field.attname) for field in instance._meta.concrete_fields)


def _python_digest(nomination: Nomination) -> str:
    """The same facts as _digest_sql, from loaded rows (databases other than PostgreSQL)."""
    proposer = nomination.proposed_by
    profile = getattr(proposer, "profile", None) if proposer is not None else None
    facts = (
        _row(nomination),
        _row(nomination.paper),
        (proposer.pk, proposer.email) if proposer is not None else None,
        _row(profile),
        sorted((tag.pk, tag.slug, tag.name) for tag in nomination.tags.all()),
    )
    return hashlib.md5(repr(facts).encode(), usedforsecurity=False).hexdigest()


def _page_facts(request: HttpRequest, access: ClubAccess) -> tuple:
    return (
        CARD_VERSION,
        _template_sources(),
        access.club.pk,
        access.club.slug,
        access.is_member,
        request.get_full_path(),
        timezone.get_current_timezone_name(),
        translation.get_language(),
        get_script_prefix(),
    )


def _key(page: tuple, pk: int, has_voted: bool, digest: str) -> str:
    inputs = repr((page, pk, has_voted, digest)).encode()
    return "papers:card:" + hashlib.blake2b(inputs, digest_size=16).hexdigest()


def nomination_cards(
    *,
    request: HttpRequest,
    access: ClubAccess,
    ids: list[int],
    nominations: Callable[[], QuerySet],
) -> list[SafeString]:
    """The rendered cards of these nominations, in this order.

    `nominations()` gives a queryset shaped by papers.selectors.backlog_card_rows
    (paper, tags, proposer's profile, `has_voted`); it is built and read only for
    cards not cached yet. An id no longer in it (deleted meanwhile) is left out."""
    facts = _page_facts(request, access)
    if not ids:
        return []
    loaded: dict[int, Nomination] = {}
    if connection.vendor == "postgresql":
        viewer = request.user.pk if request.user.is_authenticated else None
        with connection.cursor() as cursor:
            cursor.execute(_digest_sql(), [viewer, list(ids), access.club.pk])
            found_rows = {pk: (has_voted, digest) for pk, has_voted, digest in cursor.fetchall()}
    else:
        loaded = {n.pk: n for n in nominations().filter(pk__in=ids)}
        found_rows = {pk: (n.has_voted, _python_digest(n)) for pk, n in loaded.items()}
    rows = [(pk, *found_rows[pk]) for pk in ids if pk in found_rows]
    keys = {pk: _key(facts, pk, has_voted, digest) for pk, has_voted, digest in rows}
    found = cache.get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        if any(pk not in loaded for pk in missing):
            loaded |= {n.pk: n for n in nominations().filter(pk__in=missing)}
        template = get_template(CARD_TEMPLATE)
        fresh = {
            keys[pk]: template.render(
                {
                    "club": access.club,
                    "access": access,
                    "nomination": loaded[pk],
                    "csrf_token": _CSRF_PLACEHOLDER,
                },
                request,
            )
            for pk in missing
            if pk in loaded  # gone since the page was read: left out
        }
        cache.set_many(fresh, CARD_SECONDS)
        found.update(fresh)
    cards = [found[key] for key in keys.values() if key in found]
    if any(_CSRF_PLACEHOLDER in card for card in cards):
        token = get_token(request)
        cards = [card.replace(_CSRF_PLACEHOLDER, token) for card in cards]
    return [mark_safe(card) for card in cards]  # noqa: S308 - rendered by our templates

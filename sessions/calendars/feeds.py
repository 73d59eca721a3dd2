"""Calendar feeds: which sessions a feed holds, the ICS, and the links to subscribe.

A club's feed and a person's feed are rebuilt only when something in them
changed: the ICS is cached under the feed stamps (stamps.py) that every such
change renews in its own transaction, so a subscription polled every few
minutes costs a couple of small queries, and an edit shows at once.
"""

from datetime import UTC
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse

from clubs.models import Club, Membership

from ..models import MailPreferences, Rsvp, Session, SessionPaper
from . import ical, personal
from .events import event_data
from .stamps import club_feed_key, personal_feed_key
from .tokens import club_feed_token, personal_feed_token

FEED_CACHE_SECONDS = 24 * 3600


# --- What a feed holds -----------------------------------------------------------------


def _shaped(qs: QuerySet[Session]) -> QuerySet[Session]:
    papers = Prefetch(
        "papers",
        queryset=SessionPaper.objects.select_related("nomination__paper").order_by("position"),
        to_attr="ordered_papers",
    )
    return (
        qs.select_related("club", "facilitator__profile", "co_facilitator__profile")
        .prefetch_related(papers)
        .order_by("starts_at")
    )


def club_feed_sessions(*, club: Club) -> QuerySet[Session]:
    return _shaped(Session.objects.filter(club=club))


def _scope(user: User) -> str:
    preferences = MailPreferences.objects.filter(user=user).first()
    return preferences.feed_scope if preferences else MailPreferences.FeedScope.ALL


def personal_feed_sessions(*, user: User, scope: str | None = None) -> QuerySet[Session]:
    clubs = Membership.objects.filter(user=user, state=Membership.State.ACTIVE).values("club")
    qs = Session.objects.filter(club__in=clubs)
    if (scope or _scope(user)) == MailPreferences.FeedScope.MINE:
        going = Rsvp.objects.filter(user=user, answer=Rsvp.Answer.GOING).values("session")
        qs = qs.filter(Q(pk__in=going) | Q(facilitator=user) | Q(co_facilitator=user))
    # Each event as the person's own copy: a week they said no to is cancelled for them.
    return personal.sessions_for(_shaped(qs), user=user)


def _render(
    qs: QuerySet[Session], *, name: str, uid: str, with_link: bool, personal_copies: bool = False
) -> bytes:
    return ical.feed(
        [
            event_data(
                session,
                with_link=with_link,
                copy=personal.copy_of_annotated(session) if personal_copies else None,
            )
            for session in qs
        ],
        name=name,
        uid=uid,
    )


def club_feed(*, club: Club) -> bytes:
    """Shared by everyone who has the URL, so never the meeting link."""
    key = club_feed_key(club)  # before the sessions: see stamps.py
    qs = club_feed_sessions(club=club)
    cached = cache.get(key)
    if cached is None:
        cached = _render(qs, name=club.name, uid=f"club-{club.pk}@paperclub", with_link=False)
        cache.set(key, cached, FEED_CACHE_SECONDS)
    return cached


def personal_feed(*, user: User) -> bytes:
    """A member's own feed: their clubs' sessions, with meeting links."""
    scope = _scope(user)
    key = personal_feed_key(user, scope=scope)  # before the sessions: see stamps.py
    qs = personal_feed_sessions(user=user, scope=scope)
    cached = cache.get(key)
    if cached is None:
        cached = _render(
            qs,
            name=settings.SITE_NAME,
            uid=f"person-{user.pk}@paperclub",
            with_link=True,
            personal_copies=True,
        )
        cache.set(key, cached, FEED_CACHE_SECONDS)
    return cached


def session_ics(*, session: Session, with_link: bool, user: User | None = None) -> bytes:
    """One week's file; a member's (`user`) is their own copy, cancelled if they said no."""
    qs = _shaped(Session.objects.filter(pk=session.pk))
    if user is not None:
        qs = personal.sessions_for(qs, user=user)
    return _render(
        qs,
        name=session.club.name,
        uid=f"session-{session.uid}@paperclub",
        with_link=with_link,
        personal_copies=user is not None,
    )


# --- Links for people ---------------------------------------------------------------------


def webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[-1]


def google_subscribe(url: str) -> str:
    return "https://calendar.google.com/calendar/r?cid=" + quote(webcal(url), safe="")


def google_event(session: Session) -> str:
    """An "add to Google Calendar" link for one session."""

    def stamp(moment):
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    data = event_data(session, with_link=False)
    return "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": data.summary,
            "dates": f"{stamp(data.starts_at)}/{stamp(data.ends_at)}",
            "details": data.description,
            "ctz": data.time_zone,
        }
    )


def add_to_calendar_links(
    *, session: Session, user: User, series: bool = False
) -> dict[str, str | bool]:
    """The links offered right after a member says they're going: this week as a
    Google Calendar event, as an .ics file (any calendar), and Apple Calendar's
    webcal:// subscription to the member's own feed (a token URL, so it works for
    private clubs, where a webcal:// fetch carries no sign-in).

    After "I'll come every week" (`series`): every week at once, by subscribing
    to their own feed (Apple's webcal://, Google's subscription), where a week
    they say they're not going to shows cancelled, or by emailed invites."""
    personal = personal_feed_url(user=user)
    if series:
        preferences = MailPreferences.objects.filter(user=user).first()
        return {
            "series": True,
            "apple": webcal(personal),
            "google": google_subscribe(personal),
            "invites_on": bool(preferences and preferences.invites and not preferences.no_email),
            "preferences": reverse("calendars:preferences"),
        }
    return {
        "google": google_event(session),
        "apple": webcal(personal),
        "ics": reverse("calendars:session_ics", args=[session.club.slug, session.pk]),
    }


# The session a member just said they're going to (or joined the series from:
# SERIES_PROMPT), for the page the no-JS answer redirects to (htmx answers show
# the prompt in the swapped fragment).
CALENDAR_PROMPT_KEY = "calendar_prompt_session"
SERIES_PROMPT = "series"


def calendar_prompt_mark(request: HttpRequest, session: Session, *, series: bool = False) -> None:
    request.session[CALENDAR_PROMPT_KEY] = [session.pk, SERIES_PROMPT] if series else session.pk


def calendar_prompt_take(
    request: HttpRequest, session: Session | None
) -> dict[str, str | bool] | None:
    """The add-to-calendar links if `session` is the one just answered "going"
    (or joined the series from) without JavaScript; the mark is used up either
    way (it is one moment)."""
    if not hasattr(request, "session"):
        return None
    answered = request.session.pop(CALENDAR_PROMPT_KEY, None)
    series = isinstance(answered, list) and answered[1:] == [SERIES_PROMPT]
    if series:
        answered = answered[0]
    if session is None or answered != session.pk or not request.user.is_authenticated:
        return None
    return add_to_calendar_links(session=session, user=request.user, series=series)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def club_feed_url(*, club: Club) -> str:
    if club.is_public:
        return absolute(reverse("calendars:club_public", args=[club.slug]))
    return absolute(reverse("calendars:club_private", args=[club_feed_token(club=club).token]))


def personal_feed_url(*, user: User) -> str:
    return absolute(reverse("calendars:personal", args=[personal_feed_token(user=user).token]))

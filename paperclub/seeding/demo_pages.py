"""The pages each role reaches in the demo club, found by following its links.

Used by the phone-layout browser test (through Django's test client) and by
`scripts/audit` (over HTTP against gunicorn): both need "every page a visitor, a
member, a facilitator and an organizer reach", and a list kept by hand would go
stale as pages are added. The crawl starts at the site's home and the demo
club's pages, follows same-site `<a href>` links breadth-first, and keeps one
page per URL name (one paper, one session...: the template is what is judged,
not the rows), so a bigger backlog does not make the list longer.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from django.urls import Resolver404, resolve

from .demo_club import DEMO_CLUB_SLUG

if TYPE_CHECKING:
    from sessions.models import Session

# (status, content type, body) for a path: the caller decides how to fetch.
Fetch = Callable[[str], tuple[int, str, str]]

ROLES = ("visitor", "member", "facilitator", "organizer")
DEMO_MEMBER = "member@example.com"
DEMO_ORGANIZER = "organizer@example.com"

# Links that are not pages a person reads: downloads, feeds, sign-out, the admin.
SKIPPED_VIEWS = frozenset(
    {
        "papers:pdf",
        "sessions:archive_csv",
        "sessions:archive_bib",
        "account_logout",
    }
)
# The API (/api/) answers JSON, and its docs page is Swagger UI, not a page of ours.
SKIPPED_PREFIXES = ("/admin/", "/static/", "/media/", "/healthz", "/api/")


@dataclass(frozen=True)
class DemoPage:
    path: str
    view_name: str


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(page_path: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    paths = []
    for href in parser.hrefs:
        parts = urlsplit(urljoin("http://demo" + page_path, href))
        if parts.scheme == "http" and parts.netloc == "demo":
            paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def _view_name(path: str) -> str | None:
    if path.startswith(SKIPPED_PREFIXES) or path.endswith((".ics", ".csv", ".bib")):
        return None
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    name = match.view_name
    if name in SKIPPED_VIEWS:
        return None
    return name


def demo_pages_crawl(*, fetch: Fetch, start: Iterable[str], limit: int = 80) -> list[DemoPage]:
    """Every page (one per URL name) reachable from `start` through links, in the order found."""
    queue = list(start)
    seen_views: set[str] = set()
    seen_paths: set[str] = set()
    pages: list[DemoPage] = []
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in seen_paths:
            continue
        seen_paths.add(path)
        view_name = _view_name(path)
        if view_name is None or view_name in seen_views:
            continue
        status, content_type, body = fetch(path)
        if status != 200 or not content_type.startswith("text/html"):
            continue
        seen_views.add(view_name)
        pages.append(DemoPage(path=path, view_name=view_name))
        queue.extend(_links(path, body))
    return pages


def demo_start_paths(*, role: str) -> list[str]:
    """Where a role's crawl starts: the home pages, and the facilitator's own week first."""
    club = f"/c/{DEMO_CLUB_SLUG}/"
    paths = []
    if role == "facilitator":
        session = demo_facilitated_session()
        paths += [
            f"{club}sessions/{session.pk}/",
            f"{club}sessions/{session.pk}/dashboard/",
        ]
    return [*paths, club, "/", "/clubs/"]


def demo_facilitated_session() -> "Session":
    """The next week that a demo member who is not an organizer facilitates (not DEMO_MEMBER,
    so the member's and the facilitator's crawls are two people's)."""
    from django.utils import timezone  # noqa: PLC0415

    from clubs.models import Membership  # noqa: PLC0415
    from sessions.models import Session  # noqa: PLC0415

    session = (
        Session.objects.filter(
            club__slug=DEMO_CLUB_SLUG,
            starts_at__gt=timezone.now(),
            facilitator__isnull=False,
            facilitator__memberships__club__slug=DEMO_CLUB_SLUG,
            facilitator__memberships__role=Membership.Role.MEMBER,
        )
        .exclude(facilitator__email=DEMO_MEMBER)
        .select_related("facilitator")
        .order_by("starts_at")
        .first()
    )
    if session is None:
        raise LookupError("the demo has no coming week facilitated by a member; run seed_demo")
    return session


def demo_role_email(*, role: str) -> str | None:
    """Who signs in for a role (None for a visitor)."""
    if role == "visitor":
        return None
    if role == "organizer":
        return DEMO_ORGANIZER
    if role == "facilitator":
        facilitator = demo_facilitated_session().facilitator
        assert facilitator is not None  # the query asked for one
        return facilitator.email
    return DEMO_MEMBER

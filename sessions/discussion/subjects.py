"""What a thread is about: a session (a week) or a backlog paper (a nomination).

The views name a subject by kind and id in the URL; `subject_get` loads it
inside the viewer's club (404 otherwise) and says whether the discussion takes
new posts now.
"""

from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.http import Http404
from django.urls import reverse

from clubs.models import Club
from papers.models import Nomination

from ..models import Session, SessionPaper, Thread

SESSION, PAPER = "session", "paper"
KINDS = (SESSION, PAPER)


@dataclass(frozen=True)
class Subject:
    club: Club
    kind: str
    session: Session | None = None
    nomination: Nomination | None = None

    @property
    def pk(self) -> int:
        item = self.session or self.nomination
        assert item is not None
        return item.pk

    @property
    def title(self) -> str:
        if self.nomination is not None:
            return self.nomination.paper.display_title
        assert self.session is not None
        return self.session.display_title or f"The week of {self.session.local_start:%-d %B %Y}"

    @property
    def page_url(self) -> str:
        """The subject's own page, which shows the thread."""
        if self.session is not None:
            return reverse("sessions:session", args=[self.club.slug, self.pk])
        return reverse("papers:nomination", args=[self.club.slug, self.pk])

    @property
    def thread_url(self) -> str:
        return reverse("discussion:thread", args=[self.club.slug, self.kind, self.pk])

    def thread_filter(self) -> Q:
        if self.session is not None:
            return Q(session=self.session)
        return Q(nomination=self.nomination)

    def closed_because(self) -> str:
        """Why no new posts can go in now ("" when they can), the lock aside."""
        if self.session is None:
            return ""
        if self.session.state == Session.State.OPEN:
            return "The discussion opens when the week is scheduled (a facilitator and a paper)."
        if self.session.state == Session.State.CANCELLED:
            return "This week was cancelled, so its discussion is closed."
        return ""

    def thread(self) -> Thread | None:
        return Thread.objects.filter(self.thread_filter()).first()


def session_subject(club: Club, session: Session) -> Subject:
    session.club = club
    return Subject(club=club, kind=SESSION, session=session)


def paper_subject(club: Club, nomination: Nomination) -> Subject:
    return Subject(club=club, kind=PAPER, nomination=nomination)


def subject_get(club: Club, kind: str, subject_id: int) -> Subject:
    if kind == SESSION:
        session = (
            Session.objects.filter(club=club, pk=subject_id)
            .prefetch_related(
                Prefetch(
                    "papers",
                    queryset=SessionPaper.objects.select_related("nomination__paper").order_by(
                        "position", "pk"
                    ),
                    to_attr="ordered_papers",
                )
            )
            .first()
        )
        if session is not None:
            return session_subject(club, session)
    elif kind == PAPER:
        nomination = (
            Nomination.objects.filter(club=club, pk=subject_id).select_related("paper").first()
        )
        if nomination is not None:
            return paper_subject(club, nomination)
    raise Http404("No such discussion.")


def subject_of_thread(thread: Thread) -> Subject:
    """A loaded thread's subject (its club, session or nomination selected with it)."""
    if thread.session is not None:
        return session_subject(thread.club, thread.session)
    assert thread.nomination is not None
    return paper_subject(thread.club, thread.nomination)


def subject_prefetch(prefix: str = "") -> list:
    """What a query of threads (or of posts, prefix "thread__") needs for their
    subjects' titles: the club, the session with its papers, the nomination's paper."""
    return [
        f"{prefix}club",
        f"{prefix}nomination__paper",
        f"{prefix}session",
    ]


def session_papers_prefetch(prefix: str = "") -> Prefetch:
    return Prefetch(
        f"{prefix}session__papers",
        queryset=SessionPaper.objects.select_related("nomination__paper").order_by(
            "position", "pk"
        ),
        to_attr="ordered_papers",
    )

"""The shared write-up through its pages: who may edit it, revisions, the diff
and who wrote what, two people saving at once (the second is told and shown
the other's version, nothing overwritten), Markdown sanitised, the archive and
its CSV and BibTeX, and the query counts."""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clubs.models import Club
from sessions.models import Attendance, Session, Writeup, WriteupRevision
from sessions.writeups.services import writeup_save
from tests.factories import ClubFactory, MembershipFactory, UserFactory, session_at
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "pending", "member", "attendee", "facilitator", "organizer"]


@dataclass
class Scene:
    club: Club
    organizer: object
    facilitator: object
    member: object  # did not come
    attendee: object  # came
    other_attendee: object
    outsider: object
    pending: object
    session: Session  # held yesterday, done


def _person(club, name: str, role: str = "member", state: str = "active"):
    user = UserFactory(profile__display_name=name)
    MembershipFactory(club=club, user=user, role=role, state=state)
    return user


@pytest.fixture
def scene() -> Scene:
    club = ClubFactory(slug="wu", name="Write-up Readers")
    facilitator = _person(club, "Fran Facilitator")
    session = session_at(club, starts_in=-timedelta(days=1), facilitator=facilitator, state="done")
    attendee, other = _person(club, "Ada Attendee"), _person(club, "Otis Other")
    for user in (facilitator, attendee, other):
        Attendance.objects.create(session=session, user=user)
    return Scene(
        club=club,
        organizer=_person(club, "Olga Organizer", role="organizer"),
        facilitator=facilitator,
        member=_person(club, "Mara Member"),
        attendee=attendee,
        other_attendee=other,
        outsider=UserFactory(profile__display_name="Otto Outsider"),
        pending=_person(club, "Pat Pending", state="pending"),
        session=session,
    )


def _url(name: str, session: Session, *extra) -> str:
    return reverse(name, args=[session.club.slug, session.pk, *extra])


def _save(client, session, text: str, base: int):
    return client.post(_url("writeups:save", session), {"text": text, "base": str(base)})


# outcome per ROLES of saving a first write-up; "saved" is the redirect to the write-up.
SAVE = ["login", 403, 403, 403, "saved", "saved", "saved"]


@pytest.mark.parametrize(("role", "expected"), list(zip(ROLES, SAVE, strict=True)))
def test_who_may_save_the_writeup(client, scene, role, expected):
    if role != "anonymous":
        client.force_login(getattr(scene, role))
    if expected == "saved":
        response = _save(client, scene.session, "We read it.\r\nIt held up.", 0)
        assert (response.status_code, response.url) == (302, _url("writeups:page", scene.session))
        writeup = Writeup.objects.get(session=scene.session)
        assert (writeup.text, writeup.revision, writeup.updated_by) == (
            "We read it.\nIt held up.",
            1,
            getattr(scene, role),
        )
        assert list(writeup.revisions.values_list("number", "author")) == [
            (1, getattr(scene, role).pk)
        ]
        return
    with unchanged():
        response = _save(client, scene.session, "Sneaky edit", 0)
    if expected == "login":
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == expected


def test_the_editor_is_offered_only_to_those_who_may_edit(client, scene):
    editor = 'action="' + _url("writeups:save", scene.session) + '"'
    for user, offered in [
        (scene.member, False),
        (scene.attendee, True),
        (scene.facilitator, True),
        (scene.organizer, True),
    ]:
        client.force_login(user)
        assert (editor in client.get(_url("writeups:page", scene.session)).content.decode()) == (
            offered
        )
        session_page = client.get(_url("sessions:session", scene.session)).content.decode()
        assert (_url("writeups:page", scene.session) + "#editor" in session_page) == offered


def test_a_cancelled_week_has_no_writeup(client, scene):
    Session.objects.filter(pk=scene.session.pk).update(state=Session.State.CANCELLED)
    client.force_login(scene.organizer)
    assert client.get(_url("writeups:page", scene.session)).status_code == 404
    with unchanged():
        response = _save(client, scene.session, "Nothing happened", 0)
    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == [
        "This week was cancelled, so it has no write-up."
    ]


def test_writeup_shown_on_the_session_page_sanitised(client, scene):
    writeup_save(
        session=scene.session,
        by=scene.attendee,
        text="## What we said\n\n<script>alert(1)</script>\n\n**Scaling** wins.",
        base=0,
    )
    body = client.get(_url("sessions:session", scene.session)).content.decode()
    assert "<h2>What we said</h2>" in body
    assert "<strong>Scaling</strong> wins." in body
    assert "<script>alert(1)" not in body
    # Anonymous readers of a public club read it, but not who wrote it.
    assert "Ada Attendee" not in body
    client.force_login(scene.member)
    assert (
        "last edited by Ada Attendee"
        in client.get(_url("sessions:session", scene.session)).content.decode()
    )


def test_second_save_from_the_same_revision_is_told_and_shown_the_other_version(client, scene):
    writeup_save(session=scene.session, by=scene.facilitator, text="Outline\n", base=0)
    # Ada and Otis both open the editor on revision 1; Otis saves first.
    writeup_save(
        session=scene.session, by=scene.other_attendee, text="Outline\nOtis: the proofs.", base=1
    )
    client.force_login(scene.attendee)
    with unchanged():
        response = _save(client, scene.session, "Outline\nAda: the ablations.", 1)

    assert response.status_code == 409
    body = response.content.decode()
    assert (
        "Otis Other saved the write-up while you were editing it. Nothing was overwritten" in body
    )
    assert '<pre class="writeup-source">Outline\nOtis: the proofs.</pre>' in body
    # Her text stays in the box, now based on Otis's revision, and the diff shows both.
    assert ">\nOutline\nAda: the ablations.</textarea>" in body
    assert 'name="base" value="2"' in body
    assert "Removed: </span>" in body
    assert "Otis: the proofs." in body
    writeup = Writeup.objects.get(session=scene.session)
    assert (writeup.revision, writeup.text) == (2, "Outline\nOtis: the proofs.")

    # She merges and saves again: taken, as revision 3, both lines kept.
    merged = "Outline\nOtis: the proofs.\nAda: the ablations."
    response = _save(client, scene.session, merged, 2)
    assert response.status_code == 302
    assert list(
        WriteupRevision.objects.filter(writeup__session=scene.session).values_list(
            "number", "author", "text"
        )
    ) == [
        (1, scene.facilitator.pk, "Outline\n"),
        (2, scene.other_attendee.pk, "Outline\nOtis: the proofs."),
        (3, scene.attendee.pk, merged),
    ]


def test_two_first_saves_the_second_is_told(client, scene):
    writeup_save(session=scene.session, by=scene.other_attendee, text="Otis first", base=0)
    client.force_login(scene.attendee)
    with unchanged():
        response = _save(client, scene.session, "Ada first", 0)
    assert response.status_code == 409
    assert '<pre class="writeup-source">Otis first</pre>' in response.content.decode()


def test_saving_the_same_text_adds_no_revision(client, scene):
    writeup_save(session=scene.session, by=scene.attendee, text="Same", base=0)
    client.force_login(scene.attendee)
    with unchanged():
        response = _save(client, scene.session, "Same", 1)
    assert response.status_code == 302


def test_text_over_the_limit_is_refused_and_kept_in_the_box(client, scene):
    client.force_login(scene.attendee)
    long = "x" * (Writeup.TEXT_MAX + 1)
    with unchanged():
        response = _save(client, scene.session, long, 0)
    assert response.status_code == 200
    body = response.content.decode()
    assert "A write-up is at most 20,000 characters (this one has 20,001)." in body
    assert long in body


def test_history_lists_revisions_and_who_wrote_each_line(client, scene):
    writeup_save(session=scene.session, by=scene.facilitator, text="# Notes\nFirst point.", base=0)
    writeup_save(
        session=scene.session, by=scene.attendee, text="# Notes\nFirst point.\nAda's point.", base=1
    )
    client.force_login(scene.member)
    response = client.get(_url("writeups:history", scene.session))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.revision.number, r.stats.added, r.stats.removed) for r in rows] == [
        (2, 1, 0),
        (1, 2, 0),
    ]
    assert [(line.text, line.author.pk) for line in response.context["lines"]] == [
        ("# Notes", scene.facilitator.pk),
        ("First point.", scene.facilitator.pk),
        ("Ada's point.", scene.attendee.pk),
    ]
    body = response.content.decode()
    assert "Revision 2</a>\n          by Ada Attendee" in body


def test_revision_page_diffs_against_the_one_before_or_any_other(client, scene):
    writeup_save(session=scene.session, by=scene.facilitator, text="one\ntwo", base=0)
    writeup_save(session=scene.session, by=scene.attendee, text="one\nTWO", base=1)
    writeup_save(session=scene.session, by=scene.attendee, text="one\nTWO\nthree", base=2)
    client.force_login(scene.member)
    response = client.get(_url("writeups:revision", scene.session, 2))
    diff = response.context["diff"]
    assert (diff.old.number, diff.new.number) == (1, 2)
    assert [(line.op, line.text) for hunk in diff.hunks for line in hunk] == [
        ("equal", "one"),
        ("delete", "two"),
        ("insert", "TWO"),
    ]
    body = response.content.decode()
    assert '<del><span class="visually-hidden">Removed: </span>' in body
    response = client.get(_url("writeups:revision", scene.session, 3) + "?against=1")
    assert [(line.op, line.text) for line in response.context["diff"].hunks[0]] == [
        ("equal", "one"),
        ("delete", "two"),
        ("insert", "TWO"),
        ("insert", "three"),
    ]
    for bad in ("?against=9", "?against=x"):
        assert client.get(_url("writeups:revision", scene.session, 3) + bad).status_code == 404
    assert client.get(_url("writeups:revision", scene.session, 4)).status_code == 404


def test_history_and_revisions_are_for_members(client, scene):
    writeup_save(session=scene.session, by=scene.attendee, text="Secret-ish", base=0)
    for user in (None, scene.outsider, scene.pending):
        if user is not None:
            client.force_login(user)
        for url in (
            _url("writeups:history", scene.session),
            _url("writeups:revision", scene.session, 1),
        ):
            response = client.get(url)
            assert response.status_code in (302, 403)
            assert b"Ada Attendee" not in response.content


def test_writeup_urls_do_not_reach_another_clubs_session(client, scene):
    other = session_at(ClubFactory(), starts_in=-timedelta(days=1), state="done")
    client.force_login(scene.organizer)
    url = reverse("writeups:save", args=[scene.club.slug, other.pk])
    with unchanged():
        assert client.post(url, {"text": "x", "base": "0"}).status_code == 404
    assert client.get(reverse("writeups:page", args=[scene.club.slug, other.pk])).status_code == 404


def test_archive_links_the_writeup_and_exports_carry_it(client, scene):
    writeup_save(session=scene.session, by=scene.attendee, text="=We concluded: scale.", base=0)
    archive = client.get(reverse("sessions:archive", args=[scene.club.slug])).content.decode()
    url = _url("writeups:page", scene.session)
    assert f'<a href="{url}">Write-up</a>' in archive

    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("sessions:archive_csv", args=[scene.club.slug])).content.decode()
            )
        )
    )
    assert [(r["write_up_url"], r["write_up"]) for r in rows] == [
        ("http://testserver" + url, "'=We concluded: scale.")
    ]


def test_bibtex_note_links_each_writeup_of_the_papers_week(client, scene):
    from papers.models import Nomination, Paper  # noqa: PLC0415 - only this test needs papers
    from sessions.models import SessionPaper  # noqa: PLC0415 - as above

    paper = Paper.objects.create(club=scene.club, title="Scaling Laws", year=2020)
    nomination = Nomination.objects.create(club=scene.club, paper=paper)
    SessionPaper.objects.create(session=scene.session, nomination=nomination)
    day = scene.session.local_start.date().isoformat()
    bib = client.get(reverse("sessions:archive_bib", args=[scene.club.slug])).content.decode()
    assert f"note = {{Read by Write-up Readers on {day}}}" in bib
    writeup_save(session=scene.session, by=scene.attendee, text="Notes", base=0)
    bib = client.get(reverse("sessions:archive_bib", args=[scene.club.slug])).content.decode()
    assert (
        f"note = {{Read by Write-up Readers on {day}; write-up: "
        f"http://testserver/c/wu/sessions/{scene.session.pk}/write-up/}}"
    ) in bib


# --- Query counts: the same at one revision as at several ------------------------------


@pytest.mark.parametrize("revisions", [1, 4])
@pytest.mark.parametrize(("name", "queries"), [("writeups:page", 7), ("writeups:history", 7)])
def test_writeup_pages_queries(client, django_assert_num_queries, scene, revisions, name, queries):
    for base in range(revisions):
        writeup_save(
            session=scene.session, by=scene.attendee, text=f"Line {base}\n" * (base + 1), base=base
        )
    client.force_login(scene.attendee)
    with django_assert_num_queries(queries):
        assert client.get(_url(name, scene.session)).status_code == 200


def test_writeup_save_uses_now(scene):
    before = timezone.now()
    revision = writeup_save(session=scene.session, by=scene.attendee, text="t", base=0)
    assert revision is not None
    assert revision.created_at >= before

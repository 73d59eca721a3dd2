"""Series RSVP: "I'll come every week" counts a member as going to each regular
week to come (new ones too), and "not this week" takes one week out of their
own calendar: a cancellation for that occurrence only (same UID, their own
SEQUENCE), and going again sends the invite again, through the outbox."""

import html
import re
from datetime import time, timedelta

import pytest
from django.core import mail
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from clubs.outbox.sending import outbox_flush
from clubs.reconfirm.participation import took_part
from clubs.services import club_leave
from sessions.calendars import feeds
from sessions.calendars.changes import sessions_calendar_changed
from sessions.mail.reminders import reminders_enqueue
from sessions.models import MailPreferences, Rsvp, SeriesRsvp, Session
from sessions.rota.planning import ScheduleInput, schedule_save, sessions_plan
from sessions.rota.selectors import session_detail
from sessions.rota.weeks import rsvp_set, session_restore, session_skip
from sessions.series.services import series_fill, series_join, series_leave
from tests.factories import ClubFactory, MembershipFactory, SessionFactory
from tests.sessions.ics import parse_everywhere

pytestmark = pytest.mark.django_db


def _week(club, days, *, facilitator=None, state=None, **fields):
    starts = timezone.now() + timedelta(days=days)
    return SessionFactory(
        club=club,
        series_date=starts.date(),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state=state or ("scheduled" if facilitator else "open"),
        facilitator=facilitator,
        **fields,
    )


def _going(session):
    return set(
        Rsvp.objects.filter(session=session, answer="going").values_list("user_id", flat=True)
    )


def _events(message):
    """The message's calendar part, parsed, and the MIME method it says."""
    [(content, mime)] = [(c, m) for c, m in message.alternatives if m.startswith("text/calendar")]
    calendar = parse_everywhere(content.encode())
    return calendar, mime


def _sent_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


@pytest.fixture
def club_weeks():
    club = ClubFactory(name="Every Week Club")
    facilitator = MembershipFactory(club=club).user
    weeks = [_week(club, days, facilitator=facilitator) for days in (2, 9, 16)]
    return club, facilitator, weeks


def test_series_counts_member_going_to_each_regular_week_to_come(club_weeks):
    club, _facilitator, (first, second, third) = club_weeks
    member = MembershipFactory(club=club).user
    past = _week(club, -5)
    skipped = _week(club, 23, state="cancelled")
    one_off = SessionFactory(club=club, starts_at=timezone.now() + timedelta(days=4))
    rsvp_set(session=second, user=member, answer="maybe")  # their own answer stays

    weeks = series_join(club=club, user=member)

    assert weeks == 2
    assert member.pk in _going(first)
    assert member.pk in _going(third)
    assert Rsvp.objects.get(session=second, user=member).answer == "maybe"
    for other in (past, skipped, one_off):
        assert not Rsvp.objects.filter(session=other, user=member).exists()
    shown = session_detail(club=club, session_id=first.pk, user=member)
    assert (shown.going_count, shown.in_series) == (1, True)


def test_weeks_planned_later_count_series_members():
    club = ClubFactory()
    organizer = MembershipFactory(club=club, role="organizer").user
    member = MembershipFactory(club=club).user
    series_join(club=club, user=member)  # before the club has any week
    first = timezone.localtime(timezone.now(), club.tzinfo).date() + timedelta(days=1)

    schedule_save(
        club=club,
        by=organizer,
        data=ScheduleInput(
            weekday=first.weekday(),
            start_time=time(12, 0),
            duration_minutes=60,
            meeting_link="",
            weeks_ahead=3,
            first_date=first,
            last_date=None,
        ),
        based_on_version=None,
    )
    sessions_plan(club=club)

    planned = Session.objects.filter(club=club)
    assert planned.count() == 3
    for week in planned:
        assert _going(week) == {member.pk}
        assert Rsvp.objects.get(session=week, user=member).via_series


def test_restored_week_counts_series_members(club_weeks):
    club, _facilitator, (first, _, _) = club_weeks
    organizer = MembershipFactory(club=club, role="organizer").user
    member = MembershipFactory(club=club).user
    session_skip(session=first, by=organizer, reason="holiday")
    series_join(club=club, user=member)
    assert member.pk not in _going(first)

    session_restore(session=first, by=organizer)

    assert member.pk in _going(first)


def test_series_leave_takes_back_only_the_series_answers(club_weeks):
    club, _facilitator, (first, second, third) = club_weeks
    member = MembershipFactory(club=club).user
    series_join(club=club, user=member)
    rsvp_set(session=second, user=member, answer="going")  # said for this week itself
    rsvp_set(session=third, user=member, answer="not_going")

    taken = series_leave(club=club, user=member)

    assert taken == 1
    assert not Rsvp.objects.filter(session=first, user=member).exists()
    assert Rsvp.objects.get(session=second, user=member).answer == "going"
    assert Rsvp.objects.get(session=third, user=member).answer == "not_going"
    assert not SeriesRsvp.objects.filter(club=club, user=member).exists()


def test_leaving_the_club_leaves_its_series(club_weeks):
    club, _facilitator, (first, _, _) = club_weeks
    member = MembershipFactory(club=club).user
    series_join(club=club, user=member)

    club_leave(club=club, user=member)
    later = _week(club, 30)
    series_fill(club=club)

    assert not SeriesRsvp.objects.filter(club=club, user=member).exists()
    assert member.pk not in _going(first)
    assert member.pk not in _going(later)


def _invited(session, *people):
    MailPreferences.objects.bulk_create(
        [MailPreferences(user=person, invites=True) for person in people]
    )
    sessions_calendar_changed(session_ids=[session.pk])
    outbox_flush()


def test_not_this_week_cancels_that_one_week_for_that_member_only(club_weeks):
    club, _facilitator, (first, second, _) = club_weeks
    member, other = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    series_join(club=club, user=member)
    _invited(first, member, other)
    [invite] = _sent_to(member)
    sent_uid = _events(invite)[0].walk("VEVENT")[0]["UID"]
    mail.outbox.clear()

    rsvp_set(session=first, user=member, answer="not_going")
    outbox_flush()

    [cancel] = mail.outbox  # to that member, nobody else
    assert cancel.to == [member.email]
    assert cancel.subject.startswith("Not this week: Every Week Club")
    calendar, mime = _events(cancel)
    [event] = calendar.walk("VEVENT")
    assert (calendar["METHOD"], mime) == ("CANCEL", "text/calendar; method=CANCEL")
    assert (event["UID"], event["SEQUENCE"], event["STATUS"]) == (sent_uid, 1, "CANCELLED")
    assert _going(second) >= {member.pk}  # the other weeks are untouched

    mail.outbox.clear()
    rsvp_set(session=first, user=member, answer="going")
    outbox_flush()

    [back] = mail.outbox
    assert back.subject.startswith("Back in your calendar: Every Week Club")
    calendar, mime = _events(back)
    [event] = calendar.walk("VEVENT")
    assert (calendar["METHOD"], mime) == ("REQUEST", "text/calendar; method=REQUEST")
    assert (event["UID"], event["SEQUENCE"], event["STATUS"]) == (sent_uid, 2, "CONFIRMED")


def test_changes_to_a_week_skip_who_said_no_and_keep_their_own_sequence(club_weeks):
    club, _facilitator, (first, _, _) = club_weeks
    member, other = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    _invited(first, member, other)
    rsvp_set(session=first, user=member, answer="not_going")
    outbox_flush()
    mail.outbox.clear()

    Session.objects.filter(pk=first.pk).update(change_count=F("change_count") + 1, title="New")
    sessions_calendar_changed(session_ids=[first.pk])
    outbox_flush()

    [update] = mail.outbox  # their calendar has it cancelled already
    assert update.to == [other.email]
    mail.outbox.clear()
    rsvp_set(session=first, user=member, answer="maybe")
    outbox_flush()

    [back] = mail.outbox
    [event] = _events(back)[0].walk("VEVENT")
    assert (event["SEQUENCE"], event["STATUS"]) == (1 + 2, "CONFIRMED")  # week's 1, theirs 2
    assert "New" in str(event["SUMMARY"])


def test_cancel_still_goes_when_the_week_changes_before_it_is_sent(club_weeks):
    club, _facilitator, (first, _, _) = club_weeks
    member = MembershipFactory(club=club).user
    _invited(first, member)
    mail.outbox.clear()
    rsvp_set(session=first, user=member, answer="not_going")  # owed, not yet sent
    Session.objects.filter(pk=first.pk).update(change_count=F("change_count") + 1)
    sessions_calendar_changed(session_ids=[first.pk])

    outbox_flush()

    [cancel] = mail.outbox
    [event] = _events(cancel)[0].walk("VEVENT")
    assert (event["SEQUENCE"], event["STATUS"]) == (1 + 1, "CANCELLED")


def test_not_this_week_sends_nothing_to_who_never_had_the_invite(club_weeks):
    club, _facilitator, (first, _, _) = club_weeks
    member = MembershipFactory(club=club).user  # takes no emailed invites
    series_join(club=club, user=member)

    rsvp_set(session=first, user=member, answer="not_going")
    rsvp_set(session=first, user=member, answer="going")
    outbox_flush()

    assert mail.outbox == []


def test_skipped_week_cancels_once_for_who_said_no(club_weeks):
    club, _facilitator, (first, _, _) = club_weeks
    organizer = MembershipFactory(club=club, role="organizer").user
    member, other = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    _invited(first, member, other)
    rsvp_set(session=first, user=member, answer="not_going")
    outbox_flush()
    mail.outbox.clear()

    session_skip(session=first, by=organizer, reason="holiday")
    outbox_flush()

    assert [m.to for m in mail.outbox] == [[other.email]]


def test_own_feed_and_week_file_say_cancelled_for_that_week(client, club_weeks):
    club, _facilitator, (first, second, _) = club_weeks
    member, other = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    series_join(club=club, user=member)
    rsvp_set(session=first, user=member, answer="not_going")

    events = {
        str(e["UID"]): e for e in parse_everywhere(feeds.personal_feed(user=member)).walk("VEVENT")
    }
    uid = f"session-{first.uid}@paperclub"
    assert (events[uid]["STATUS"], events[uid]["SEQUENCE"]) == ("CANCELLED", 1)
    assert events[f"session-{second.uid}@paperclub"]["STATUS"] == "CONFIRMED"

    url = reverse("calendars:session_ics", args=[club.slug, first.pk])
    client.force_login(member)
    [mine] = parse_everywhere(client.get(url).content).walk("VEVENT")
    client.force_login(other)
    [theirs] = parse_everywhere(client.get(url).content).walk("VEVENT")
    assert (mine["STATUS"], mine["SEQUENCE"]) == ("CANCELLED", 1)
    assert (theirs["STATUS"], theirs["SEQUENCE"]) == ("CONFIRMED", 0)


def test_nudge_reaches_series_members_but_not_who_said_no():
    club = ClubFactory()
    facilitator = MembershipFactory(club=club).user
    # The pre-read nudge is due 48 h before (and for 12 h after that).
    week = _week(club, 47 / 24, facilitator=facilitator)
    coming, skipping = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    for person in (coming, skipping):
        series_join(club=club, user=person)
    rsvp_set(session=week, user=skipping, answer="not_going")
    outbox_flush()
    mail.outbox.clear()

    reminders_enqueue()
    outbox_flush()

    nudged = {m.to[0] for m in mail.outbox if m.subject.startswith("Pre-read")}
    assert nudged == {coming.email}


def test_series_form_joins_and_offers_every_week_to_calendars(client, club_weeks):
    club, _facilitator, (first, second, _) = club_weeks
    member = MembershipFactory(club=club).user
    client.force_login(member)
    url = reverse("sessions:series", args=[club.slug, first.pk])

    response = client.post(url, {"every_week": "yes"}, follow=True)

    page = html.unescape(response.content.decode())
    assert "You're coming every week: 3 weeks to come count you as going" in page
    assert "Keep every week in your calendar" in page
    assert "Not this week" in page
    assert "Stop coming every week" in page
    assert member.pk in _going(second)

    response = client.post(url, {"every_week": "no"}, follow=True)
    assert "You no longer come every week" in html.unescape(response.content.decode())
    assert not SeriesRsvp.objects.filter(club=club, user=member).exists()


def test_series_form_without_a_choice_says_what_it_needs(client, club_weeks):
    club, _facilitator, (first, _, _) = club_weeks
    member = MembershipFactory(club=club).user
    client.force_login(member)

    response = client.post(reverse("sessions:series", args=[club.slug, first.pk]), follow=True)

    assert "Say whether you'll come every week" in html.unescape(response.content.decode())
    assert not SeriesRsvp.objects.exists()


def test_series_answers_are_not_taking_part_but_joining_is(club_weeks):
    club, _facilitator, _ = club_weeks
    quiet = MembershipFactory(club=club).user
    SeriesRsvp.objects.create(club=club, user=quiet, created_at=timezone.now() - timedelta(days=90))
    series_fill(club=club)  # new weeks: the series answers for them, they did nothing
    joiner = MembershipFactory(club=club).user
    series_join(club=club, user=joiner)

    active = took_part(club_id=club.pk, since=timezone.now() - timedelta(days=30))

    assert quiet.pk not in active
    assert joiner.pk in active


def _every_week_forms(page: str) -> list[str]:
    """The "every week" forms on a page, by where they post and what they offer."""
    found = re.findall(
        r'<form method="post" action="([^"]+)" class="[^"]*every-week[^"]*">(.*?)</form>',
        page,
        flags=re.S,
    )
    return [
        f"{action} " + " ".join(re.findall(r'name="every_week" value="(yes|no)"', body))
        for action, body in found
    ]


def test_rota_says_you_come_every_week_with_a_leave_button(client, club_weeks):
    club, _facilitator, (first, _, _) = club_weeks
    member = MembershipFactory(club=club).user
    rota = reverse("sessions:rota", args=[club.slug])
    every_week = reverse("sessions:every_week", args=[club.slug])
    client.force_login(member)

    page = html.unescape(client.get(rota).content.decode())
    assert _every_week_forms(page) == [f"{every_week} yes"]
    assert "You come every week" not in page

    joined = client.post(every_week, {"every_week": "yes", "next": rota}, follow=True)
    assert joined.redirect_chain == [(rota, 302)]
    page = html.unescape(joined.content.decode())
    assert "You come every week" in page
    assert _every_week_forms(page) == [f"{every_week} no"]
    assert member.pk in _going(first)
    # A week they said no to says so on its card, and only that one.
    rsvp_set(session=first, user=member, answer="not_going")
    assert client.get(rota).content.decode().count("You: not this week") == 1

    left = client.post(every_week, {"every_week": "no", "next": rota}, follow=True)
    assert left.redirect_chain == [(rota, 302)]
    assert "You no longer come every week" in html.unescape(left.content.decode())
    assert not SeriesRsvp.objects.filter(club=club, user=member).exists()
    assert member.pk not in _going(first)


def test_rota_offers_no_series_to_visitors_or_clubs_without_regular_weeks(client, club_weeks):
    club, _facilitator, _ = club_weeks
    club.visibility = "public"
    club.save(update_fields=["visibility"])
    rota = reverse("sessions:rota", args=[club.slug])
    assert _every_week_forms(client.get(rota).content.decode()) == []

    one_offs = ClubFactory()
    client.force_login(MembershipFactory(club=one_offs).user)
    SessionFactory(club=one_offs, series_date=None)
    page = client.get(reverse("sessions:rota", args=[one_offs.slug])).content.decode()
    assert _every_week_forms(page) == []


def test_profile_lists_the_clubs_you_come_to_every_week(client, club_weeks):
    club, _facilitator, _ = club_weeks
    member = MembershipFactory(club=club).user
    other = MembershipFactory(user=member, club=ClubFactory(name="Not Every Week")).club
    someone = MembershipFactory(club=other).user
    series_join(club=other, user=someone)  # someone else's series is not on this profile
    series_join(club=club, user=member)
    profile = reverse("profile")
    client.force_login(member)

    page = html.unescape(client.get(profile).content.decode())
    section = page.split('aria-labelledby="every-week-title"', 1)[1].split("</section>", 1)[0]
    assert "Every Week Club" in section
    assert "Not Every Week" not in section
    assert _every_week_forms(section) == [f"{reverse('sessions:every_week', args=[club.slug])} no"]

    left = client.post(
        reverse("sessions:every_week", args=[club.slug]),
        {"every_week": "no", "next": profile},
        follow=True,
    )
    assert left.redirect_chain == [(profile, 302)]
    page = html.unescape(left.content.decode())
    assert "You don't come to any club every week." in page
    assert not SeriesRsvp.objects.filter(user=member).exists()

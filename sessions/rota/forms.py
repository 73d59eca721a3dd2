"""Forms for the schedule, one-off sessions, organizer changes, papers, details and RSVPs.

Forms only parse and check shapes; the rules (last date after first, no moving
into the past, who may do what) live in the services, whose errors the views
turn into form errors or messages. Dates and times typed here are wall-clock
times in the club's zone.
"""

import zoneinfo
from datetime import datetime, time

from django import forms

from clubs.limits import SaneDateField
from clubs.models import Club
from clubs.selectors import active_members_named
from clubs.templatetags.paperclub import display_name

from ..models import Rsvp, Session, Weekday
from .common import local_datetime
from .planning import ScheduleInput
from .weeks import SessionDetails

MAX_PAPERS = 12


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def _duration_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label="Length in minutes", min_value=15, max_value=600, initial=60, **kwargs
    )


def _link_field(label: str, **kwargs) -> forms.URLField:
    return forms.URLField(
        label=label, required=False, max_length=500, assume_scheme="https", **kwargs
    )


class ScheduleForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label="Day of the week", choices=Weekday.choices, coerce=int, initial=Weekday.WEDNESDAY
    )
    start_time = forms.TimeField(
        label="Start time", widget=TimeInput(), initial=time(12, 0), input_formats=["%H:%M"]
    )
    duration_minutes = _duration_field()
    meeting_link = _link_field(
        "Default meeting link",
        help_text="Every new week gets it; a week can have its own. Shown to members only.",
    )
    weeks_ahead = forms.IntegerField(
        label="Weeks ahead",
        min_value=1,
        max_value=52,
        initial=8,
        help_text="How many coming weeks stay open for volunteers.",
    )
    first_date = SaneDateField(label="First date", widget=DateInput())
    last_date = SaneDateField(
        label="Last date",
        required=False,
        widget=DateInput(),
        help_text="For a limited run with a fixed syllabus; leave empty to keep going.",
    )
    # The version the organizer saw; an edit based on an older one is refused.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, zone_name: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "start_time"
        ].help_text = f"HH:MM in the club's time zone, {zone_name}; noon stays noon across DST."

    def to_input(self) -> ScheduleInput:
        data = self.cleaned_data
        return ScheduleInput(
            weekday=data["weekday"],
            start_time=data["start_time"],
            duration_minutes=data["duration_minutes"],
            meeting_link=data["meeting_link"],
            weeks_ahead=data["weeks_ahead"],
            first_date=data["first_date"],
            last_date=data["last_date"],
        )


def schedule_form_data(schedule) -> dict:
    """A schedule as the form's data (to show it as another organizer left it)."""
    return {
        "weekday": schedule.weekday,
        "start_time": schedule.start_time.strftime("%H:%M"),
        "duration_minutes": schedule.duration_minutes,
        "meeting_link": schedule.meeting_link,
        "weeks_ahead": schedule.weeks_ahead,
        "first_date": schedule.first_date.isoformat(),
        "last_date": schedule.last_date.isoformat() if schedule.last_date else "",
        "version": schedule.version,
    }


class _WhenForm(forms.Form):
    """A date and a time in the club's zone, plus a length."""

    day = SaneDateField(label="Date", widget=DateInput())
    at = forms.TimeField(label="Start time", widget=TimeInput(), input_formats=["%H:%M"])
    duration_minutes = _duration_field()

    def __init__(self, *args, zone_name: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone_name = zone_name
        self.fields["at"].help_text = f"HH:MM in the club's time zone, {zone_name}."

    def starts_at(self) -> datetime:
        return local_datetime(
            self.cleaned_data["day"], self.cleaned_data["at"], zoneinfo.ZoneInfo(self.zone_name)
        )


class MoveForm(_WhenForm):
    pass


class OneOffForm(_WhenForm):
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=200,
        help_text="e.g. “Summer meetup” or the guest's talk title.",
    )
    format = forms.ChoiceField(choices=Session.Format.choices, initial=Session.Format.SINGLE)
    location = forms.CharField(
        label="Location",
        required=False,
        max_length=300,
        help_text="For an in-person meetup: the place and room.",
    )
    meeting_link = _link_field(
        "Meeting link", help_text="Leave empty to use the club's default link."
    )


class SkipForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=200,
        help_text="e.g. “Public holiday”.",
        error_messages={
            "max_length": "The reason is too long: at most %(limit_value)d characters (it has "
            "%(show_value)d). The week is not cancelled."
        },
    )


class MemberField(forms.CharField):
    """A member of the club, typed by name or email address; the page suggests
    names (a <datalist>) rather than listing a club of thousands in every form.
    Cleans to the user, or None when left empty. The form (_WithMembers) sets `club`."""

    club: Club | None = None

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 300)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value).strip()
        if not text:
            return None
        if self.club is None:
            raise TypeError("MemberField needs its form to set the club (_WithMembers).")
        found = active_members_named(club=self.club, text=text)
        if len(found) == 1:
            return found[0].user
        if not found:
            raise forms.ValidationError(f"No member of the club is called “{text}”.")
        raise forms.ValidationError(
            f"Several members match “{text}”: type more of the name, or their email address."
        )


class _WithMembers(forms.Form):
    """Forms with a MemberField take the club it looks members up in."""

    def __init__(self, *args, club, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # this form's own copies of the fields
            if isinstance(field, MemberField):
                field.club = club


class AssignForm(_WithMembers, forms.Form):
    """Organizers: who facilitates. Empty clears the week. The week's papers go
    back to the backlog when the facilitator changes, unless kept."""

    facilitator = MemberField(label="Facilitator")
    keep_papers = forms.BooleanField(required=False, label="Keep its papers on the week")


class WeeksForm(forms.Form):
    """Weeks named by id, for "move these" and "keep them"."""

    def clean(self):
        ids = []
        for raw in self.data.getlist("session"):  # type: ignore[attr-defined]  # a QueryDict
            if not raw.isdigit():
                raise forms.ValidationError("Choose weeks from the list.")
            ids.append(int(raw))
        if not ids:
            raise forms.ValidationError("Choose at least one week.")
        return {"session_ids": ids}


class PapersForm(forms.Form):
    """The chosen papers: checkboxes named `nomination` in the order shown, with
    optional `minutes-<id>` for survey weeks. Read from the raw data because the
    candidates are rendered by hand (one list for the whole page, no per-field query)."""

    def clean(self):
        picks: list[tuple[int, int | None]] = []
        for raw in self.data.getlist("nomination"):  # type: ignore[attr-defined]  # a QueryDict
            try:
                nomination_id = int(raw)
            except ValueError:
                raise forms.ValidationError("Choose papers from the list.") from None
            minutes_raw = (self.data.get(f"minutes-{nomination_id}") or "").strip()
            minutes = None
            if minutes_raw:
                try:
                    minutes = int(minutes_raw)
                except ValueError:
                    raise forms.ValidationError("Minutes are a whole number.") from None
                if not 1 <= minutes <= 600:
                    raise forms.ValidationError("Give each paper between 1 and 600 minutes.")
            picks.append((nomination_id, minutes))
        if len(picks) > MAX_PAPERS:
            raise forms.ValidationError(f"A session reads at most {MAX_PAPERS} papers.")
        return {"picks": picks}


class DetailsForm(_WithMembers, forms.Form):
    title = forms.CharField(label="Title", required=False, max_length=200)
    format = forms.ChoiceField(choices=Session.Format.choices)
    co_facilitator = MemberField(
        label="Co-facilitator",
        help_text="A member's name or email address; leave empty for nobody.",
        widget=forms.TextInput(attrs={"list": "member-suggestions", "autocomplete": "off"}),
    )
    notes = forms.CharField(
        label="Facilitation outline",
        required=False,
        max_length=Session.NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown. Suggested headings: Big idea, Results, Relevance, "
        "Related work, Open questions.",
    )
    meeting_link = _link_field("Meeting link", help_text="Shown to members only.")
    location = forms.CharField(
        label="Location", required=False, max_length=300, help_text="For in-person weeks."
    )
    slides_url = _link_field("Slides")
    recording_url = _link_field("Recording")

    @classmethod
    def initial_for(cls, session: Session) -> dict:
        return {
            "title": session.title,
            "format": session.format,
            "co_facilitator": display_name(session.co_facilitator)
            if session.co_facilitator
            else "",
            "notes": session.notes,
            "meeting_link": session.meeting_link,
            "location": session.location,
            "slides_url": session.slides_url,
            "recording_url": session.recording_url,
        }

    def to_details(self) -> SessionDetails:
        data = self.cleaned_data
        return SessionDetails(
            title=data["title"],
            format=data["format"],
            notes=data["notes"],
            meeting_link=data["meeting_link"],
            location=data["location"],
            slides_url=data["slides_url"],
            recording_url=data["recording_url"],
            co_facilitator_id=data["co_facilitator"].pk if data["co_facilitator"] else None,
        )


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(choices=Rsvp.Answer.choices)

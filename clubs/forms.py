import re

from django import forms
from django.core.validators import validate_email

from .models import Club, available_time_zones, validate_time_zone
from .services import profile_update


class TimeZoneField(forms.CharField):
    """A time zone typed (with suggestions) as an IANA name, checked against zoneinfo.
    Any case is fine: `america/new_york` is stored as `America/New_York`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("validators", [validate_time_zone])
        kwargs.setdefault(
            "help_text", "An IANA zone name such as America/Los_Angeles, Europe/London or UTC."
        )
        super().__init__(**kwargs)
        self.widget.attrs.update({"list": "time-zones", "autocomplete": "off"})

    def to_python(self, value):
        value = super().to_python(value)
        return _zones_by_lower_name().get(value.lower(), value)


def _zones_by_lower_name() -> dict[str, str]:
    global _ZONES_BY_LOWER_NAME
    if _ZONES_BY_LOWER_NAME is None:
        _ZONES_BY_LOWER_NAME = {zone.lower(): zone for zone in available_time_zones()}
    return _ZONES_BY_LOWER_NAME


_ZONES_BY_LOWER_NAME: dict[str, str] | None = None


def time_zone_choices() -> list[str]:
    return sorted(available_time_zones())


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=80, required=False, help_text="How other members see you."
    )
    time_zone = TimeZoneField(label="Your time zone")
    hide_reading_from_facilitators = forms.BooleanField(
        required=False,
        label="Hide my reading from facilitators",
        help_text="Facilitators and organizers then count how far you read without naming you.",
    )


class SignupForm(forms.Form):
    """What allauth's sign-up form asks besides the address and password
    (ACCOUNT_SIGNUP_FORM_CLASS): the name members see, and the zone times are shown
    in. The zone field starts at UTC and works as typed; static/js/app.js puts the
    browser's own zone in (data-browser-zone) while the person has not typed one."""

    display_name = forms.CharField(
        label="Your name",
        max_length=80,
        help_text="How other members see you, e.g. “Ada Lovelace”.",
        error_messages={"required": "Tell the club what to call you."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    time_zone = TimeZoneField(
        label="Your time zone",
        initial="UTC",
        required=False,
        help_text="Times are shown to you in it. An IANA name such as Europe/London; "
        "your browser's zone is filled in when it can be, UTC when left empty.",
    )

    field_order = ["display_name", "email", "password1", "password2", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # a form sent back with errors keeps what the person chose
            self.fields["time_zone"].widget.attrs["data-browser-zone"] = ""

    def signup(self, request, user) -> None:
        profile_update(
            user=user,
            display_name=self.cleaned_data["display_name"],
            time_zone=self.cleaned_data["time_zone"] or "UTC",
        )


class ClubForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=60,
        label="Address",
        help_text="Letters, digits and hyphens; the club lives at /c/your-address/.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=Club.DESCRIPTION_MAX,
        help_text="What the club reads and when it meets. Markdown is allowed "
        f"(at most {Club.DESCRIPTION_MAX:,} characters).",
    )
    visibility = forms.ChoiceField(choices=Club.Visibility.choices, widget=forms.RadioSelect)
    join_policy = forms.ChoiceField(
        choices=Club.JoinPolicy.choices,
        widget=forms.RadioSelect,
        label="How people join",
        help_text="Private clubs are always by invitation only.",
    )
    time_zone = TimeZoneField(label="The club's time zone")

    def clean_slug(self):
        slug = self.cleaned_data["slug"].lower()
        if slug in {"new", "admin", "static", "media"}:
            raise forms.ValidationError("That address is reserved; choose another.")
        return slug


class ClubSettingsForm(ClubForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["slug"]  # a club's address never changes: links to it live on


class InvitationLinkForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=90, initial=7, label="Valid for (days)")


class InvitationEmailForm(forms.Form):
    emails = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Email addresses",
        # 100 addresses of the longest kind fit; a pasted book does not.
        max_length=30_000,
        help_text="One per line or separated by commas; each gets a single-use link.",
    )
    days = forms.IntegerField(min_value=1, max_value=90, initial=7, label="Valid for (days)")

    def clean_emails(self):
        tokens = [t for t in re.split(r"[\s,;]+", self.cleaned_data["emails"]) if t]
        bad = []
        for token in tokens:
            try:
                validate_email(token)
            except forms.ValidationError:
                bad.append(token)
        if bad:
            raise forms.ValidationError("Not email addresses: " + ", ".join(bad))
        if len(tokens) > 100:
            raise forms.ValidationError("At most 100 addresses at once.")
        return tokens

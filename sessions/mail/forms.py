"""Forms for mail: a club's reminder settings, a person's mail and calendar settings."""

from django import forms

from ..models import ClubReminders, MailPreferences
from .kinds import Kind
from .reminders import REMINDER_KINDS


class RemindersForm(forms.ModelForm):
    class Meta:
        model = ClubReminders
        fields = [
            "volunteer_needed_days",
            "facilitator_prep_days",
            "preread_nudge_hours",
            "starting_soon_minutes",
            "follow_up",
        ]
        labels = {
            "volunteer_needed_days": "“Volunteer needed”: days before a week with no facilitator",
            "facilitator_prep_days": "Facilitator preparation: days before",
            "preread_nudge_hours": "Pre-read nudge: hours before (to those going, not started)",
            "starting_soon_minutes": "“Starting soon”: minutes before (with the meeting link)",
            "follow_up": "Follow-up once slides or a recording are linked",
        }
        help_texts = {"volunteer_needed_days": "0 turns a reminder off."}


class PreferencesForm(forms.Form):
    invites = forms.BooleanField(
        required=False, label="Send me calendar invites by email for scheduled sessions"
    )
    no_email = forms.BooleanField(required=False, label="No email from Paper Club at all")
    reminders = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Reminders I want",
        choices=[(kind, label) for kind, label in Kind.choices if kind in REMINDER_KINDS],
    )
    feed_scope = forms.ChoiceField(
        choices=MailPreferences.FeedScope.choices,
        widget=forms.RadioSelect,
        label="My calendar feed shows",
    )

"""The organizers' choice: ask quiet members whether to stay."""

from django import forms

from ..models import ReconfirmPolicy


class ReconfirmPolicyForm(forms.Form):
    enabled = forms.BooleanField(
        required=False,
        label="Ask quiet members whether to stay",
        help_text="Checked every hour. Organizers are never asked.",
    )
    quiet_weeks = forms.IntegerField(
        label="Quiet for how many weeks",
        min_value=ReconfirmPolicy.QUIET_WEEKS_RANGE[0],
        max_value=ReconfirmPolicy.QUIET_WEEKS_RANGE[1],
        help_text="No RSVP, attendance, vote or post in this many weeks "
        "(and in the club that long).",
    )
    answer_days = forms.IntegerField(
        label="Days to answer",
        min_value=ReconfirmPolicy.ANSWER_DAYS_RANGE[0],
        max_value=ReconfirmPolicy.ANSWER_DAYS_RANGE[1],
        help_text="Who neither answers nor takes part in this many days becomes inactive.",
    )

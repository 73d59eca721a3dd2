from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from ..models import ROUND_CANDIDATES_MAX, ROUND_TITLE_MAX, VOTE_BUDGET_MAX, VotingRound


class OptionsForm(forms.Form):
    vote_budget = forms.IntegerField(
        label="Vote budget",
        required=False,
        min_value=1,
        max_value=VOTE_BUDGET_MAX,
        help_text=(
            "At most this many open votes per member (empty: no limit). A vote on a paper "
            "the club has covered no longer counts, so it comes back to its member."
        ),
    )
    weighted_votes = forms.BooleanField(
        label="Weigh votes by attendance",
        required=False,
        help_text=(
            "A member's vote counts from 1× (came to none of the club's last six sessions "
            "with attendance) to 2× (came to all). Members see what their vote counts and why."
        ),
    )


class RoundForm(forms.Form):
    title = forms.CharField(label="Name", max_length=ROUND_TITLE_MAX)
    method = forms.ChoiceField(
        label="How members vote",
        choices=VotingRound.Method.choices,
        widget=forms.RadioSelect,
        initial=VotingRound.Method.APPROVAL,
    )
    closes_on = forms.DateField(label="Closes on", widget=forms.DateInput(attrs={"type": "date"}))
    closes_time = forms.TimeField(
        label="at", widget=forms.TimeInput(attrs={"type": "time"}), initial="18:00"
    )
    top = forms.IntegerField(
        label="Or the backlog's top",
        required=False,
        min_value=1,
        max_value=ROUND_CANDIDATES_MAX,
        help_text="Leave the papers unticked to put the top this many papers to the vote.",
    )

    def __init__(self, *args, club, **kwargs):
        self.club = club
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            soon = timezone.localtime(timezone.now(), club.tzinfo) + timedelta(days=7)
            self.initial.setdefault("closes_on", soon.date())
        self.fields["closes_on"].help_text = f"In the club's time zone, {club.time_zone}."

    def closes_at(self) -> datetime:
        """The deadline as an aware moment in the club's zone."""
        local = datetime.combine(self.cleaned_data["closes_on"], self.cleaned_data["closes_time"])
        return timezone.make_aware(local, self.club.tzinfo)

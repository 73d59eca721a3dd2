from itertools import groupby
from typing import cast

from django import forms

from ..templatetags.paperclub import display_name
from .registry import all_kinds
from .selectors import LogFilter


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def kind_choices() -> list:
    """Every registered kind, in sections by group."""
    grouped = [
        (group, [(kind.name, kind.label) for kind in kinds])
        for group, kinds in groupby(all_kinds(), key=lambda kind: kind.group)
    ]
    return [("", "Any kind"), *grouped]


class LogFilterForm(forms.Form):
    kind = forms.ChoiceField(label="What", required=False)
    person = forms.TypedChoiceField(label="Who", required=False, coerce=int, empty_value=None)
    since = forms.DateField(label="From", required=False, widget=DateInput())
    until = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(self, *args, people: list, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = kind_choices()
        cast(forms.ChoiceField, self.fields["person"]).choices = [("", "Anyone")] + [
            (user.pk, display_name(user)) for user in people
        ]

    def clean(self):
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError("“To” must be on or after “From”.")
        return data

    def to_filter(self) -> LogFilter:
        if not self.is_valid():
            return LogFilter()
        data = self.cleaned_data
        return LogFilter(
            kind=data["kind"] or "",
            actor_id=data["person"],
            since=data["since"],
            until=data["until"],
        )

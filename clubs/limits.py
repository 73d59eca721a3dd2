"""How long free text may be, and how far dates may reach, in one shape for every app.

Every free-text field has a maximum (docs/limits.md lists them all). A
`bounded_text` field carries it three times: in the form (the widget's
`maxlength` and Django's MaxLengthValidator), in the model (`full_clean`), and,
with `text_length_check` in the model's constraints, in the database, so that
no code path (a service, a worker, the admin, a shell) can store more.
CharFields need no check of their own: PostgreSQL bounds `varchar(n)`.
"""

from datetime import date

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual


def bounded_text(maximum: int, **kwargs) -> models.TextField:
    """A TextField that validates its length (Django's TextField alone only
    passes max_length to the form)."""
    return models.TextField(max_length=maximum, validators=[MaxLengthValidator(maximum)], **kwargs)


def text_length_check(field: str, maximum: int, *, name: str) -> models.CheckConstraint:
    """The database's own guard for a bounded_text field."""
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), maximum), name=name)


def clip(text: str, maximum: int) -> str:
    """Text from outside (arXiv, a PDF, an SMTP server) cut to fit its field, with an ellipsis."""
    text = text or ""
    return text if len(text) <= maximum else text[: maximum - 1].rstrip() + "…"


# Dates a person types: anything else is a slip of the keyboard (9999, 0001), and
# far dates overflow datetime arithmetic (a week after 31 December 9999).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
DATE_RANGE_ERROR = "Give a date between 1 January 2000 and 31 December 2100."


class SaneDateField(forms.DateField):
    """A DateField between EARLIEST_DATE and LATEST_DATE, which its widget also
    tells the browser (min and max)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.update({"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()})

    def validate(self, value) -> None:
        super().validate(value)
        if value and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(DATE_RANGE_ERROR, code="date_out_of_range")

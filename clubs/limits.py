"""How long free text may be, in one shape for every app's models.

Every free-text field has a maximum (docs/limits.md lists them all). A
`bounded_text` field carries it three times: in the form (the widget's
`maxlength` and Django's MaxLengthValidator), in the model (`full_clean`), and,
with `text_length_check` in the model's constraints, in the database, so that
no code path (a service, a worker, the admin, a shell) can store more.
CharFields need no check of their own: PostgreSQL bounds `varchar(n)`.
"""

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

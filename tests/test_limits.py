"""Every free-text field has a documented maximum, kept by the form, the model and
the database; Markdown rendering is bounded whatever it is given."""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, models, transaction
from django.urls import reverse

from clubs.markdown import MARKDOWN_MAX_CHARS, markdown_excerpt, render_markdown
from clubs.models import Club
from papers.models import Nomination, Paper, PaperNote
from sessions.models import Post, Question, Session, Thread
from tests.factories import ClubFactory, MembershipFactory, UserFactory, session_at

LIMITS_DOC = Path(__file__).resolve().parents[1] / "docs" / "limits.md"
PROJECT_APPS = ("clubs", "papers", "meetings")
# Written only by the app itself (its own error messages), cut where written:
# a database check would turn a long SMTP answer into a failed task.
APP_WRITTEN = {"Paper.metadata_error", "Paper.pdf_error", "OutboxMessage.error"}


def _text_fields():
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField | models.TextField) and not field.choices:
                yield model, field


def _length_checks(model) -> dict[str, int]:
    """field -> maximum, for each `Length(field) <= n` check of the model."""
    found = {}
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        if isinstance(condition, models.lookups.LessThanOrEqual):
            length, maximum = condition.lhs, condition.rhs
            if isinstance(length, models.functions.Length):
                found[length.source_expressions[0].name] = maximum
    return found


def test_every_free_text_field_has_a_maximum_in_model_and_database():
    missing = []
    for model, field in _text_fields():
        name = f"{model.__name__}.{field.name}"
        if not field.max_length:
            missing.append(f"{name}: no max_length")
            continue
        if isinstance(field, models.TextField):
            # Django's TextField alone only tells the form; the validator tells the model.
            if not any(
                isinstance(v, MaxLengthValidator) and v.limit_value == field.max_length
                for v in field.validators
            ):
                missing.append(f"{name}: no MaxLengthValidator")
            if name not in APP_WRITTEN and _length_checks(model).get(field.name) != (
                field.max_length
            ):
                missing.append(f"{name}: no database check of its length")
    assert missing == []


def test_every_free_text_field_is_documented_with_its_maximum():
    doc = LIMITS_DOC.read_text()
    undocumented = []
    for model, field in _text_fields():
        row = re.search(rf"^\| `{model.__name__}\.{field.name}` \| ([\d,]+) \|", doc, re.M)
        if row is None or int(row.group(1).replace(",", "")) != field.max_length:
            undocumented.append(f"{model.__name__}.{field.name} ({field.max_length})")
    assert undocumented == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field", "maximum"),
    [
        (Club, "description", Club.DESCRIPTION_MAX),
        (Paper, "title", Paper.TITLE_MAX),
        (Paper, "abstract", Paper.ABSTRACT_MAX),
        (Nomination, "pitch", Nomination.PITCH_MAX),
        (PaperNote, "text", PaperNote.TEXT_MAX),
        (Session, "notes", Session.NOTES_MAX),
        (Question, "text", Question.MAX_LENGTH),
        (Post, "body", Post.BODY_MAX),
    ],
)
def test_database_refuses_text_over_the_limit_from_any_code_path(model, field, maximum):
    club = ClubFactory()
    user = UserFactory()
    paper = Paper.objects.create(club=club, title="Short")
    session = session_at(club, starts_in=timedelta(days=1), state="open")
    rows = {
        Club: club,
        Paper: paper,
        Nomination: Nomination.objects.create(club=club, paper=paper),
        PaperNote: PaperNote.objects.create(paper=paper, user=user, text="x"),
        Session: session,
        Question: Question.objects.create(session=session, author=user, text="Why?"),
    }
    if model is Post:
        thread = Thread.objects.create(club=club, session=session)
        rows[Post] = Post.objects.create(thread=thread, author=user, body="x")
    row = rows[model]
    model.objects.filter(pk=row.pk).update(**{field: "y" * maximum})  # at the limit: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: "y" * (maximum + 1)})


@pytest.mark.django_db
def test_model_validation_names_the_limit():
    club = ClubFactory()
    club.description = "z" * (Club.DESCRIPTION_MAX + 1)
    with pytest.raises(ValidationError) as raised:
        club.full_clean()
    assert "at most 5000 characters" in str(raised.value.message_dict["description"])


# --- The club description that took the home page down -----------------------------------


@pytest.mark.django_db
def test_a_megabyte_description_is_a_form_error_and_changes_nothing(client):
    """Issue 13: a 1.2 MB description was accepted and every page showing the club took 10-12 s."""
    club = ClubFactory(description="We read papers.")
    organizer = MembershipFactory(club=club, role="organizer").user
    client.force_login(organizer)
    response = client.post(
        reverse("clubs:settings", args=[club.slug]),
        {
            "name": club.name,
            "description": "Reading group about transformers. " * 36_000,  # 1.2 MB
            "visibility": "public",
            "join_policy": "open",
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["description"] == [
        "Ensure this value has at most 5000 characters (it has 1223999)."
    ]
    club.refresh_from_db()
    assert club.description == "We read papers."
    assert 'maxlength="5000"' in response.content.decode()


@pytest.mark.django_db
def test_directory_card_renders_only_the_start_of_a_long_description(client):
    start = "First words of a long description. "
    ClubFactory(name="Wordy", description=start + "more words here " * 300 + "THE-END-MARKER")
    body = client.get(reverse("clubs:directory")).content.decode()
    assert "First words of a long description." in body
    assert "THE-END-MARKER" not in body


# --- Markdown ----------------------------------------------------------------------------


def test_markdown_is_sanitised():
    html = render_markdown(
        "# Big\n\n## Heading\n\n**bold** <script>alert(1)</script> "
        "[x](javascript:alert(1)) [ok](https://example.org) <img src=x onerror=alert(1)>\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<script" not in html
    assert "alert(1)</" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert "<img" not in html
    assert "<h1>" not in html
    assert "<h2>Heading</h2>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer">ok</a>' in html
    assert "<td>1</td>" in html
    # A line that starts with a tag is an HTML block: cmark drops it whole.
    assert render_markdown("<script>alert(1)</script> **bold**") == ""


def test_markdown_renders_at_most_its_cap():
    text = "word " * (MARKDOWN_MAX_CHARS // 5) + "BEYOND-THE-CAP"
    html = render_markdown(text)
    assert "BEYOND-THE-CAP" not in html
    assert html.endswith("…</p>")
    assert "BEYOND" not in markdown_excerpt("word " * 300 + "BEYOND")


@pytest.mark.parametrize(
    "text",
    ["[" * 20_000, "![" * 10_000, "[a](" * 5_000, "*_" * 10_000, "> " * 5_000 + "x"],
    ids=["brackets", "images", "open-links", "emphasis", "quotes"],
)
def test_markdown_worst_cases_render_in_linear_time(text):
    """Python-Markdown took 59 s on 20,000 "[" (quadratic); cmark-gfm takes milliseconds.

    Not a performance target (those live in ./bench/run): a guard against a
    renderer that is an order of magnitude slower on hostile input, with a
    bound a hundred times above what it takes on this machine."""
    started = time.perf_counter()
    render_markdown(text)
    assert time.perf_counter() - started < 2.0

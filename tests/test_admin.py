"""Issue 13: "Only 4 of 23 models are in the Django admin"."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from clubs.chat.secrets import seal
from clubs.models import ChatWebhook
from papers.models import Paper, PaperNote
from sessions.models import FeedToken
from tests.factories import ClubFactory, MembershipFactory, UserFactory

OUR_APPS = ("clubs", "papers", "meetings")
CHAT_URL = "https://hooks.slack.com/services/T0ABCDEF1/B0GHIJKL2/sEcReTsLaCkToKeN0123456789"


def _our_models():
    return [m for label in OUR_APPS for m in apps.get_app_config(label).get_models()]


def test_every_model_of_ours_is_in_the_admin():
    missing = [m._meta.label for m in _our_models() if m not in admin.site._registry]
    assert missing == []


@pytest.fixture
def operator(client, db):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", _our_models(), ids=lambda m: m._meta.label)
def test_every_admin_list_renders_and_searches(operator, model):
    club = ClubFactory()
    MembershipFactory(club=club, role="organizer")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert operator.get(url).status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.search_fields:
        assert operator.get(url, {"q": "club"}).status_code == 200


def test_the_admin_shows_no_secret_or_private_text(operator, club, member):
    paper = Paper.objects.create(club=club, title="Paper", metadata_state="ready")
    note = PaperNote.objects.create(paper=paper, user=member, text="my private doubts")
    token = FeedToken.objects.create(club=club, token="feed-secret-token-123")
    paper_page = operator.get(reverse("admin:papers_paper_change", args=[paper.pk]))
    assert paper_page.status_code == 200
    for name, pk in (("papers_papernote", note.pk), ("meetings_feedtoken", token.pk)):
        page = operator.get(reverse(f"admin:{name}_change", args=[pk])).content.decode()
        assert "my private doubts" not in page
        assert "feed-secret-token-123" not in page
    hook = ChatWebhook.objects.create(
        club=club, service="slack", url_sealed=seal(CHAT_URL), url_masked="https://hooks…"
    )
    page = operator.get(reverse("admin:clubs_chatwebhook_change", args=[hook.pk])).content.decode()
    assert CHAT_URL not in page
    assert hook.url_sealed not in page

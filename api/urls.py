from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import token_views, views

app_name = "api"


class RowId:
    """A row's id: digits that fit the database's bigint (a longer one is no row)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowId, "id")

club = "v1/clubs/<slug:slug>/"
urlpatterns = [
    # The OpenAPI 3 schema at a stable URL, and the browsable docs that read it.
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("v1/clubs/", views.ClubList.as_view(), name="clubs"),
    path(club, views.ClubDetail.as_view(), name="club"),
    path(club + "members/", views.MemberList.as_view(), name="members"),
    path(club + "backlog/", views.Backlog.as_view(), name="backlog"),
    path(club + "backlog/<id:nomination_id>/", views.NominationDetail.as_view(), name="nomination"),
    path(club + "backlog/<id:nomination_id>/vote/", views.NominationVote.as_view(), name="vote"),
    path(club + "rounds/", views.RoundList.as_view(), name="rounds"),
    path(club + "rounds/<id:round_id>/", views.RoundDetail.as_view(), name="round"),
    path(club + "rounds/<id:round_id>/ballot/", views.RoundBallot.as_view(), name="ballot"),
    path(club + "sessions/", views.SessionList.as_view(), name="sessions"),
    path(club + "sessions/<id:session_id>/", views.SessionDetail.as_view(), name="session"),
    path(club + "sessions/<id:session_id>/rsvp/", views.SessionRsvp.as_view(), name="rsvp"),
    path(
        club + "sessions/<id:session_id>/preread/", views.SessionPreRead.as_view(), name="preread"
    ),
    path(
        club + "sessions/<id:session_id>/questions/",
        views.SessionQuestions.as_view(),
        name="questions",
    ),
    path(club + "archive/", views.Archive.as_view(), name="archive"),
    path("v1/me/rsvps/", views.MyRsvps.as_view(), name="my_rsvps"),
    path("v1/me/prereads/", views.MyPreReads.as_view(), name="my_prereads"),
    # Anything else under /api/ is a JSON 404 too, not the site's HTML page.
    re_path(r"^.*$", views.not_found, name="not_found"),
]

# The profile's token pages (the site's, not the API's).
token_urlpatterns = [
    path("accounts/profile/tokens/", token_views.tokens, name="tokens"),
    path("accounts/profile/tokens/<int:token_id>/revoke/", token_views.revoke, name="token_revoke"),
]

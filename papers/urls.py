from django.urls import path, register_converter

from . import views

app_name = "papers"

CURATE_ACTIONS = "pin|unpin|archive|restore|tags|delete"


class CurateActionConverter:
    regex = CURATE_ACTIONS

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CurateActionConverter, "curate_action")


class TopicDecisionConverter(CurateActionConverter):
    regex = "accept|reject"


register_converter(TopicDecisionConverter, "topic_decision")

urlpatterns = [
    path("c/<slug:slug>/backlog/", views.backlog, name="backlog"),
    path("c/<slug:slug>/topics/", views.topics, name="topics"),
    path(
        "c/<slug:slug>/topics/<int:tag_id>/<topic_decision:decision>/",
        views.topic_decide,
        name="topic_decide",
    ),
    path("c/<slug:slug>/backlog/add/", views.propose, name="propose"),
    path("c/<slug:slug>/papers/<int:nomination_id>/", views.nomination, name="nomination"),
    path("c/<slug:slug>/papers/<int:nomination_id>/status/", views.paper_status, name="status"),
    path("c/<slug:slug>/papers/<int:nomination_id>/pdf/", views.paper_pdf, name="pdf"),
    path("c/<slug:slug>/papers/<int:nomination_id>/vote/", views.vote, name="vote"),
    path("c/<slug:slug>/papers/<int:nomination_id>/retry/", views.retry_fetch, name="retry"),
    path("c/<slug:slug>/papers/<int:nomination_id>/edit/", views.edit_own, name="edit"),
    path("c/<slug:slug>/papers/<int:nomination_id>/details/", views.paper_details, name="details"),
    path("c/<slug:slug>/papers/<int:nomination_id>/withdraw/", views.withdraw, name="withdraw"),
    path("c/<slug:slug>/papers/<int:nomination_id>/merge/", views.merge, name="merge"),
    path(
        "c/<slug:slug>/papers/<int:nomination_id>/<curate_action:action>/",
        views.curate,
        name="curate",
    ),
]

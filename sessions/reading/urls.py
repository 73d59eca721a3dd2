from django.urls import path

from . import views

app_name = "reading"

_ONE = "c/<slug:slug>/sessions/<int:session_id>/"
_QUESTION = _ONE + "questions/<int:question_id>/"

urlpatterns = [
    path(_ONE + "preread/", views.preread, name="preread"),
    path(_ONE + "questions/", views.ask, name="ask"),
    path(_QUESTION + "vote/", views.question_vote, name="question_vote"),
    path(_QUESTION + "answered/", views.question_answered, name="question_answered"),
    path(_QUESTION + "delete/", views.question_delete, name="question_delete"),
    path(_ONE + "dashboard/", views.dashboard, name="dashboard"),
    path("c/<slug:slug>/papers/<int:nomination_id>/guide/", views.guide, name="guide"),
    path("c/<slug:slug>/papers/<int:nomination_id>/guide/tick/", views.guide_tick, name="tick"),
    path("c/<slug:slug>/papers/<int:nomination_id>/guide/notes/", views.guide_notes, name="notes"),
    path("c/<slug:slug>/stats/", views.stats, name="stats"),
    path("c/<slug:slug>/read-next/", views.read_next, name="next"),
    path("me/reading/", views.my_reading, name="mine"),
]

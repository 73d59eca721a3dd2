from django.urls import path

from ..series import views as series_views
from . import views

app_name = "sessions"

_ONE = "c/<slug:slug>/sessions/<int:session_id>/"

urlpatterns = [
    path("c/<slug:slug>/schedule/", views.schedule, name="schedule"),
    path("c/<slug:slug>/schedule/misfits/", views.misfits, name="misfits"),
    path("c/<slug:slug>/rota/", views.rota, name="rota"),
    path("c/<slug:slug>/rota/facilitators/", views.facilitators, name="facilitators"),
    path("c/<slug:slug>/every-week/", series_views.every_week, name="every_week"),
    path("c/<slug:slug>/sessions/new/", views.session_new, name="new"),
    path(_ONE, views.session_page, name="session"),
    path(_ONE + "claim/", views.claim, name="claim"),
    path(_ONE + "withdraw/", views.withdraw, name="withdraw"),
    path(_ONE + "step-back/", views.step_back, name="step_back"),
    path(_ONE + "assign/", views.assign, name="assign"),
    path(_ONE + "papers/", views.papers, name="papers"),
    path(_ONE + "details/", views.details, name="details"),
    path(_ONE + "done/", views.done, name="done"),
    path(_ONE + "rsvp/", views.rsvp, name="rsvp"),
    path(_ONE + "every-week/", series_views.series, name="series"),
    path(_ONE + "skip/", views.skip, name="skip"),
    path(_ONE + "restore/", views.restore, name="restore"),
    path(_ONE + "move/", views.move, name="move"),
    path(_ONE + "replan/", views.replan, name="replan"),
    path("c/<slug:slug>/archive/", views.archive, name="archive"),
    path("c/<slug:slug>/archive.csv", views.archive_csv, name="archive_csv"),
    path("c/<slug:slug>/archive.bib", views.archive_bib, name="archive_bib"),
]

from django.urls import path

from . import views

app_name = "writeups"

_ONE = "c/<slug:slug>/sessions/<int:session_id>/write-up/"

urlpatterns = [
    path(_ONE, views.page, name="page"),
    path(_ONE + "save/", views.save, name="save"),
    path(_ONE + "history/", views.history, name="history"),
    path(_ONE + "revisions/<int:number>/", views.revision, name="revision"),
]

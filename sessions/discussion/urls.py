from django.urls import path, register_converter

from . import views
from .subjects import KINDS


class SubjectKind:
    regex = "|".join(KINDS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SubjectKind, "subject")

app_name = "discussion"

_THREAD = "c/<slug:slug>/discussion/<subject:kind>/<int:subject_id>/"
_POST = "c/<slug:slug>/discussion/posts/<int:post_id>/"

urlpatterns = [
    path(_THREAD, views.thread, name="thread"),
    path(_THREAD + "post/", views.post, name="post"),
    path(_THREAD + "follow/", views.follow, name="follow"),
    path(_THREAD + "lock/", views.lock, name="lock"),
    path(_POST + "edit/", views.post_edit, name="post_edit"),
    path(_POST + "delete/", views.post_delete, name="post_delete"),
    path(_POST + "hide/", views.post_hide, name="post_hide"),
    # A signed link from a discussion email: no club, no sign-in.
    path("discussion/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

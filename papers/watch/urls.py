from django.urls import path

from . import views

app_name = "watch"

urlpatterns = [
    path("c/<slug:slug>/suggested/", views.suggested, name="suggested"),
    path("c/<slug:slug>/suggested/mine/", views.mine, name="mine"),
    path("c/<slug:slug>/watches/add/", views.add, name="add"),
    path("c/<slug:slug>/watches/<int:watch_id>/remove/", views.remove, name="remove"),
    path("c/<slug:slug>/suggested/<int:suggestion_id>/propose/", views.propose, name="propose"),
    path("c/<slug:slug>/suggested/<int:suggestion_id>/mute/", views.mute, name="mute"),
]

from django.urls import path

from . import views

app_name = "voting"

urlpatterns = [
    path("c/<slug:slug>/backlog/voting/", views.options, name="options"),
    path("c/<slug:slug>/rounds/", views.round_list, name="rounds"),
    path("c/<slug:slug>/rounds/new/", views.round_new, name="round_new"),
    path("c/<slug:slug>/rounds/<int:round_id>/", views.round_page, name="round"),
    path("c/<slug:slug>/rounds/<int:round_id>/ballot/", views.ballot, name="ballot"),
]

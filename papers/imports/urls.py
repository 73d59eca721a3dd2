from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("c/<slug:slug>/backlog/import/", views.batch, name="batch"),
]

from django.urls import path

from . import views

# The names these pages always had (`calendars:...`): sessions/urls.py includes
# this list and calendars/urls.py's under that one namespace.
app_name = "calendars"

urlpatterns = [
    path("c/<slug:slug>/sessions/<int:session_id>/outbox/", views.session_outbox, name="outbox"),
    path("me/notifications/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

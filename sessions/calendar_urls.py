from django.urls import path

from . import calendar_views as views

app_name = "calendars"

urlpatterns = [
    path("c/<slug:slug>/calendar/", views.club_calendar, name="club"),
    path("c/<slug:slug>/calendar.ics", views.club_public_feed, name="club_public"),
    path("c/<slug:slug>/calendar/regenerate/", views.club_feed_regenerate, name="club_regenerate"),
    path("c/<slug:slug>/sessions/<int:session_id>.ics", views.session_ics, name="session_ics"),
    path("c/<slug:slug>/sessions/<int:session_id>/outbox/", views.session_outbox, name="outbox"),
    path("calendar/club/<str:token>.ics", views.club_private_feed, name="club_private"),
    path("calendar/me/<str:token>.ics", views.personal_feed, name="personal"),
    path("me/notifications/", views.preferences, name="preferences"),
    path("me/notifications/regenerate/", views.personal_feed_regenerate, name="regenerate"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

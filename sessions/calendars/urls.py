from django.urls import path

from . import views

# Shared with mail/urls.py: sessions/urls.py includes both under this one namespace.
app_name = "calendars"

urlpatterns = [
    path("c/<slug:slug>/calendar/", views.club_calendar, name="club"),
    path("c/<slug:slug>/calendar.ics", views.club_public_feed, name="club_public"),
    path("c/<slug:slug>/calendar/regenerate/", views.club_feed_regenerate, name="club_regenerate"),
    path("c/<slug:slug>/sessions/<int:session_id>.ics", views.session_ics, name="session_ics"),
    path("calendar/club/<str:token>.ics", views.club_private_feed, name="club_private"),
    path("calendar/me/<str:token>.ics", views.personal_feed, name="personal"),
    path("me/notifications/regenerate/", views.personal_feed_regenerate, name="regenerate"),
]

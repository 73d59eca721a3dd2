"""Every URL of the sessions app, by subject; the names are those the pages always had."""

from django.urls import include, path

from .calendars import urls as calendar_urls
from .mail import urls as mail_urls

urlpatterns = [
    path("", include("sessions.rota.urls")),  # sessions:...
    path("", include("sessions.reading.urls")),  # reading:...
    path("", include("sessions.attendance.urls")),  # attendance:...
    # The calendar and mail pages share one namespace, calendars:...
    path("", include((calendar_urls.urlpatterns + mail_urls.urlpatterns, "calendars"))),
]

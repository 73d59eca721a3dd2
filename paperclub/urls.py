from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from api.urls import token_urlpatterns
from clubs import account_views
from clubs import views as club_views

from . import views

# The admin signs in through allauth's form, whose failed sign-ins are rate-limited
# (Django's own admin login is not).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # on purpose

urlpatterns = [
    path("", club_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("accounts/profile/", club_views.profile_edit, name="profile"),
    *token_urlpatterns,
    path("accounts/login/", account_views.login, name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("", include("clubs.urls")),
    path("", include("papers.urls")),
    path("", include("papers.imports.urls")),
    path("", include("papers.watch.urls")),
    path("", include("papers.voting.urls")),
    path("", include("sessions.urls")),
]

handler403 = "paperclub.views.error_403"
handler404 = "paperclub.views.error_404"
handler500 = "paperclub.views.error_500"
# Not a Django handler: allauth's rate limits look it up here, and the app's own
# limits (clubs.ratelimits) answer with it too.
handler429 = "paperclub.views.error_429"

if settings.PAPERCLUB_BENCH:
    from . import bench_views

    urlpatterns.append(path("bench/floor/", bench_views.floor, name="bench_floor"))
# Nothing serves MEDIA_URL, not even with DEBUG: uploaded PDFs go through
# papers:pdf, which checks the club's permissions (papers/storage.py).

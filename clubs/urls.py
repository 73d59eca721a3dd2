from django.urls import path, register_converter

from . import views
from .activity import views as activity_views
from .chat import views as chat_views
from .outbox import views as outbox_views
from .reconfirm import views as reconfirm_views
from .webhooks import views as webhook_views


class MembershipActionConverter:
    regex = "approve|decline|promote|demote|remove"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(MembershipActionConverter, "membership_action")

app_name = "clubs"

urlpatterns = [
    path("clubs/", views.club_directory, name="directory"),
    path("clubs/new/", views.club_create, name="create"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("c/<slug:slug>/", views.club_home, name="home"),
    path("c/<slug:slug>/settings/", views.club_settings, name="settings"),
    path("c/<slug:slug>/join/", views.club_join, name="join"),
    path("c/<slug:slug>/leave/", views.club_leave, name="leave"),
    path("c/<slug:slug>/members/", views.club_members, name="members"),
    path("c/<slug:slug>/members/reconfirm/", reconfirm_views.policy, name="reconfirm"),
    path("keep/<str:token>/", reconfirm_views.keep, name="reconfirm_keep"),
    path(
        "c/<slug:slug>/members/<int:membership_id>/<membership_action:action>/",
        views.membership_action,
        name="membership_action",
    ),
    path("c/<slug:slug>/invitations/", views.invitations, name="invitations"),
    path("c/<slug:slug>/activity/", activity_views.activity_log, name="activity"),
    path(
        "c/<slug:slug>/activity/<int:entry_id>/undo/",
        activity_views.activity_undo,
        name="activity_undo",
    ),
    path(
        "c/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("c/<slug:slug>/outbox/", outbox_views.club_outbox, name="outbox"),
    path(
        "c/<slug:slug>/outbox/<int:message_id>/resend/",
        outbox_views.outbox_resend,
        name="outbox_resend",
    ),
    path("c/<slug:slug>/chat/", chat_views.chat_page, name="chat"),
    path("c/<slug:slug>/chat/<str:service>/test/", chat_views.chat_test, name="chat_test"),
    path("c/<slug:slug>/chat/<str:service>/remove/", chat_views.chat_remove, name="chat_remove"),
    path("c/<slug:slug>/webhooks/", webhook_views.webhooks_page, name="webhooks"),
    path("c/<slug:slug>/webhooks/<int:webhook_id>/", webhook_views.webhook_page, name="webhook"),
    path(
        "c/<slug:slug>/webhooks/<int:webhook_id>/secret/",
        webhook_views.webhook_rotate,
        name="webhook_rotate",
    ),
    path(
        "c/<slug:slug>/webhooks/<int:webhook_id>/on/",
        webhook_views.webhook_enable,
        name="webhook_enable",
    ),
    path(
        "c/<slug:slug>/webhooks/<int:webhook_id>/ping/",
        webhook_views.webhook_ping,
        name="webhook_ping",
    ),
    path(
        "c/<slug:slug>/webhooks/<int:webhook_id>/remove/",
        webhook_views.webhook_remove,
        name="webhook_remove",
    ),
    path(
        "c/<slug:slug>/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]

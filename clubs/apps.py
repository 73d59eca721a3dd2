from django.apps import AppConfig


class ClubsConfig(AppConfig):
    name = "clubs"
    verbose_name = "Clubs and membership"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .activity.kinds import register_club_kinds  # noqa: PLC0415 - AppConfig.ready: imports models
        from .chat.outbox import register_kinds as register_chat_kinds  # noqa: PLC0415 - as above
        from .chat.services import register_activity_kinds as register_chat_activity  # noqa: PLC0415
        from .mail import register_kinds as register_mail_kinds  # noqa: PLC0415 - as above
        from .reconfirm.activity import register_reconfirm_kinds  # noqa: PLC0415 - as above
        from .reconfirm.mail import register_kind as register_reconfirm_mail  # noqa: PLC0415 - as above
        from .reconfirm.signals import connect  # noqa: PLC0415 - as above
        from .webhooks.outbox import register_kinds as register_webhook_kinds  # noqa: PLC0415
        from .webhooks.services import register_activity_kinds as register_webhook_activity  # noqa: PLC0415

        register_club_kinds()
        register_mail_kinds()
        register_reconfirm_kinds()
        register_reconfirm_mail()
        connect()
        register_chat_kinds()
        register_chat_activity()
        register_webhook_kinds()
        register_webhook_activity()

from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from clubs import profile_sections  # noqa: PLC0415 - registries are filled once apps load

        from .token_views import profile_tokens_section  # noqa: PLC0415 - imports models
        from .webhooks import register_payloads  # noqa: PLC0415 - imports models

        profile_sections.register("api/_profile_tokens.html", profile_tokens_section)
        register_payloads()

from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers and backlog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clubs import home_sections

        from .selectors import club_home_backlog_section

        home_sections.register(club_home_backlog_section)

from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers and backlog"
    default_auto_field = "django.db.models.BigAutoField"

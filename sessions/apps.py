from django.apps import AppConfig


class SessionsConfig(AppConfig):
    # The folder is `sessions/`, but django.contrib.sessions owns the label
    # "sessions": ours is "meetings" (migrations and string references use it).
    name = "sessions"
    label = "meetings"
    verbose_name = "Weekly sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clubs import home_sections
        from papers import hooks

        from .rota.paper_changes import paper_details_changed
        from .rota.selectors import club_home_sessions_section

        home_sections.register(club_home_sessions_section)
        hooks.on_paper_details_changed(paper_details_changed)

from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers and backlog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clubs import home_sections, settings_sections  # noqa: PLC0415 - AppConfig.ready: the app registry is loading
        from clubs.reconfirm import participation  # noqa: PLC0415 - AppConfig.ready: the app registry is loading

        from .activity import register_paper_kinds  # noqa: PLC0415 - AppConfig.ready: imports models
        from .backlog_cache import renew_on_proposer_rename  # noqa: PLC0415 - AppConfig.ready: imports models
        from .merging import register_merge_kind  # noqa: PLC0415 - AppConfig.ready: imports models
        from .selectors import (  # noqa: PLC0415 - AppConfig.ready: selectors import models
            club_home_backlog_section,
            voters_since,
        )
        from .voting.views import settings_section  # noqa: PLC0415 - AppConfig.ready: imports models

        home_sections.register(club_home_backlog_section)
        participation.register("papers.votes", voters_since)
        register_paper_kinds()
        register_merge_kind()
        renew_on_proposer_rename()
        settings_sections.register("papers/voting/_options_section.html", settings_section)

from django.apps import AppConfig


class SessionsConfig(AppConfig):
    # The folder is `sessions/`, but django.contrib.sessions owns the label
    # "sessions": ours is "meetings" (migrations and string references use it).
    name = "sessions"
    label = "meetings"
    verbose_name = "Weekly sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clubs import home_sections, membership_hooks, no_email, profile_sections  # noqa: PLC0415 - AppConfig.ready: the app registry is loading
        from clubs.reconfirm import participation  # noqa: PLC0415 - AppConfig.ready: the app registry is loading
        from papers import hooks, merging, page_sections  # noqa: PLC0415 - AppConfig.ready: the app registry is loading

        from .attendance.selectors import attendees_since  # noqa: PLC0415 - AppConfig.ready: imports models
        from .attendance.views import profile_streaks_section  # noqa: PLC0415 - AppConfig.ready: imports models
        from .attendance.weights import vote_weights  # noqa: PLC0415 - AppConfig.ready: imports models
        from .discussion.activity import register_discussion_kinds  # noqa: PLC0415 - AppConfig.ready: imports models
        from .discussion.mail import register_discussion_mail  # noqa: PLC0415 - AppConfig.ready: imports models
        from .discussion.selectors import posters_since  # noqa: PLC0415 - AppConfig.ready: imports models
        from .discussion.services import thread_move_on_merge  # noqa: PLC0415 - AppConfig.ready: imports models
        from .discussion.views import paper_discussion_section  # noqa: PLC0415 - AppConfig.ready: imports models
        from .mail.outbox import register_kinds  # noqa: PLC0415 - AppConfig.ready: imports models
        from .mail.preferences import no_email_users  # noqa: PLC0415 - AppConfig.ready: imports models
        from .rota.activity import register_rota_kinds  # noqa: PLC0415 - AppConfig.ready: imports models
        from .rota.facilitators import nomination_links_move  # noqa: PLC0415 - AppConfig.ready: imports models
        from .rota.paper_changes import paper_details_changed  # noqa: PLC0415 - AppConfig.ready: imports models
        from .rota.selectors import (  # noqa: PLC0415 - AppConfig.ready: selectors import models
            club_home_sessions_section,
            rsvpers_since,
            upcoming_weeks_reading,
        )
        from .series.services import series_membership_ended  # noqa: PLC0415 - AppConfig.ready: imports models
        from .series.views import profile_series_section  # noqa: PLC0415 - AppConfig.ready: imports models

        home_sections.register(club_home_sessions_section)
        profile_sections.register(
            "sessions/attendance/_profile_streaks.html", profile_streaks_section
        )
        profile_sections.register(
            "sessions/series/_profile_every_week.html", profile_series_section
        )
        hooks.on_paper_details_changed(paper_details_changed)
        hooks.vote_weights_provider(vote_weights)  # attendance-weighted backlog votes
        register_rota_kinds()
        merging.register_rota(week_reader=upcoming_weeks_reading, links_mover=nomination_links_move)
        hooks.on_nominations_merged(thread_move_on_merge)
        page_sections.register("sessions/discussion/_paper_section.html", paper_discussion_section)
        register_discussion_kinds()
        register_discussion_mail()  # new posts and digests go through the outbox
        register_kinds()  # session mail goes through the outbox (clubs/outbox)
        # What counts as taking part, for asking quiet members whether to stay.
        participation.register("sessions.rsvps", rsvpers_since)
        participation.register("sessions.attendance", attendees_since)
        membership_hooks.on_membership_ended(series_membership_ended)
        participation.register(participation.POSTS, posters_since)
        # "No email at all" holds for the mail clubs sends too (the re-confirmation).
        no_email.register(no_email_users)

"""Beat-driven jobs for sessions: thin wrappers over services."""

from celery import shared_task

from . import services


@shared_task(name="sessions.plan_all")
def plan_all() -> int:
    return services.sessions_plan_all()


@shared_task(name="sessions.close_finished")
def close_finished() -> int:
    return services.sessions_close_finished()

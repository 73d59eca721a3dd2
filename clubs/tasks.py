"""clubs' Celery tasks: the outbox's (outbox.expand, outbox.drain, outbox.sweep),
which send club invitations and account mail as well as the apps' above, and
the daily-ish scan that re-confirms quiet members (clubs.reconfirm)."""

from celery import shared_task

from .outbox import tasks as outbox_tasks  # noqa: F401
from .reconfirm import services as reconfirm


@shared_task(name="clubs.reconfirm_scan")
def reconfirm_scan() -> list[int]:
    """Beat, hourly: ask quiet members whether to stay (clubs whose policy is
    on), and make inactive those whose deadline passed. Idempotent: an asked
    member is not asked again while the question is open."""
    asked, lapsed = reconfirm.reconfirm_scan()
    return [asked, lapsed]

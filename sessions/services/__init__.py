"""Writes for schedules, sessions, facilitators, papers and RSVPs.

Times: a schedule is wall-clock time in the club's zone; each session is
planned from its local date and time, so noon stays noon across daylight
saving changes. Races are settled by the database: claims are one conditional
UPDATE, the planner relies on a unique (club, series date) and locks the
schedule row, and schedule edits carry the version they were based on.

The services live in the modules below by subject; callers use them from
here (`from sessions import services`).
"""

from .common import (
    AUTO_DONE_AFTER,
    NotAllowed,
    SessionError,
    ends_after,
    local_datetime,
    occurrence_dates,
    session_may_run,
)
from .facilitators import session_assign, session_claim, session_papers_set, session_withdraw
from .planning import PlanResult, ScheduleInput, schedule_save, sessions_plan, sessions_plan_all
from .weeks import (
    SessionDetails,
    rsvp_set,
    session_add_one_off,
    session_details_update,
    session_mark_done,
    session_move,
    session_restore,
    session_skip,
    sessions_close_finished,
)

__all__ = [
    "AUTO_DONE_AFTER",
    "NotAllowed",
    "PlanResult",
    "ScheduleInput",
    "SessionDetails",
    "SessionError",
    "ends_after",
    "local_datetime",
    "occurrence_dates",
    "rsvp_set",
    "schedule_save",
    "session_add_one_off",
    "session_assign",
    "session_claim",
    "session_details_update",
    "session_may_run",
    "session_mark_done",
    "session_move",
    "session_papers_set",
    "session_restore",
    "session_skip",
    "session_withdraw",
    "sessions_close_finished",
    "sessions_plan",
    "sessions_plan_all",
]

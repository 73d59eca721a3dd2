"""What a member's backlog vote counts when the club weighs votes by attendance
(registered with papers.voting.weights in SessionsConfig.ready: papers knows
no sessions).

The rule: the club's last RECENT_SESSIONS sessions with attendance (taken by
the facilitator, or a member's own check-in; never a cancelled week). A member
who came to k of those n has a vote worth 1 + k/n: from 1 (came to none) to 2
(came to all). Attendance changes renew the backlog's stamp
(papers.voting.options.attendance_changed), so the cached order follows.
"""

from django.db.models import Count, Exists, OuterRef, Q

from papers.voting.weights import ClubWeights

from ..models import Attendance, Session

RECENT_SESSIONS = 6


def vote_weights(*, club_id: int) -> ClubWeights:
    """Two queries: the recent sessions, and who came to them how often."""
    recent = list(
        Session.objects.filter(club_id=club_id)
        .exclude(state=Session.State.CANCELLED)
        .filter(
            Q(attendance_taken_at__isnull=False)
            | Exists(Attendance.objects.filter(session=OuterRef("pk")))
        )
        .order_by("-starts_at", "-pk")
        .values_list("pk", flat=True)[:RECENT_SESSIONS]
    )
    if not recent:
        return ClubWeights()
    came = (
        Attendance.objects.filter(session_id__in=recent)
        .values("user_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return ClubWeights(
        base=len(recent),
        extra={row["user_id"]: row["n"] for row in came},
        sessions=len(recent),
    )

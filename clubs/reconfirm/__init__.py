"""Asking quiet members whether to stay, and letting the list shrink to the
people who take part (issue 16, item 6).

An organizer turns it on with two numbers (clubs.models.ReconfirmPolicy):
members with no sign of taking part in N weeks are asked by mail whether to
stay, with a signed one-click "keep me" link that needs no sign-in; those who
neither answer nor take part within M days become inactive (Membership.State
.INACTIVE: no mail, not counted, listed apart for organizers) and are active
again when they sign in, visit the club signed in, or use the link. Every step
is in the club's activity log.

- `participation.py`: what counts as taking part, registered by the apps above
  (RSVPs and attendance by sessions, votes by papers, discussion posts by
  whichever app holds them);
- `tokens.py`: the signed link; `services.py`: the policy, the ask, the keep,
  the lapse and the return; `mail.py`: the outbox kind; `views.py`;
- the periodic job is `clubs.reconfirm_scan` (CELERY_BEAT_SCHEDULE, which the
  embedded beat runs too).
"""

"""Asking quiet members whether to stay, and letting the list shrink to the
people who take part (issue 16, item 6).

An organizer turns it on with two numbers (clubs.models.ReconfirmPolicy):
members with no sign of taking part in N weeks are asked by mail whether to
stay, with a signed one-click "keep me" link that needs no sign-in; those who
neither answer nor take part within M days become inactive (Membership.State
.INACTIVE: no mail, not counted, listed apart for organizers) and are active
again when they sign in, visit the club signed in, or use the link. Every step
is in the club's activity log.

A member who takes no email at all (the session mail's "No email from Paper
Club at all", read through clubs.no_email) is not mailed: they are asked on
the club's pages on their next visit signed in, with the same one-click
"keep me" (clubs/reconfirm/_banner.html, above the club's navigation). Their
M days start when they first see it (`ReconfirmAsk.shown_at`), so the lapse
waits for that: nobody becomes inactive without having been asked. One who
never comes back stays an active member with the question open (and is not
asked again meanwhile); signing in answers it as it does for everyone.

- `participation.py`: what counts as taking part, registered by the apps above
  (RSVPs and attendance by sessions, votes by papers, discussion posts by
  whichever app holds them);
- `tokens.py`: the signed link; `services.py`: the policy, the ask, the keep,
  the lapse and the return; `mail.py`: the outbox kind; `views.py`;
- the periodic job is `clubs.reconfirm_scan` (CELERY_BEAT_SCHEDULE, which the
  embedded beat runs too).
"""

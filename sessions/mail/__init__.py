"""Mail for sessions: calendar invites, their updates and cancellations, and
reminders, all sent through the outbox (clubs/outbox), exactly once and in order.

- `kinds.py`: the kinds people choose and unsubscribe from, and their outbox
  names and topics (one stream per session's calendar, one per reminder).
- `outbox.py`: those kinds as outbox kinds: who a fan-out reaches, and each
  message built from the session as it is when it goes out.
- `invites.py`: who is sent a session's invite, update or cancellation.
- `reminders.py`: which reminders are due, when, and to whom.
- `messages.py`: what a message says (subject, paragraphs, bodies, the
  calendar parts of invites).
- `sending.py`: loading sessions and people in the shapes messages need.
- `preferences.py`: what each person wants, and one-click unsubscribe.
- `forms.py`, `views.py`, `urls.py`: the preferences, unsubscribe and outbox
  pages (their URL names stay `calendars:...`).

A material change (sessions.calendars.changes) owes one fan-out per session
and sequence in its own transaction; a reminder scan owes one per session and
reminder. Workers expand and send them; the outbox's sweeper re-drives whatever
a dead worker or a lost task left. Reminders are found by a frequent scan of
what is due (no far-future eta); one whose moment passed longer ago than its
window (the app was down) is not sent late (reminders.LATE_WINDOWS).
"""

"""Mail for sessions: calendar invites and reminders by email, sent exactly once.

- `sending.py`: the send log (Delivery), the one-fan-out-per-session lock, and
  delivering one kind of message to many people; the organizers' outbox view
  of that log.
- `messages.py`: what a message says (subject, paragraphs, bodies, the
  calendar parts of invites).
- `invites.py`: who is sent a session's invite, update or cancellation.
- `reminders.py`: which reminders are due, when, and to whom.
- `preferences.py`: what each person wants, and one-click unsubscribe.
- `forms.py`, `views.py`, `urls.py`: the preferences, unsubscribe and outbox
  pages (their URL names stay `calendars:...`).

How "exactly once" holds:
- Every message has a send-log row (Delivery) keyed by (kind, session,
  person, sequence). The row is inserted before the message goes out, so a
  retried task, a redelivered message or a restarted beat finds it and sends
  nothing more.
- One fan-out per session runs at a time (a cache lock, Redis in production),
  so for one session messages leave in order and a cancellation never
  overtakes its invite.
- A row left "sending" by a worker that died mid-send is sent again on the
  next run with the same Message-ID, so the receiving mail system sees one
  message. Everything else in the fan-out that was already sent is skipped.

Reminders are found by a frequent scan of what is due (no far-future eta). A
reminder whose moment passed longer ago than its kind's window (the app was
down) is not sent late; see reminders.LATE_WINDOWS.
"""

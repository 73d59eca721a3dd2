"""Announcements in the club's Discord and/or Slack (issue 16, item 2).

Organizers paste an incoming-webhook URL per service (sealed at rest with
Fernet, shown masked, checked against each service's form) and choose which
events are posted; the apps above call `services.chat_announce` inside the
change's transaction with the event's facts, and each post goes through the
outbox (kind "clubs.chat", channel "http", a queued stream per webhook): once,
in order, retried with backoff, a 429's retry_after honoured; a webhook that
answers 404 is disabled with a notice.

- `models.py`: ChatWebhook (one per club and service), ChatSettings (which
  events, whether the meeting link may be posted), ChatAnnouncement (one per
  club and event key: a scan that finds the same moment again adds nothing);
- `webhooks.py`: the URL forms Discord and Slack give, and the masked form;
- `secrets.py`: sealing and opening the URL;
- `messages.py`: what a post says, within each service's documented limits;
- `outbox.py`: the outbox kind;
- `services.py`, `forms.py`, `views.py`: the organizers' chat page.
"""

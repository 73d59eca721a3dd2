"""Signed outgoing webhooks (issue 18, item 4): the club's other tools (a
website, a newsletter, a bot) are told the moment something happens.

Organizers register a URL and choose events; each delivery is a JSON body
signed with HMAC-SHA256 over "<timestamp>.<body>" with the webhook's secret
(made by the app, shown once, rotatable), sent through the outbox (kind
"clubs.webhook", channel "http", a queued stream per webhook): once per event
and webhook, retried with backoff, a log of every attempt, "redeliver" with
the same delivery id, and the webhook turned off after
WEBHOOK_DISABLE_AFTER_FAILURES failed deliveries in a row.

- `models.py`: Webhook, WebhookEvent (one per club and event key: what
  happened), WebhookDelivery (one per event and webhook: the delivery id and
  the body, fixed at its first attempt), WebhookAttempt (the delivery log);
- `events.py`: the events, their names on the wire and their subjects;
- `addresses.py`: which URLs are accepted (http or https, never a private,
  loopback or link-local address unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES);
- `signing.py`: the secret, the signature and the headers;
- `payloads.py`: a registry of what a subject says (the API registers its
  serializers' shapes, api/webhooks.py), and the body;
- `outbox.py`: the outbox kind; `services.py`: saving webhooks, owing events
  (`webhook_events_owe`, called by papers/webhooks.py and sessions/webhooks.py
  inside the change's transaction), redelivering; `selectors.py`, `forms.py`,
  `views.py`: the organizers' pages.
"""

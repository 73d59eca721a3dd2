"""Calendars: feeds (a club's, a person's, one session's), the tokens behind
private feed URLs, and the one adapter to iCalendar.

- `ical.py`: the iCalendar adapter (feeds PUBLISH; emailed invites REQUEST/CANCEL).
- `events.py`: what a session's event says (used by feeds and mail invites).
- `feeds.py`: which sessions a feed holds, its cached ICS, subscribe links.
- `tokens.py`: the revocable secret tokens of private feeds.
- `views.py`, `urls.py` (the `calendars:` names, shared with mail's pages).
"""

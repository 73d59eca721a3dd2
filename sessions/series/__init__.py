"""Series RSVP: a member's "I'll come every week", with a per-week "not this week".

- `services.py`: joining and leaving the series, and filling the weeks to come
  (those planned later too) with the series members' "going" (Rsvp rows with
  via_series), so every headcount, reminder, attendance sheet and feed that
  reads "going" counts them without knowing about series; a member who leaves
  the club leaves its series.
- `views.py`: the one form (join or leave), on every week's RSVP, on the rota
  (the club-level URL, `sessions:every_week`) and, to leave, on the member's
  profile (a section registered with clubs.profile_sections); `selectors.py`:
  which clubs a person comes to every week.

"Not this week" is the week's own "not going" answer (sessions.rota.weeks.
rsvp_set): it takes that one occurrence out of the member's calendar, by a
cancellation of their own, and going again puts it back
(sessions.calendars.personal).
"""

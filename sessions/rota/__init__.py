"""The rota: the weekly schedule, its weeks, who facilitates them and what they read.

- `planning.py`: the schedule and the planner that keeps the coming weeks.
- `weeks.py`: one week's changes (skip, restore, move, one-offs, details, done)
  and RSVPs.
- `facilitators.py`: claims, withdrawals, assignments and the papers a week reads.
- `common.py`: what those share (times in the club's zone, the week lock, the
  hook that sends changed weeks to calendars).
- `selectors.py`, `forms.py`, `views.py`, `urls.py` (the `sessions:` names), and
  `exports.py` (the archive as CSV and BibTeX).

Times: a schedule is wall-clock time in the club's zone; each session is
planned from its local date and time, so noon stays noon across daylight
saving changes. Races are settled by the database: claims are one conditional
UPDATE, the planner relies on a unique (club, series date) and locks the
schedule row, and schedule edits carry the version they were based on.

Who may run a session is `sessions.permissions`; the errors are `sessions.errors`.
"""

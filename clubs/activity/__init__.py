"""The club's activity log: who did what and when, and undo for what can be undone.

Generic, so it lives in the lowest app: clubs, papers and sessions all write to
it (`services.activity_record`, inside the transaction of the change), and each
app registers its kinds, with their undo where there is one, in its
AppConfig.ready (`registry.register`). clubs never imports the other apps.

- `registry.py`: the kinds and their undo handlers.
- `snapshots.py`: rows as they were (serialised with Django's serializers) and
  putting them back exactly, for handlers that need it.
- `services.py`: recording, undoing (atomic, logged, refused with the reason
  when something has built on the change since).
- `selectors.py`, `forms.py`, `views.py`: the organizers' log with filters.
"""

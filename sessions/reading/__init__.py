"""Pre-reading: how far each member has read, questions for the facilitator and
their votes, the facilitator's dashboard, the reading guide with private notes,
club statistics and "my reading".

- `services.py` (writes), `selectors.py` (reads), `forms.py`, `views.py`,
  `urls.py` (the `reading:` names).
"""

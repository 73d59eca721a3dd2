"""The arXiv watch (issue 17 item 3): organizers watch categories, authors and
keywords for the club, members for themselves; a daily run asks arXiv for what
is new there and offers it, ranked against the club's history, one click from
the backlog.

- `queries.py`: what a watch may be (checked with a clear reason) and the one
  `search_query` it sends;
- `runs.py`: the daily run (the beat's `papers.sweep_watches` claims each due
  watch, asks arXiv through papers/arxiv_client.py in the shared one-request-
  per-3-seconds slot of papers/fetching.py, and stores the run whole or not at
  all), the dedupe and the ranking (papers.related.index);
- `services.py`: adding and removing watches, proposing (through the one door,
  papers/proposing.py) and muting suggestions;
- `selectors.py`, `forms.py`, `views.py`, `urls.py`: the Suggested pages.
"""

"""Related papers: each nomination's nearest papers in its own club's backlog
and archive, by tf-idf over title, abstract and authors (as arxiv-sanity-lite
does), computed offline by a worker and stored (papers.RelatedPaper).

- `index.py`: the arithmetic, a pure function of the club's texts (scikit-learn);
- `services.py`: `related_changed` (a paper arrived or changed: rebuild after
  commit), `related_rebuild` (one club, replaced at once), `related_sweep`;
- `selectors.py`: what pages read (a paper's list, "read near it" in bulk).
"""

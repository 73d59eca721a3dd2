"""Discussion: a thread for each session and for each backlog paper.

Lives in sessions (not clubs or papers) because a thread's subject is a
session or a paper, and sessions is the one app that may name both: the
thread's row has a real foreign key to either (one thread per subject, gone
with it). The paper page, in papers, shows it through papers.page_sections.
"""

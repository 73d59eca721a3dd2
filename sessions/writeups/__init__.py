"""A shared write-up per session: Markdown its attendees, facilitators and the
club's organizers edit together, with every revision kept, a diff between any
two and who wrote each line (services.py, selectors.py, diffing.py)."""

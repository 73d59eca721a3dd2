"""The REST API under /api/v1/ and the personal tokens it is called with.

The top of the arrows (docs/architecture.md): it reads through the apps'
selectors and writes through their services, and asks `clubs.permissions` who
may do what, so the API and the site keep one copy of every rule.
"""

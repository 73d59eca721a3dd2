"""Uploads kept while their person answers "is it this one?" (papers.proposing),
and the hourly sweep that deletes the ones nobody came back for."""

from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

UNCONFIRMED_DIR = "papers/unconfirmed"
# Long enough to answer the question after lunch; the sweep deletes the rest.
UNCONFIRMED_KEPT_FOR = timedelta(days=1)


def unconfirmed_uploads_sweep(*, older_than: timedelta = UNCONFIRMED_KEPT_FOR) -> int:
    """Delete kept uploads older than `older_than`; return how many went. A person
    who answers later is asked for the PDF again ("That upload is no longer here")."""
    try:
        _, names = default_storage.listdir(UNCONFIRMED_DIR)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - older_than
    gone = 0
    for name in names:
        path = f"{UNCONFIRMED_DIR}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            gone += 1
    return gone

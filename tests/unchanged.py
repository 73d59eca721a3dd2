"""`with unchanged(): …` fails when the block changed any row Paper Club keeps.

For every refusal (403, 404, a redirect to sign in): besides the status, the
test shows that nothing was written. It compares every row of every model of
the three apps and of the accounts they hang off (users, their addresses,
many-to-many tables included) before and after; Django's own session rows are
left out (signing in writes them).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps

APP_LABELS = ("auth", "account", "clubs", "papers", "meetings")


def database_rows() -> dict[str, list[tuple]]:
    """Every row of those apps' tables, as tuples of field values, by table."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for label in APP_LABELS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }


@contextmanager
def unchanged() -> Iterator[None]:
    before = database_rows()
    yield
    after = database_rows()
    changed = sorted(label for label in before if before[label] != after[label])
    assert changed == [], f"rows changed in {changed}"

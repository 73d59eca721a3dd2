"""Rows as they were, and putting them back exactly.

A snapshot is plain JSON (Django's serializer format, with exact times), so it can sit in an
activity entry's `data`: `rows(objs)` before an update, `deletion(obj)` before
a delete (the object and everything the delete takes with it), `ref(obj)` for
a row a change created. `restore` writes rows back with their own primary keys
(raw saves, as `loaddata` does), `remove` deletes created rows again.

Nothing here knows the apps: `deletion` asks Django's deletion Collector, the
same one `Model.delete()` uses, what a delete cascades to. That is the only
way for papers to snapshot, say, the session links of a nomination without
naming the sessions app's tables (the one-way dependency rule), and it stays
right when an app adds a relation later.
"""

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router
from django.db.models.deletion import Collector

Row = dict  # {"model": "app_label.model", "pk": …, "fields": {…}}


def ref(obj: models.Model) -> list:
    return [obj._meta.label_lower, obj.pk]


class _ExactEncoder(DjangoJSONEncoder):
    """Django's JSON encoder, but times keep their microseconds (it cuts them
    to milliseconds, and an undo must give back exactly what was there)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def rows(objs) -> list[Row]:
    """The rows of `objs` as they are now, as JSON-ready dicts (many-to-many
    values are left to the through rows, which are rows of their own)."""
    objs = list(objs)
    if not objs:
        return []
    return json.loads(json.dumps(serializers.serialize("python", objs), cls=_ExactEncoder))


def deletion(obj: models.Model) -> dict:
    """What deleting `obj` would remove or change, read before the delete:
    {"rows": every row that goes (obj included), "nulled": [[model, pk, column,
    value]] for the references a delete sets to NULL}."""
    collector = Collector(using=router.db_for_write(type(obj)), origin=obj)
    collector.collect([obj])
    doomed: list[models.Model] = []
    for instances in collector.data.values():
        doomed.extend(instances)
    for queryset in collector.fast_deletes:
        doomed.extend(queryset)  # read now, before the delete runs
    nulled = []
    for (fk, _value), batches in collector.field_updates.items():
        for batch in batches:
            for instance in cast(Iterable[models.Model], batch):  # instances or a queryset
                nulled.append(
                    [ref(instance)[0], instance.pk, fk.attname, getattr(instance, fk.attname)]
                )
    return {"rows": rows(doomed), "nulled": nulled}


@dataclass
class Restored:
    written: int = 0
    # Rows left out because what they point at no longer exists: (model, pk).
    skipped: list[tuple[str, object]] = field(default_factory=list)


def restore(snapshot_rows: list[Row], *, nulled: list | tuple = ()) -> Restored:
    """Write rows back as they were (insert, or overwrite a row with that key).

    A row pointing at something that has gone since (a deleted account, a week
    the planner removed) is left out, and so is anything that points at a row
    left out; the caller decides whether that blocks an undo (`dangling`)."""
    result = Restored()
    keep = _restorable(snapshot_rows)
    for row in snapshot_rows:
        if (row["model"], row["pk"]) not in keep:
            result.skipped.append((row["model"], row["pk"]))
    chosen = [row for row in snapshot_rows if (row["model"], row["pk"]) in keep]
    for deserialized in serializers.deserialize("python", chosen):
        deserialized.save(save_m2m=False)
        result.written += 1
    for label, pk, column, value in nulled:
        apps.get_model(label)._base_manager.filter(pk=pk).update(**{column: value})
    return result


def dangling(snapshot_rows: list[Row]) -> list[tuple[str, object]]:
    """The rows `restore` would leave out (see there)."""
    keep = _restorable(snapshot_rows)
    return [(r["model"], r["pk"]) for r in snapshot_rows if (r["model"], r["pk"]) not in keep]


def remove(refs: list | tuple) -> int:
    """Delete rows a change created, by model and key; rows already gone are fine."""
    by_model = defaultdict(list)
    for label, pk in refs:
        by_model[label].append(pk)
    removed = 0
    for label, pks in by_model.items():
        removed += apps.get_model(label)._base_manager.filter(pk__in=pks).delete()[0]
    return removed


# Apps say what keeps a row of theirs from coming back (registered in
# AppConfig.ready): guard(row, snapshot_rows) -> a sentence, or None.
_GUARDS: dict[str, Callable[[Row, list[Row]], str | None]] = {}


def register_guard(label: str, guard: Callable[[Row, list[Row]], str | None]) -> None:
    _GUARDS[label] = guard


def guard_reasons(snapshot_rows: list[Row]) -> list[str]:
    """Why rows of this snapshot cannot be written back now, per the apps' guards."""
    reasons = []
    for row in snapshot_rows:
        guard = _GUARDS.get(row["model"])
        reason = guard(row, snapshot_rows) if guard else None
        if reason and reason not in reasons:
            reasons.append(reason)
    return reasons


def exists(label: str, pk) -> bool:
    return apps.get_model(label)._base_manager.filter(pk=pk).exists()


def _references(row: Row) -> list[tuple[str, object]]:
    """(model, pk) of every row this one points at through a foreign key."""
    model = apps.get_model(row["model"])
    found = []
    for model_field in model._meta.concrete_fields:
        if not (model_field.many_to_one or model_field.one_to_one):
            continue
        value = row["fields"].get(model_field.name)
        if value is None:
            continue
        if model_field.target_field.primary_key:
            found.append((model_field.related_model._meta.label_lower, value))
    return found


def _restorable(snapshot_rows: list[Row]) -> set[tuple[str, object]]:
    """The rows whose every reference exists now or is itself restored."""
    present = {(row["model"], row["pk"]) for row in snapshot_rows}
    outside = defaultdict(set)
    for row in snapshot_rows:
        for target in _references(row):
            if target not in present:
                outside[target[0]].add(target[1])
    existing: set[tuple[str, object]] = set()
    for label, pks in outside.items():
        found = apps.get_model(label)._base_manager.filter(pk__in=pks).values_list("pk", flat=True)
        existing.update((label, pk) for pk in found)
    keep = set(present)
    changed = True
    while changed:
        changed = False
        for row in snapshot_rows:
            key = (row["model"], row["pk"])
            if key in keep and any(
                target not in keep and target not in existing for target in _references(row)
            ):
                keep.discard(key)
                changed = True
    return keep

"""Operations the migrations of every app share."""

from django.db import migrations
from django.db.models.functions import Length, Substr


def clip_over_long(app_label: str, limits: list[tuple[str, str, int]]) -> migrations.RunPython:
    """Cut rows written before a length limit existed to fit it, so that the
    migration can then add the limit's check. `limits`: (model, field, maximum)."""

    def clip(apps, schema_editor):
        for model_name, field, maximum in limits:
            model = apps.get_model(app_label, model_name)
            model.objects.annotate(_length=Length(field)).filter(_length__gt=maximum).update(
                **{field: Substr(field, 1, maximum)}
            )

    return migrations.RunPython(clip, migrations.RunPython.noop)

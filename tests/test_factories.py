"""tests/factories.py has a factory for every model of the three apps, and each
makes a row the model's own validation and the database's constraints accept."""

import factory
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from tests import factories

FACTORIES = [
    value
    for value in vars(factories).values()
    if isinstance(value, type)
    and issubclass(value, factory.django.DjangoModelFactory)
    and value is not factory.django.DjangoModelFactory
]


def test_every_model_has_a_factory():
    models = {
        model
        for label in ("clubs", "papers", "meetings")
        for model in apps.get_app_config(label).get_models()
    }
    models.add(get_user_model())
    assert {f._meta.model for f in FACTORIES} == models


@pytest.mark.django_db
@pytest.mark.parametrize("model_factory", FACTORIES, ids=lambda f: f.__name__)
def test_factory_makes_a_valid_row(model_factory):
    made = model_factory()
    made.full_clean()
    made.refresh_from_db()
    assert type(made).objects.filter(pk=made.pk).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("model_factory", FACTORIES, ids=lambda f: f.__name__)
def test_factory_makes_three_rows_side_by_side(model_factory):
    """Sequences keep unique fields apart: three in a row do not collide."""
    made = model_factory.create_batch(3)
    assert len({row.pk for row in made}) == 3

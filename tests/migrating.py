"""Running a migration test on data of an older shape: migrate back to `before`,
let the test write rows with that state's models, then migrate forward."""

from collections.abc import Iterator

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets) -> Apps:
    """Migrate to `targets`; the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def apps_before(targets) -> Iterator[Apps]:
    """For a fixture (with transactional_db): the models at `targets`; afterwards
    the database is migrated to the newest state again."""
    yield migrate(targets)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

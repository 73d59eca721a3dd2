"""Migration operations for indexes SQLite cannot build (NULLS LAST): made and
dropped on PostgreSQL only, so the embedded mode does without them (and without
checks on a table that has them)."""

from django.db import migrations


class _OnPostgresOnly:
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)  # type: ignore[misc]  # mixed into an Operation

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)  # type: ignore[misc]  # mixed into an Operation


class AddIndexOnPostgres(_OnPostgresOnly, migrations.AddIndex):
    pass


class RemoveIndexOnPostgres(_OnPostgresOnly, migrations.RemoveIndex):
    pass


class AddConstraintOnPostgres(_OnPostgresOnly, migrations.AddConstraint):
    """SQLite adds a check by rebuilding the table, and rebuilding papers_nomination
    would try to build its PostgreSQL-only indexes."""

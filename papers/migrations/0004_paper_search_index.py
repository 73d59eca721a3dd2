"""A GIN index for the backlog's full-text search (PostgreSQL only).

The expression must stay exactly the one papers.selectors._search builds
(title A, authors B, abstract C): PostgreSQL uses an expression index only for
the same expression. tests/papers/test_backlog_scale.py checks that it does.
SQLite (the embedded mode) has no full-text search of this kind: nothing to do.
"""

from django.db import migrations

INDEX = "paper_search_vector"
CREATE = f"""
CREATE INDEX IF NOT EXISTS {INDEX} ON papers_paper USING gin ((
    setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
    || setweight(to_tsvector('simple'::regconfig, COALESCE((authors)::text, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, COALESCE(abstract, '')), 'C')
))
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("papers", "0003_backlog_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

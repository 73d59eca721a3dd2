"""The full-text index reads authors with the same configuration the search
asks with ("english"), so surnames English stems (Jones -> jone, Manning ->
man) are found. 0004 indexed them with "simple" while the query used
"english": no stemmed surname ever matched on PostgreSQL.

The expression must stay exactly the one papers.selectors._search builds.
"""

from django.db import migrations

INDEX = "paper_search_vector"


def _create(config: str) -> str:
    return f"""
CREATE INDEX {INDEX} ON papers_paper USING gin ((
    setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
    || setweight(to_tsvector('{config}'::regconfig, COALESCE((authors)::text, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, COALESCE(abstract, '')), 'C')
))
"""


def _replace(config: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
            schema_editor.execute(_create(config))

    return run


class Migration(migrations.Migration):
    dependencies = [("papers", "0008_text_limits")]

    operations = [
        migrations.RunPython(_replace("english"), _replace("simple"), elidable=False),
    ]

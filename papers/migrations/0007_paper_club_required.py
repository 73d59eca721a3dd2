"""Every Paper belongs to one club (schema, part 2): see 0006 for the data."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clubs", "0002_profile_hide_reading_from_facilitators"),
        ("papers", "0006_paper_per_club"),
    ]

    operations = [
        migrations.AlterField(
            model_name="paper",
            name="club",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="papers",
                to="clubs.club",
            ),
        ),
        migrations.AddIndex(
            model_name="paper",
            index=models.Index(fields=["arxiv_id"], name="paper_arxiv_id"),
        ),
        migrations.AddConstraint(
            model_name="paper",
            constraint=models.UniqueConstraint(
                condition=models.Q(("arxiv_id__isnull", False)),
                fields=("club", "arxiv_id"),
                name="paper_arxiv_id_once_per_club",
            ),
        ),
        migrations.AddConstraint(
            model_name="paper",
            constraint=models.UniqueConstraint(
                condition=models.Q(("doi", ""), _negated=True),
                fields=("club", "doi"),
                name="paper_doi_once_per_club",
            ),
        ),
        migrations.AddConstraint(
            model_name="paper",
            constraint=models.UniqueConstraint(
                condition=models.Q(("url", ""), _negated=True),
                fields=("club", "url"),
                name="paper_url_once_per_club",
            ),
        ),
        migrations.AddConstraint(
            model_name="paper",
            constraint=models.UniqueConstraint(
                condition=models.Q(("pdf_sha256", ""), _negated=True),
                fields=("club", "pdf_sha256"),
                name="paper_pdf_once_per_club",
            ),
        ),
    ]

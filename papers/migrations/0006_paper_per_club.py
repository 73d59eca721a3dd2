"""Every Paper belongs to one club (schema, part 1, and the data).

Until now a paper was one row shared by every club that listed it, so what one
club recorded about it showed in another. This splits each shared row into
one per club: the club of its first nomination keeps the row, every other
club gets a copy (with the reading guide) and its nomination moves to the
copy; private notes and checklist ticks are copied to each copy for the people
who are members of that copy's club (the original keeps all of them).
A paper no club lists any more goes to a club of the person who added it, or,
if they belong to none, is deleted: no page could reach it.

DOIs are normalised (lower case, no resolver prefix); a DOI or link repeated
within one club stays on the first paper only (a repeated link gets a
#paper-N fragment, so it still opens), since 0007 makes both unique per club.
Uploaded PDFs are hashed where the storage still has the file.

The not-null column and the constraints come in 0007: on PostgreSQL a table
cannot be altered in the transaction that updated its rows.
"""

import hashlib
import re
from urllib.parse import unquote

import django.db.models.deletion
from django.db import migrations, models

# A copy of papers.identifiers.normalize_doi as it was when this was written
# (migrations must not change meaning when the app's code does).
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIXES = re.compile(r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)

# Fields that belong to one row, not to the work it describes.
_NOT_COPIED = {"id", "club"}


def _doi(text):
    value = _DOI_PREFIXES.sub("", (text or "").strip(), count=1).strip()
    value = unquote(value).rstrip(".,;:)]}>'\"").lower()
    return value if _DOI.fullmatch(value) and len(value) <= 200 else ""


def _sha256(storage, name):
    try:
        digest = hashlib.sha256()
        with storage.open(name, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except Exception:  # noqa: BLE001 - a missing or unreadable file keeps no hash
        return ""


def split_papers_per_club(apps, schema_editor):
    from django.core.files.storage import default_storage

    Paper = apps.get_model("papers", "Paper")
    Nomination = apps.get_model("papers", "Nomination")
    ReadingGuide = apps.get_model("papers", "ReadingGuide")
    PaperNote = apps.get_model("papers", "PaperNote")
    GuideTick = apps.get_model("papers", "GuideTick")
    Membership = apps.get_model("clubs", "Membership")

    fields = [f for f in Paper._meta.concrete_fields if f.name not in _NOT_COPIED]
    guide_fields = [
        f for f in ReadingGuide._meta.concrete_fields if f.name not in ("id", "paper")
    ]
    members: dict[int, set[int]] = {}

    def members_of(club_id):
        if club_id not in members:
            members[club_id] = set(
                Membership.objects.filter(club_id=club_id).values_list("user_id", flat=True)
            )
        return members[club_id]

    for paper in Paper.objects.order_by("pk").iterator():
        clubs = list(
            dict.fromkeys(
                Nomination.objects.filter(paper=paper).order_by("pk").values_list("club_id", flat=True)
            )
        )
        if not clubs and paper.created_by_id is not None:
            first = (
                Membership.objects.filter(user_id=paper.created_by_id)
                .order_by("pk")
                .values_list("club_id", flat=True)
                .first()
            )
            clubs = [first] if first is not None else []
        if not clubs:
            paper.delete()
            continue
        paper.club_id = clubs[0]
        paper.year = paper.published_at.year if paper.published_at else None
        # arxiv_version held the latest version fetched (the asked-for one was
        # overwritten): both are that now.
        if paper.metadata_state == "ready":
            paper.arxiv_latest_version = paper.arxiv_version
        paper.doi = _doi(paper.doi)
        if paper.pdf_file:
            paper.pdf_sha256 = _sha256(default_storage, paper.pdf_file.name)
        paper.save()
        guide = ReadingGuide.objects.filter(paper=paper).first()
        notes = list(PaperNote.objects.filter(paper=paper))
        ticks = list(GuideTick.objects.filter(paper=paper))
        for club_id in clubs[1:]:
            copy = Paper(club_id=club_id, **{f.attname: getattr(paper, f.attname) for f in fields})
            copy.save()
            Nomination.objects.filter(paper=paper, club_id=club_id).update(paper=copy)
            if guide is not None:
                ReadingGuide.objects.create(
                    paper=copy, **{f.attname: getattr(guide, f.attname) for f in guide_fields}
                )
            people = members_of(club_id)
            PaperNote.objects.bulk_create(
                [
                    PaperNote(paper=copy, user_id=n.user_id, text=n.text, updated_at=n.updated_at)
                    for n in notes
                    if n.user_id in people
                ]
            )
            GuideTick.objects.bulk_create(
                [
                    GuideTick(paper=copy, user_id=t.user_id, item=t.item, created_at=t.created_at)
                    for t in ticks
                    if t.user_id in people
                ]
            )

    # What 0007 makes unique per club: keep it on the first paper only.
    seen = set()
    for paper in Paper.objects.order_by("pk").iterator():
        changed = []
        for name in ("doi", "url", "pdf_sha256"):
            value = getattr(paper, name)
            if not value:
                continue
            if (paper.club_id, name, value) in seen:
                setattr(paper, name, f"{value}#paper-{paper.pk}" if name == "url" else "")
                changed.append(name)
            seen.add((paper.club_id, name, getattr(paper, name)))
        if changed:
            paper.save(update_fields=changed)

    if schema_editor.connection.vendor == "postgresql":
        # Fire the deferred foreign-key checks now: the index on club_id is
        # created at the end of this migration, and PostgreSQL refuses to alter
        # a table with checks still pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("clubs", "0002_profile_hide_reading_from_facilitators"),
        ("papers", "0005_backlog_stamp_and_hot_votes"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="club",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="papers",
                to="clubs.club",
            ),
        ),
        migrations.AddField(
            model_name="paper",
            name="arxiv_latest_version",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="paper",
            name="edited_fields",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="paper",
            name="pdf_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="paper",
            name="year",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="paper",
            name="arxiv_id",
            field=models.CharField(blank=True, max_length=40, null=True),
        ),
        # Irreversible with data (two clubs' rows of one work cannot share the
        # old unique arxiv_id); an empty database migrates back.
        migrations.RunPython(split_papers_per_club, migrations.RunPython.noop, elidable=False),
    ]

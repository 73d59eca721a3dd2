"""An import's preview (what each entry will become) and its one transaction.

arXiv ids go through the normal door (`papers_propose`: one fetch by a worker
after commit); other entries become papers with their title, authors, year and
link (`paper_propose_by_link`); what the club has already (by arXiv id, DOI,
link or title) is named and skipped, and so is an entry the file repeats."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction

from clubs.models import Club

from ..arxiv_client import parse_arxiv_id
from ..identifiers import normalize_title
from ..models import Paper
from ..services import (
    MAX_IDS_PER_BATCH,
    paper_propose_by_link,
    papers_propose,
    require_active_member,
)
from .parsing import Entry, ImportRefused

_SALT = "papers.imports"
PLAN_MAX_AGE = 60 * 60  # a preview may be confirmed within the hour


@dataclass
class Row:
    entry: Entry
    action: str  # "fetch" (on arXiv), "add" (by its details), "duplicate", "skip"
    note: str = ""


def _existing(club: Club, entries: list[Entry]) -> dict[str, Paper]:
    """The club's papers any entry names, keyed by "arxiv:…", "doi:…", "url:…", "title:…"."""
    ids = {e.arxiv_id.base for e in entries if e.arxiv_id}
    dois = {e.doi for e in entries if e.doi}
    urls = {e.url for e in entries if e.url}
    titles = {normalize_title(e.title) for e in entries if e.title}
    titles.discard("")
    found: dict[str, Paper] = {}
    papers = (
        Paper.objects.filter(club=club).filter(arxiv_id__in=ids)
        | Paper.objects.filter(club=club, doi__in=dois)
        | Paper.objects.filter(club=club, url__in=urls)
        | Paper.objects.filter(club=club, title_key__in=titles)
    )
    for paper in papers.only("pk", "title", "arxiv_id", "doi", "url", "title_key"):
        for key in (
            f"arxiv:{paper.arxiv_id}",
            f"doi:{paper.doi}",
            f"url:{paper.url}",
            f"title:{paper.title_key}",
        ):
            found.setdefault(key, paper)
    return found


def _keys(entry: Entry) -> list[str]:
    keys = []
    if entry.arxiv_id:
        keys.append(f"arxiv:{entry.arxiv_id.base}")
    if entry.doi:
        keys.append(f"doi:{entry.doi}")
    if entry.url:
        keys.append(f"url:{entry.url}")
    if title := normalize_title(entry.title):
        keys.append(f"title:{title}")
    return keys


def import_preview(*, club: Club, entries: list[Entry]) -> list[Row]:
    existing = _existing(club, entries)
    seen: dict[str, str] = {}
    rows = []
    for entry in entries:
        keys = _keys(entry)
        had = next((existing[key] for key in keys if key in existing), None)
        repeated = next((seen[key] for key in keys if key in seen), None)
        if had is not None:
            rows.append(Row(entry, "duplicate", f"The club has it: “{had.title or had.arxiv_id}”."))
        elif repeated is not None:
            rows.append(Row(entry, "duplicate", f"The file has it already as {repeated}."))
        elif entry.arxiv_id is not None:
            rows.append(
                Row(entry, "fetch", f"arXiv {entry.arxiv_id.base}: details fetched from arXiv.")
            )
        elif entry.title:
            rows.append(Row(entry, "add", "Added with the details in the file."))
        else:
            rows.append(
                Row(entry, "skip", "No title and no arXiv id: look it up and add it by hand.")
            )
        for key in keys:
            seen.setdefault(key, entry.label)
    return rows


@transaction.atomic
def import_commit(*, club: Club, user: User, entries: list[Entry]) -> list[Row]:
    """Propose every entry the preview would add, in one transaction (all or none)."""
    require_active_member(club=club, user=user)
    rows = import_preview(club=club, entries=entries)
    ids = [
        row.entry.arxiv_id.versioned for row in rows if row.action == "fetch" and row.entry.arxiv_id
    ]
    for start in range(0, len(ids), MAX_IDS_PER_BATCH):
        papers_propose(club=club, user=user, text=" ".join(ids[start : start + MAX_IDS_PER_BATCH]))
    for row in rows:
        if row.action != "add":
            continue
        entry = row.entry
        nomination, added = paper_propose_by_link(
            club=club, user=user, title=entry.title, url=entry.url, doi=entry.doi
        )
        if added and (entry.authors or entry.year):
            Paper.objects.filter(pk=nomination.paper_id).update(
                authors=entry.authors[:50], year=entry.year
            )
    return rows


def plan_sign(*, club: Club, user: User, entries: list[Entry]) -> str:
    """The entries, signed for this person and club, for the preview's confirm form."""
    data = [
        [
            e.label,
            e.title,
            e.authors,
            e.year,
            e.doi,
            e.url,
            e.arxiv_id.versioned if e.arxiv_id else "",
        ]
        for e in entries
    ]
    return signing.dumps(
        {"club": club.pk, "user": user.pk, "entries": data}, salt=_SALT, compress=True
    )


def plan_load(*, club: Club, user: User, signed: str) -> list[Entry]:
    try:
        plan = signing.loads(signed, salt=_SALT, max_age=PLAN_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired included
        raise ImportRefused("That preview is too old or damaged: import the file again.") from error
    if plan.get("club") != club.pk or plan.get("user") != user.pk:
        raise ImportRefused("That preview was made for someone else: import the file again.")
    return [
        Entry(
            label=label,
            title=title,
            authors=authors,
            year=year,
            doi=doi,
            url=url,
            arxiv_id=parse_arxiv_id(arxiv) if arxiv else None,
        )
        for label, title, authors, year, doi, url, arxiv in plan["entries"]
    ]

"""People correct a paper's details: the club's organizers, and the person who
proposed it until someone else votes for it.

A corrected field is remembered (Paper.edited_fields), so a later arXiv fetch
fills in everything else but leaves it as the club wrote it. Papers belong to
one club, so a correction never shows in another club. A correction of a paper
on a week that is still to come changes that week's calendars: papers tells
the apps above it through papers.hooks.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from clubs.models import Membership

from . import hooks
from .backlog_cache import backlogs_changed
from .identifiers import InvalidDoi, classify_link, normalize_doi, normalize_title
from .models import Nomination, Paper
from .related.services import related_changed
from .selectors import others_have_voted
from .services import NotAllowed, PaperError
from .tasks import fetch_arxiv_metadata

AUTHORS_MAX = 200
AUTHOR_NAME_MAX = 200
YEAR_MIN = 1000
YEAR_MAX = 2100


@dataclass(frozen=True)
class PaperDetails:
    """What the details form holds, already split and typed."""

    title: str
    authors: list[str]
    year: int | None
    url: str
    doi: str
    abstract: str


def split_authors(text: str) -> list[str]:
    """One author a line; a single line may list them with semicolons or commas."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) == 1:
        separator = ";" if ";" in lines[0] else ","
        lines = [name.strip() for name in lines[0].split(separator) if name.strip()]
    return lines


def may_edit_details(*, nomination: Nomination, user: User, is_organizer: bool) -> bool:
    if is_organizer:
        return True
    return nomination.proposed_by_id == user.pk and not others_have_voted(nomination=nomination)


def _is_organizer(nomination: Nomination, user: User) -> bool | None:
    """True/False for an active member of the club, None for anyone else."""
    membership = Membership.objects.filter(
        club_id=nomination.club_id, user=user, state=Membership.State.ACTIVE
    ).first()
    return None if membership is None else membership.role == Membership.Role.ORGANIZER


def _check(details: PaperDetails) -> None:
    if not details.title.strip():
        raise PaperError("A paper needs a title.")
    if len(details.title.strip()) > Paper.TITLE_MAX:
        raise PaperError(f"A title is at most {Paper.TITLE_MAX:,} characters.")
    if len(details.authors) > AUTHORS_MAX:
        raise PaperError(f"List at most {AUTHORS_MAX} authors.")
    if any(len(name) > AUTHOR_NAME_MAX for name in details.authors):
        raise PaperError(f"An author's name is at most {AUTHOR_NAME_MAX} characters.")
    if details.year is not None and not YEAR_MIN <= details.year <= YEAR_MAX:
        raise PaperError(f"A year is between {YEAR_MIN} and {YEAR_MAX}.")
    if len(details.abstract.strip()) > Paper.ABSTRACT_MAX:
        raise PaperError(f"An abstract is at most {Paper.ABSTRACT_MAX:,} characters.")


@transaction.atomic
def paper_details_edit(*, nomination: Nomination, user: User, details: PaperDetails) -> list[str]:
    """Correct the paper's title, authors, year, link, DOI and abstract.

    An arxiv.org link makes a paper that was not on arXiv an arXiv paper (its
    details are then fetched, except what was typed); a doi.org link gives the
    DOI. Returns the names of the fields that changed."""
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    is_organizer = _is_organizer(nomination, user)
    if is_organizer is None or not may_edit_details(
        nomination=nomination, user=user, is_organizer=is_organizer
    ):
        raise NotAllowed(
            "Only the club's organizers, or the person who proposed the paper until "
            "others vote for it, can correct its details."
        )
    _check(details)
    paper = Paper.objects.select_for_update().get(pk=nomination.paper_id)
    try:
        doi = normalize_doi(details.doi)
    except InvalidDoi as error:
        raise PaperError(str(error)) from error
    url = details.url.strip()
    link = classify_link(url)
    becomes_arxiv = False
    if link.doi:
        if doi and doi != link.doi:
            raise PaperError("The link is to one DOI and the DOI field names another.")
        doi = link.doi
    elif link.arxiv_id is not None:
        url = ""  # an arXiv link is the paper's identity, not a link of its own
        found = link.arxiv_id.base
        if paper.arxiv_id and paper.arxiv_id != found:
            raise PaperError(
                f"This paper is arXiv:{paper.arxiv_id}; that link is to arXiv:{found}."
            )
        if not paper.arxiv_id:
            other = Paper.objects.filter(club_id=paper.club_id, arxiv_id=found).first()
            if other is not None:
                raise PaperError(
                    f"That link is arXiv:{found}, which this club has already: "
                    f"“{other.display_title}”. Merge the two papers instead."
                )
            paper.arxiv_id, paper.arxiv_version = found, link.arxiv_id.version
            paper.metadata_state = Paper.MetadataState.PENDING
            becomes_arxiv = True
    for name, value, what in (("doi", doi, "DOI"), ("url", url, "link")):
        if value:
            other = (
                Paper.objects.filter(club_id=paper.club_id, **{name: value})
                .exclude(pk=paper.pk)
                .first()
            )
            if other is not None:
                raise PaperError(
                    f"Another paper of this club has that {what}: “{other.display_title}”. "
                    "Merge the two papers instead."
                )

    wanted = {
        "title": details.title.strip(),
        "authors": details.authors,
        "year": details.year,
        "url": url,
        "doi": doi,
        "abstract": details.abstract.strip(),
    }
    changed = [name for name, value in wanted.items() if getattr(paper, name) != value]
    for name in changed:
        setattr(paper, name, wanted[name])
    if not changed and not becomes_arxiv:
        return []
    paper.edited_fields = sorted({*paper.edited_fields, *changed})
    if "title" in changed:
        paper.title_is_placeholder = False
        paper.title_key = normalize_title(paper.title)
    if paper.metadata_state == Paper.MetadataState.FAILED:
        # arXiv could not give the details; the person's stand in for them.
        paper.metadata_state = Paper.MetadataState.READY
        paper.metadata_error = ""
    try:
        with transaction.atomic():
            paper.save()
    except IntegrityError as error:  # someone gave another paper that DOI or link a moment ago
        raise PaperError("Another paper of this club has that DOI or link now.") from error
    backlogs_changed(club_ids=[paper.club_id])
    if changed:
        related_changed(club_ids=[paper.club_id])
        hooks.paper_details_changed(nomination_ids=[nomination.pk], fields=changed)
    if becomes_arxiv:
        fetch_arxiv_metadata.delay_on_commit([paper.pk])
    return changed

"""One door for every paper (issue 13): whatever box a person pasted it into,
a paper the club has already is that paper, with their vote counted.

- arXiv ids and links, in the ids box or the link box, and arXiv's own DOIs
  (10.48550/arXiv.…) go to the arXiv door (papers.services.papers_propose);
- a DOI in any spelling (bare, doi:, https://doi.org/…) finds the paper with
  that DOI; a link finds the paper with that link;
- a PDF finds the paper whose upload has the same bytes (SHA-256);
- a new paper whose title reduces to the same words as one the club has asks
  "is it this one?" first (outcome.similar): the page answers with same_as
  (count my vote there) or confirm_new (add it anyway). An uploaded PDF is
  kept meanwhile under a token, so the person does not upload it again.
"""

import hashlib
import re
import uuid
from typing import Any

from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from clubs.models import Club

from .identifiers import (
    InvalidDoi,
    arxiv_id_from_doi,
    classify_link,
    normalize_doi,
    normalize_title,
)
from .models import Nomination, Paper
from .services import (
    PaperError,
    ProposeOutcome,
    backlogs_changed,
    paper_nominate,
    papers_propose,
    require_active_member,
    vote_add,
)
from .tasks import read_paper_pdf
from .unconfirmed import UNCONFIRMED_DIR

_TOKEN = re.compile(r"\d+-[0-9a-f]{32}")
SIMILAR_SHOWN = 5


@transaction.atomic
def paper_propose(
    *,
    club: Club,
    user: User,
    ids: str = "",
    title: str = "",
    url: str = "",
    doi: str = "",
    upload=None,
    upload_token: str = "",
    pitch: str = "",
    tag_names: list[str] | tuple[str, ...] = (),
    confirm_covered: bool = False,
    confirm_new: bool = False,
    same_as: int | None = None,
) -> ProposeOutcome:
    """Add papers to the club's backlog by whichever door fits what was given."""
    require_active_member(club=club, user=user)
    common: dict[str, Any] = {"club": club, "user": user, "pitch": pitch, "tag_names": tag_names}
    if same_as is not None:
        discard_upload(user=user, token=upload_token)
        return _same_as(
            club=club, user=user, nomination_id=same_as, confirm_covered=confirm_covered
        )
    try:
        doi = normalize_doi(doi)
    except InvalidDoi as error:
        raise PaperError(str(error)) from error
    link = classify_link(url)
    arxiv_id = link.arxiv_id or arxiv_id_from_doi(doi)
    if upload is not None or upload_token:
        return _by_upload(
            upload=upload,
            token=upload_token,
            title=title,
            confirm_new=confirm_new,
            confirm_covered=confirm_covered,
            **common,
        )
    if arxiv_id is not None:
        return papers_propose(text=arxiv_id.versioned, confirm_covered=confirm_covered, **common)
    if title or url or doi:
        return _by_link(
            title=title,
            url=url.strip(),
            doi=doi or link.doi,
            confirm_new=confirm_new,
            confirm_covered=confirm_covered,
            **common,
        )
    return papers_propose(text=ids, confirm_covered=confirm_covered, **common)


def similar_papers(*, club: Club, title: str) -> list[Nomination]:
    """The club's nominations whose paper's title reduces to the same words."""
    key = normalize_title(title)
    if not key:
        return []
    return list(
        Nomination.objects.filter(club=club, paper__title_key=key)
        .select_related("paper")
        .order_by("-created_at")[:SIMILAR_SHOWN]
    )


def _same_as(
    *, club: Club, user: User, nomination_id: int, confirm_covered: bool
) -> ProposeOutcome:
    """The answer "yes, it is this one": the person's vote goes there (if it
    still takes votes). With confirm_covered, a paper the club has read is
    proposed again."""
    nomination = Nomination.objects.filter(club=club, pk=nomination_id).first()
    if nomination is None:
        raise PaperError("That paper is no longer in the backlog; add yours again.")
    if nomination.state == Nomination.State.COVERED and confirm_covered:
        nomination.state = Nomination.State.PROPOSED
        nomination.save(update_fields=["state"])
        backlogs_changed(club_ids=[club.pk])
    if nomination.state in (Nomination.State.PROPOSED, Nomination.State.SCHEDULED):
        vote_add(nomination=nomination, user=user)
        nomination.refresh_from_db(fields=["vote_count"])
    return ProposeOutcome(existing=[nomination])


def _by_link(
    *,
    club: Club,
    user: User,
    title: str,
    url: str,
    doi: str,
    confirm_new: bool,
    confirm_covered: bool,
    pitch: str,
    tag_names,
) -> ProposeOutcome:
    outcome = ProposeOutcome()
    common: dict[str, Any] = {"club": club, "user": user, "outcome": outcome, "pitch": pitch}
    paper = _existing(club=club, url=url, doi=doi)
    if paper is None:
        if not title.strip():
            raise PaperError("A paper not on arXiv needs a title.")
        if not confirm_new and (similar := similar_papers(club=club, title=title)):
            outcome.similar = similar
            return outcome
        try:
            with transaction.atomic():
                paper = Paper.objects.create(
                    club=club,
                    title=title.strip(),
                    title_key=normalize_title(title),
                    url=url,
                    doi=doi,
                    metadata_state=Paper.MetadataState.READY,
                    created_by=user,
                )
        except IntegrityError:
            paper = _existing(club=club, url=url, doi=doi)  # added a moment ago
            if paper is None:
                raise
    paper_nominate(paper=paper, confirm_covered=confirm_covered, tag_names=tag_names, **common)
    return outcome


def _existing(*, club: Club, url: str, doi: str) -> Paper | None:
    found = Paper.objects.filter(club=club, url=url).first() if url else None
    if found is None and doi:
        found = Paper.objects.filter(club=club, doi=doi).first()
    return found


def _sha256(handle) -> str:
    digest = hashlib.sha256()
    for chunk in (
        handle.chunks() if hasattr(handle, "chunks") else iter(lambda: handle.read(1 << 20), b"")
    ):
        digest.update(chunk)
    return digest.hexdigest()


def _by_upload(
    *,
    club: Club,
    user: User,
    upload,
    token: str,
    title: str,
    confirm_new: bool,
    confirm_covered: bool,
    pitch: str,
    tag_names,
) -> ProposeOutcome:
    outcome = ProposeOutcome()
    if upload is None:
        upload = _kept_upload(user=user, token=token)
    digest = _sha256(upload)
    paper = Paper.objects.filter(club=club, pdf_sha256=digest).first()
    asks = paper is None and not confirm_new and title.strip()
    if asks and (similar := similar_papers(club=club, title=title)):
        outcome.similar = similar
        outcome.upload_token = token or _keep_upload(user=user, upload=upload)
        return outcome
    if paper is None:
        paper = Paper(
            club=club,
            title=title.strip(),
            title_key=normalize_title(title),
            metadata_state=Paper.MetadataState.READY,
            pdf_state=Paper.PdfState.PENDING,
            pdf_sha256=digest,
            created_by=user,
        )
        if not paper.title:
            # A placeholder until the worker reads the title from the PDF.
            paper.title = (upload.name or "Uploaded PDF").rsplit("/", 1)[-1][:200]
            paper.title_is_placeholder = True
        upload.seek(0)
        paper.pdf_file.save(_upload_name(upload), upload, save=False)
        try:
            with transaction.atomic():
                paper.save()
        except IntegrityError:
            # The same file, uploaded by someone else a moment ago.
            paper.pdf_file.delete(save=False)
            paper = Paper.objects.get(club=club, pdf_sha256=digest)
        else:
            read_paper_pdf.delay_on_commit(paper.pk)
    discard_upload(user=user, token=token)
    paper_nominate(
        club=club,
        user=user,
        paper=paper,
        outcome=outcome,
        confirm_covered=confirm_covered,
        pitch=pitch,
        tag_names=tag_names,
    )
    if outcome.nominations:
        backlogs_changed(club_ids=[club.pk])
    return outcome


def _upload_name(upload) -> str:
    return (upload.name or "paper.pdf").rsplit("/", 1)[-1] or "paper.pdf"


def _kept_path(*, user: User, token: str) -> str:
    if not _TOKEN.fullmatch(token or "") or not token.startswith(f"{user.pk}-"):
        raise PaperError("That upload is no longer here; choose the PDF again.")
    return f"{UNCONFIRMED_DIR}/{token}.pdf"


def _keep_upload(*, user: User, upload) -> str:
    """Keep an upload while its person answers "is it this one?"."""
    token = f"{user.pk}-{uuid.uuid4().hex}"
    upload.seek(0)
    default_storage.save(f"{UNCONFIRMED_DIR}/{token}.pdf", upload)
    return token


def _kept_upload(*, user: User, token: str) -> File:
    path = _kept_path(user=user, token=token)
    if not default_storage.exists(path):
        raise PaperError("That upload is no longer here; choose the PDF again.")
    # Kept only when a title was typed, so no placeholder title needs its name.
    return File(default_storage.open(path, "rb"), name="paper.pdf")


def discard_upload(*, user: User, token: str) -> None:
    if token:
        default_storage.delete(_kept_path(user=user, token=token))

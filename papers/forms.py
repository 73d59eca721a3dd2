from django import forms
from django.conf import settings

from .editing import (
    AUTHOR_NAME_MAX,
    AUTHORS_MAX,
    YEAR_MAX,
    YEAR_MIN,
    PaperDetails,
    split_authors,
)
from .identifiers import (
    DOI_MAX_LENGTH,
    InvalidDoi,
    arxiv_id_from_doi,
    classify_link,
    normalize_doi,
)
from .models import Paper
from .services import MAX_IDS_PER_BATCH, PITCH_MAX_LENGTH

# A member's new topic name is a suggestion (papers.topics).
MEMBER_TOPICS_HELP = (
    "Comma-separated. A name that is not yet one of the club's topics is suggested "
    "to the organizers, who add it to the list or not."
)


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()][:10]


def _doi_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=DOI_MAX_LENGTH,
        help_text="10.1000/xyz123, doi:10.1000/xyz123 or https://doi.org/10.1000/xyz123.",
    )


def _clean_doi(form: forms.Form) -> str:
    """Any spelling of a DOI, stored one way (papers.identifiers)."""
    try:
        return normalize_doi(form.cleaned_data.get("doi") or "")
    except InvalidDoi as error:
        raise forms.ValidationError(str(error)) from error


class ProposeForm(forms.Form):
    """One form for every way in: arXiv ids or URLs, a link typed by hand, or a PDF."""

    ids = forms.CharField(
        label="arXiv ids or links",
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2106.09685\narXiv:1706.03762v7"}),
        help_text=f"Up to {MAX_IDS_PER_BATCH}, one per line or separated by commas. "
        "New or old style, with or without a version, or an arxiv.org abs/pdf link.",
    )
    title = forms.CharField(
        label="Title (papers not on arXiv)",
        required=False,
        max_length=500,
        error_messages={
            "max_length": "A title is at most %(limit_value)d characters "
            "(yours has %(show_value)d)."
        },
    )
    url = forms.URLField(
        label="Link to the paper", required=False, max_length=500, assume_scheme="https"
    )
    doi = _doi_field("DOI")  # field.html adds "(optional)"
    pdf = forms.FileField(
        label="…or upload a PDF",
        required=False,
        help_text=f"Up to {settings.PAPER_UPLOAD_MAX_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    pitch = forms.CharField(
        label="Why read it?",
        required=False,
        max_length=PITCH_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"A sentence or two for the club (at most {PITCH_MAX_LENGTH} characters).",
    )
    tags = forms.CharField(
        label="Topics", required=False, max_length=300, help_text=MEMBER_TOPICS_HELP
    )
    confirm_covered = forms.BooleanField(
        required=False,
        label="Yes, propose these again even though the club has read them",
    )
    # The answers of "is it this one?" (papers.proposing).
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)
    same_as = forms.IntegerField(required=False, widget=forms.HiddenInput)
    upload_token = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    clean_doi = _clean_doi

    def clean_pdf(self):
        upload = self.cleaned_data.get("pdf")
        if not upload:
            return upload
        cap = settings.PAPER_UPLOAD_MAX_BYTES
        if upload.size > cap:
            raise forms.ValidationError(
                f"That file is {upload.size / 1048576:.1f} MB; the limit is {cap // 1048576} MB."
            )
        head = upload.read(1024)
        upload.seek(0)
        if b"%PDF-" not in head:
            raise forms.ValidationError("That file is not a PDF.")
        return upload

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("same_as"):
            data["tag_names"] = split_tags(data.get("tags", ""))
            return data
        if any(name in self.errors for name in ("ids", "title", "url", "doi", "pdf")):
            # One of the ways in was refused and says why; what kind the person meant
            # cannot be judged from the rest, so no second, contradicting message.
            data["tag_names"] = split_tags(data.get("tags", ""))
            return data
        has_ids = bool((data.get("ids") or "").strip())
        has_pdf = bool(data.get("pdf") or data.get("upload_token"))
        # A title alone names a paper not on arXiv, unless it titles an upload.
        has_link = bool(data.get("url") or data.get("doi") or (data.get("title") and not has_pdf))
        if sum([has_ids, has_link, has_pdf]) == 0:
            raise forms.ValidationError(
                "Give an arXiv id or link, a title and link, or a PDF to upload."
            )
        if sum([has_ids, has_link, has_pdf]) > 1:
            raise forms.ValidationError("Add one kind at a time: ids, a link, or a PDF.")
        link = classify_link(data.get("url") or "")
        on_arxiv = link.arxiv_id is not None or arxiv_id_from_doi(data.get("doi") or "")
        if has_link and not on_arxiv:
            if not data.get("title"):
                raise forms.ValidationError("A paper not on arXiv needs a title.")
            if not (data.get("url") or data.get("doi")):
                raise forms.ValidationError(
                    "A paper not on arXiv needs a link or a DOI besides its title."
                )
        data["tag_names"] = split_tags(data.get("tags", ""))
        return data


class PaperDetailsForm(forms.Form):
    """A paper's details as the club corrects them (papers.editing)."""

    title = forms.CharField(
        max_length=Paper.TITLE_MAX, error_messages={"required": "A paper needs a title."}
    )
    authors = forms.CharField(
        required=False,
        max_length=AUTHORS_MAX * (AUTHOR_NAME_MAX + 1),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line, or separated by commas on one line.",
    )
    year = forms.IntegerField(
        required=False,
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        error_messages={
            "min_value": f"A year is between {YEAR_MIN} and {YEAR_MAX}.",
            "max_value": f"A year is between {YEAR_MIN} and {YEAR_MAX}.",
        },
    )
    url = forms.URLField(
        label="Link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Where to read it. An arxiv.org link makes it an arXiv paper; "
        "a doi.org link fills in the DOI.",
    )
    doi = _doi_field("DOI")
    abstract = forms.CharField(
        required=False,
        max_length=Paper.ABSTRACT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args, paper: Paper | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if paper is not None and paper.arxiv_id:
            self.fields["url"].label = "Another link"
            self.fields["url"].help_text = (
                "Besides arXiv's: the published version, a blog post. "
                "A doi.org link fills in the DOI."
            )

    @classmethod
    def for_paper(cls, paper: Paper) -> "PaperDetailsForm":
        return cls(
            paper=paper,
            initial={
                "title": "" if paper.title_is_placeholder else paper.title,
                "authors": "\n".join(paper.authors or []),
                "year": paper.year,
                "url": paper.url,
                "doi": paper.doi,
                "abstract": paper.abstract,
            },
        )

    clean_doi = _clean_doi

    def clean_authors(self):
        names = split_authors(self.cleaned_data.get("authors") or "")
        if len(names) > AUTHORS_MAX:
            raise forms.ValidationError(f"List at most {AUTHORS_MAX} authors.")
        if too_long := [n for n in names if len(n) > AUTHOR_NAME_MAX]:
            raise forms.ValidationError(
                f"An author's name is at most {AUTHOR_NAME_MAX} characters "
                f"(“{too_long[0][:40]}…” is longer)."
            )
        return names

    def details(self) -> PaperDetails:
        data = self.cleaned_data
        return PaperDetails(
            title=data["title"],
            authors=data["authors"],
            year=data["year"],
            url=data["url"],
            doi=data["doi"],
            abstract=data["abstract"],
        )


class NominationEditForm(forms.Form):
    pitch = forms.CharField(
        required=False, max_length=PITCH_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    tags = forms.CharField(required=False, max_length=300, help_text=MEMBER_TOPICS_HELP)


class TagsForm(forms.Form):
    tags = forms.CharField(required=False, max_length=300, help_text="Comma-separated.")

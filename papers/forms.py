from django import forms
from django.conf import settings

from .services import MAX_IDS_PER_BATCH, PITCH_MAX_LENGTH


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()][:10]


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
    title = forms.CharField(label="Title (papers not on arXiv)", required=False, max_length=500)
    url = forms.URLField(
        label="Link to the paper", required=False, max_length=500, assume_scheme="https"
    )
    doi = forms.CharField(label="DOI (optional)", required=False, max_length=200)
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
        label="Topics", required=False, max_length=300, help_text="Comma-separated."
    )
    confirm_covered = forms.BooleanField(
        required=False,
        label="Yes, propose these again even though the club has read them",
    )

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
        data = super().clean()
        has_ids = bool((data.get("ids") or "").strip())
        has_link = bool(data.get("title") or data.get("url"))
        has_pdf = bool(data.get("pdf"))
        if sum([has_ids, has_link, has_pdf]) == 0:
            raise forms.ValidationError(
                "Give an arXiv id or link, a title and link, or a PDF to upload."
            )
        if sum([has_ids, has_link, has_pdf]) > 1:
            raise forms.ValidationError("Add one kind at a time: ids, a link, or a PDF.")
        if has_link and not (data.get("title") and data.get("url")):
            raise forms.ValidationError("A paper not on arXiv needs both a title and a link.")
        data["tag_names"] = split_tags(data.get("tags", ""))
        return data


class NominationEditForm(forms.Form):
    pitch = forms.CharField(
        required=False, max_length=PITCH_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    tags = forms.CharField(required=False, max_length=300, help_text="Comma-separated.")


class TagsForm(forms.Form):
    tags = forms.CharField(required=False, max_length=300, help_text="Comma-separated.")


class MergeForm(forms.Form):
    duplicate = forms.IntegerField(
        label="Number of the duplicate nomination",
        help_text="Its votes move here (each person once) and it disappears.",
    )

"""The write-up's editor: the text and the revision it was started from."""

from django import forms

from ..models import Writeup


class WriteupForm(forms.Form):
    text = forms.CharField(
        label="Write-up",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "maxlength": Writeup.TEXT_MAX}),
        help_text="Markdown. What we discussed, what we concluded, links we shared.",
    )
    # The revision the editor was opened on (0: none yet); see writeups.services.
    base = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].replace("\r\n", "\n")
        if len(text) > Writeup.TEXT_MAX:
            raise forms.ValidationError(
                f"A write-up is at most {Writeup.TEXT_MAX:,} characters "
                f"(this one has {len(text):,})."
            )
        return text

    def clean_base(self) -> int:
        return self.cleaned_data["base"] or 0

"""The webhook pages' forms."""

from django import forms

from . import addresses
from .events import CHOSEN


class WebhookForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=80,
        strip=True,
        help_text="What the club calls it, say “Club website” or “Newsletter bot”.",
    )
    url = forms.CharField(
        label="Payload URL",
        max_length=addresses.URL_MAX,
        strip=True,
        # Never shown back: a URL may carry a token; the page shows it masked.
        widget=forms.URLInput(attrs={"autocomplete": "off", "placeholder": "https://"}),
        help_text="Where the deliveries go: https:// (or http://) on a public address. "
        "Redirects are not followed.",
    )
    events = forms.MultipleChoiceField(
        label="Deliver when",
        choices=CHOSEN,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["url"].required = False
            self.fields["url"].label = "New payload URL"
            self.fields["url"].help_text = (
                "Leave it empty to keep the saved one. " + self.fields["url"].help_text
            )

    def clean_url(self) -> str:
        url = self.cleaned_data.get("url") or ""
        if not url and not self.fields["url"].required:
            return ""
        return addresses.clean_url(url)

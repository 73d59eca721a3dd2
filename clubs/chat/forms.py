"""The chat page's forms: a webhook URL per service, and what is posted."""

from django import forms

from .models import Event
from .webhooks import DISCORD_FORM, SLACK_FORM, clean_webhook_url

PLACEHOLDERS = {"discord": DISCORD_FORM, "slack": SLACK_FORM}


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Webhook URL",
        max_length=500,
        strip=True,
        # Never shown back: the saved URL is a secret, the page shows it masked.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, service: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.auto_id = f"id_{service}_%s"
        self.fields["url"].widget.attrs["placeholder"] = PLACEHOLDERS[service]
        self.fields["url"].help_text = f"It looks like {PLACEHOLDERS[service]}."

    def clean_url(self) -> str:
        return clean_webhook_url(self.service, self.cleaned_data["url"])


ANNOUNCED = [(value, label) for value, label in Event.choices if value != Event.TEST]


class EventsForm(forms.Form):
    events = forms.MultipleChoiceField(
        label="Post when",
        choices=ANNOUNCED,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="“Needs a facilitator” and “starting soon” are posted when the club's "
        "reminders of the same name are due (Settings → Reminders).",
    )
    share_meeting_link = forms.BooleanField(
        label="Include the meeting link in “starting soon” posts",
        required=False,
        help_text="Leave it off if the chat is more public than the meeting.",
    )

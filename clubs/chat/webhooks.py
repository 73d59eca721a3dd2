"""What a Discord or Slack incoming-webhook URL looks like, and its masked form.

Only these forms are accepted, so a pasted URL can only ever make the app post
to Discord's or Slack's own hosts over HTTPS.
"""

import re

from django.core.exceptions import ValidationError

DISCORD_FORM = "https://discord.com/api/webhooks/<id>/<token>"
SLACK_FORM = "https://hooks.slack.com/services/T…/B…/<secret>"

_DISCORD = re.compile(
    r"https://(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api(?:/v\d{1,2})?/webhooks/"
    r"(?P<id>\d{15,22})/(?P<token>[A-Za-z0-9_-]{20,120})/?"
)
_SLACK = re.compile(
    r"https://hooks\.slack\.com/services/(?P<team>T[A-Z0-9]{4,20})/(?P<bot>B[A-Z0-9]{4,20})/"
    r"(?P<token>[A-Za-z0-9]{16,64})/?"
)
FORMS = {"discord": (_DISCORD, DISCORD_FORM), "slack": (_SLACK, SLACK_FORM)}
LABELS = {"discord": "Discord", "slack": "Slack"}


def clean_webhook_url(service: str, url: str) -> str:
    """The URL as it will be used, or ValidationError saying the expected form."""
    pattern, form = FORMS[service]
    url = (url or "").strip()
    if not pattern.fullmatch(url):
        other = next((s for s, (p, _) in FORMS.items() if s != service and p.fullmatch(url)), None)
        if other:
            raise ValidationError(
                f"That is a {LABELS[other]} webhook URL; paste it under {LABELS[other]}."
            )
        raise ValidationError(
            f"That is not a {LABELS[service]} incoming-webhook URL. "
            f"It looks like {form} (in {LABELS[service]}: "
            + (
                "Server Settings → Integrations → Webhooks → Copy Webhook URL)."
                if service == "discord"
                else "your workspace's app → Incoming Webhooks → Add New Webhook → Copy)."
            )
        )
    return url.rstrip("/")


def masked(service: str, url: str) -> str:
    """Enough to recognise it, never enough to use it: the last 4 of the token."""
    pattern, _ = FORMS[service]
    found = pattern.fullmatch(url)
    tail = found["token"][-4:] if found else "????"
    if service == "discord":
        return f"https://discord.com/api/webhooks/{found['id'] if found else '…'}/••••{tail}"
    return f"https://hooks.slack.com/services/{found['team'] if found else '…'}/…/••••{tail}"

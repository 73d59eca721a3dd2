"""The one client for the app's outgoing HTTP posts: chat webhooks (Discord,
Slack) and, later, signed outgoing webhooks (issue 18). Every such request goes
through `post()` here and nowhere else.

Production posts to the URL it is given. `settings.OUTGOING_HTTP_HOSTS` maps a
real host to a base URL (`{"discord.com": "http://127.0.0.1:8121"}`), so tests
point Discord's and Slack's hosts at a loopback server; it is empty unless set
(env `OUTGOING_HTTP_HOSTS="discord.com=http://127.0.0.1:8121,…"`).

The client is plain: one POST, a timeout, no retries, no sleeping. What an
answer means (sent, refused for good, not now) is the outbox channel's call
(channels.HttpChannel); retries and backoff are the outbox's.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings

USER_AGENT = "PaperClub/0.1 (+https://github.com/paperclub/paperclub)"
ANSWER_MAX_BYTES = 64 * 1024  # enough for any error a webhook explains itself with


class HttpDown(Exception):
    """No answer: the connection was refused or reset, or it timed out."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    text: str = ""

    def json(self) -> dict:
        """The body as a JSON object, or {} when it is not one."""
        try:
            value = json.loads(self.text)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def routed(url: str) -> str:
    """`url` with its scheme and host replaced as OUTGOING_HTTP_HOSTS says (tests)."""
    parts = urlsplit(url)
    base = settings.OUTGOING_HTTP_HOSTS.get((parts.hostname or "").lower())
    if not base:
        return url
    target = urlsplit(base)
    path = target.path.rstrip("/") + parts.path
    return urlunsplit((target.scheme, target.netloc, path, parts.query, ""))


def post(
    url: str,
    *,
    body: bytes,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> HttpAnswer:
    """POST `body` to `url`; returns the answer, whatever its status. Raises
    HttpDown when there is none."""
    sent_headers = {"User-Agent": USER_AGENT, "Content-Type": content_type, **(headers or {})}
    seconds = settings.OUTGOING_HTTP_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        with requests.post(
            routed(url),
            data=body,
            headers=sent_headers,
            timeout=(min(seconds, 5.0), seconds),
            allow_redirects=False,  # a webhook that redirects is not one we were given
            stream=True,
        ) as response:
            raw = response.raw.read(ANSWER_MAX_BYTES, decode_content=True) or b""
            return HttpAnswer(
                status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()},
                text=raw.decode(response.encoding or "utf-8", errors="replace"),
            )
    except requests.RequestException as error:  # refused, reset, timed out, bad TLS
        host = urlsplit(url).hostname
        raise HttpDown(f"No answer from {host}: {type(error).__name__}") from error

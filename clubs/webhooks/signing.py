"""A webhook's secret, its signature and the headers of a delivery.

The signature is HMAC-SHA256, keyed with the webhook's secret, over the bytes
"<timestamp>.<body>" (the timestamp as sent in X-PaperClub-Timestamp, Unix
seconds), written as "sha256=<hex>" in X-PaperClub-Signature. Each attempt
signs afresh with its own timestamp; the body and the delivery id stay the
same. The receiver's recipe is in docs/api.md ("Webhooks").
"""

import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
DELIVERY_HEADER = "X-PaperClub-Delivery"
EVENT_HEADER = "X-PaperClub-Event"
TIMESTAMP_HEADER = "X-PaperClub-Timestamp"
SIGNATURE_HEADER = "X-PaperClub-Signature"
PURPOSE = b"paperclub.webhook-secret:"
URL_PURPOSE = b"paperclub.webhook-url:"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers(*, secret: str, event: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers of one attempt (the delivery id is added by the outbox)."""
    timestamp = int(time.time() if now is None else now)
    return {
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }

"""A loopback receiver of Paper Club's signed webhooks, as a club's website
would run one: it checks each delivery's signature (HMAC-SHA256 over
"<timestamp>.<body>" with the webhook's secret, docs/api.md "Webhooks") and
its timestamp (at most five minutes old), and keeps each delivery id once.

    with webhook_receiver() as receiver:        # receiver.url("/hooks/site")
        receiver.secrets["/hooks/site"] = secret  # from webhook_create
        receiver.fault("/hooks/site", status=500)  # the next delivery there: a 500
        receiver.fault("/hooks/site", delay=12)    # answers after 12 s
        ...
        receiver.deliveries("/hooks/site")  # [body] each delivery id once, in order
        receiver.arrivals                   # every request that arrived, duplicates too
        receiver.bad                        # requests whose signature did not verify

A fault with a delay still takes the delivery (it arrived; only the answer is
late), as a real slow receiver would: the sender times out and tries again,
and the receiver sees the same delivery id twice and counts it once.
"""

import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify(secret: str, headers, body: bytes, *, now: float | None = None) -> str:
    """The docs' recipe: "" when the delivery is genuine, else why not."""
    timestamp = headers.get("X-PaperClub-Timestamp", "")
    signature = headers.get("X-PaperClub-Signature", "")
    if not timestamp.isdigit():
        return "no timestamp"
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_SECONDS:
        return "too old"
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    if not hmac.compare_digest("sha256=" + expected.hexdigest(), signature):
        return "bad signature"
    return ""


@dataclass
class Arrival:
    path: str
    delivery_id: str
    event: str
    body: dict
    headers: dict


@dataclass
class Fault:
    path: str
    status: int = 200
    delay: float = 0.0


class WebhookReceiver:
    def __init__(self, port: int = 0):
        self.port = port
        self.secrets: dict[str, str] = {}
        self.arrivals: list[Arrival] = []
        self.bad: list[tuple[str, str]] = []  # (path, why)
        self.faults: list[Fault] = []
        self.seen: dict[str, Arrival] = {}  # delivery id -> its first arrival
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def fault(self, path: str, *, status: int = 200, delay: float = 0.0) -> None:
        with self.lock:
            self.faults.append(Fault(path, status, delay))

    def deliveries(self, path: str | None = None) -> list[dict]:
        """Each delivery once (by its id), in the order they first arrived."""
        with self.lock:
            return [a.body for a in self.seen.values() if path is None or a.path == path]

    def times_seen(self, delivery_id: str) -> int:
        with self.lock:
            return sum(1 for a in self.arrivals if a.delivery_id == delivery_id)

    def take(self, path: str, headers, raw: bytes) -> tuple[int, float, bytes]:
        with self.lock:
            secret = self.secrets.get(path)
            why = verify(secret, headers, raw) if secret else "no webhook here"
            if why:
                self.bad.append((path, why))
                return 401, 0.0, json.dumps({"error": why}).encode()
            arrival = Arrival(
                path=path,
                delivery_id=headers.get("X-PaperClub-Delivery", ""),
                event=headers.get("X-PaperClub-Event", ""),
                body=json.loads(raw),
                headers=dict(headers),
            )
            fault = next((f for f in self.faults if f.path == path), None)
            if fault is not None:
                self.faults.remove(fault)
            self.arrivals.append(arrival)
            if fault is not None and fault.status >= 300:
                return fault.status, 0.0, b'{"error": "the receiver broke"}'
            # Taken: a receiver stores it before it answers (and may answer late).
            self.seen.setdefault(arrival.delivery_id, arrival)
            return 200, (fault.delay if fault else 0.0), b'{"ok": true}'

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, delay, body = receiver.take(self.path, self.headers, raw)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


@contextlib.contextmanager
def webhook_receiver(port: int = 0) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(port).start()
    try:
        yield receiver
    finally:
        receiver.stop()

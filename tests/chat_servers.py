"""A loopback HTTP server that speaks Discord's and Slack's incoming-webhook APIs.

    with chat_server() as server:          # server.base: "http://127.0.0.1:<port>"
        settings.OUTGOING_HTTP_HOSTS = server.hosts
        server.fail("discord", 429, retry_after=1.2)   # the next Discord post
        ...
        server.posts   # [Post(service, path, payload)] accepted, in arrival order

Each post is checked against the service's documented limits before it is
accepted; a post that breaks one is answered as the service would (400 with
its error) and kept in `server.invalid`, so a test can assert there were none.

Discord (https://discord.com/developers/docs/resources/webhook#execute-webhook,
…/resources/message#embed-object-embed-limits): `content` at most 2,000
characters, at most 10 embeds, an embed's title 256, description 4,096, at
most 25 fields (name 256, value 1,024), footer 2,048, author name 256, and at
most 6,000 characters in all embeds together; content or an embed; a
`username` of 1 to 80 characters without "discord" or "clyde". 204 on
success; 429 with a JSON body `{"retry_after": seconds, "global": false}` and a
Retry-After header; 404 `{"message": "Unknown Webhook", "code": 10015}`.

Slack (https://api.slack.com/messaging/webhooks, …/reference/block-kit/blocks):
`text` at most 40,000 characters, at most 50 blocks, a section's text 3,000,
at most 10 fields of 2,000, a header's plain text 150, a context's elements at
most 10; text or blocks. 200 "ok"; 429 with a Retry-After header (seconds);
404 "no_service", 410 "channel_is_archived", 400 "invalid_blocks".
"""

import contextlib
import json
import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DISCORD_PATH = "/api/webhooks/"
SLACK_PATH = "/services/"


@dataclass
class Post:
    service: str
    path: str
    payload: dict


@dataclass
class Fault:
    status: int
    retry_after: float | None = None
    path: str = ""  # only for posts to this path ("" any)


def discord_problems(payload: dict) -> list[str]:
    problems = []
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    if not content and not embeds:
        problems.append("Cannot send an empty message")
    if len(content) > 2000:
        problems.append(f"content: {len(content)} > 2000")
    username = payload.get("username")
    if username is not None and (
        not 1 <= len(username) <= 80 or re.search("discord|clyde", username, re.I)
    ):
        problems.append("username: 1-80 characters, without 'discord' or 'clyde'")
    if len(embeds) > 10:
        problems.append(f"embeds: {len(embeds)} > 10")
    total = 0
    for i, embed in enumerate(embeds):
        fields = embed.get("fields") or []
        sizes = {
            "title": (len(embed.get("title") or ""), 256),
            "description": (len(embed.get("description") or ""), 4096),
            "footer.text": (len((embed.get("footer") or {}).get("text") or ""), 2048),
            "author.name": (len((embed.get("author") or {}).get("name") or ""), 256),
            "fields": (len(fields), 25),
        }
        for j, f in enumerate(fields):
            sizes[f"fields.{j}.name"] = (len(f.get("name") or ""), 256)
            sizes[f"fields.{j}.value"] = (len(f.get("value") or ""), 1024)
            if not f.get("name") or not f.get("value"):
                problems.append(f"embeds.{i}.fields.{j}: name and value are required")
        for name, (size, most) in sizes.items():
            if size > most:
                problems.append(f"embeds.{i}.{name}: {size} > {most}")
        total += sum(size for name, (size, _) in sizes.items() if name != "fields")
        url = embed.get("url")
        if url is not None and not str(url).startswith(("http://", "https://")):
            problems.append(f"embeds.{i}.url: not a URL")
    if total > 6000:
        problems.append(f"embeds: {total} characters > 6000")
    return problems


def _text_of(obj: dict | None) -> str:
    return (obj or {}).get("text") or ""


def slack_problems(payload: dict) -> list[str]:
    problems = []
    text = payload.get("text") or ""
    blocks = payload.get("blocks") or []
    if not text and not blocks:
        problems.append("no_text")
    if len(text) > 40000:
        problems.append(f"text: {len(text)} > 40000")
    if len(blocks) > 50:
        problems.append(f"blocks: {len(blocks)} > 50")
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "section":
            if len(_text_of(block.get("text"))) > 3000:
                problems.append(f"blocks.{i}.text: {len(_text_of(block.get('text')))} > 3000")
            fields = block.get("fields") or []
            if len(fields) > 10:
                problems.append(f"blocks.{i}.fields: {len(fields)} > 10")
            long_fields = [j for j, f in enumerate(fields) if len(_text_of(f)) > 2000]
            problems += [f"blocks.{i}.fields.{j}: > 2000" for j in long_fields]
            if not block.get("text") and not fields:
                problems.append(f"blocks.{i}: a section needs text or fields")
        elif kind == "header":
            title = block.get("text") or {}
            if title.get("type") != "plain_text" or len(_text_of(title)) > 150:
                problems.append(f"blocks.{i}: a header is plain_text of at most 150")
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                problems.append(f"blocks.{i}.elements: {len(elements)} not in 1..10")
        elif kind != "divider":
            problems.append(f"blocks.{i}: unknown type {kind!r}")
    return problems


class ChatServer:
    def __init__(self, *, delay: float = 0.0):
        self.delay = delay  # seconds before each answer: a real service's pace
        self.posts: list[Post] = []
        self.invalid: list[tuple[Post, list[str]]] = []
        self.faults: list[Fault] = []
        self.gone: set[str] = set()  # paths answered 404 for good
        self.requests = 0
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def hosts(self) -> dict[str, str]:
        return {"discord.com": self.base, "hooks.slack.com": self.base}

    def fail(self, service: str, status: int, *, retry_after: float | None = None, times=1):
        path = DISCORD_PATH if service == "discord" else SLACK_PATH
        with self.lock:
            self.faults += [Fault(status, retry_after, path) for _ in range(times)]

    def payloads(self, service: str) -> list[dict]:
        return [p.payload for p in self.posts if p.service == service]

    def _answer(self, service: str, path: str, payload: dict) -> tuple[int, dict, bytes]:
        with self.lock:
            self.requests += 1
            if path in self.gone:
                if service == "discord":
                    body = {"message": "Unknown Webhook", "code": 10015}
                    return 404, {}, json.dumps(body).encode()
                return 404, {}, b"no_service"
            fault = next((f for f in self.faults if path.startswith(f.path)), None)
            if fault is not None:
                self.faults.remove(fault)
                return self._fault(service, fault)
            post = Post(service, path, payload)
            problems = (discord_problems if service == "discord" else slack_problems)(payload)
            if problems:
                self.invalid.append((post, problems))
                if service == "discord":
                    body = {"code": 50035, "message": "Invalid Form Body", "errors": problems}
                    return 400, {}, json.dumps(body).encode()
                return 400, {}, b"invalid_blocks"
            self.posts.append(post)
        if service == "discord":
            return 204, {}, b""
        return 200, {"Content-Type": "text/html"}, b"ok"

    @staticmethod
    def _fault(service: str, fault: Fault) -> tuple[int, dict, bytes]:
        if fault.status == 429:
            wait = fault.retry_after or 1.0
            headers = {"Retry-After": str(math.ceil(wait))}
            if service == "discord":
                body = {"message": "You are being rate limited.", "retry_after": wait}
                return 429, headers, json.dumps(body | {"global": False}).encode()
            return 429, headers, b"rate_limited"
        if service == "discord":
            return fault.status, {}, json.dumps({"message": "Server error", "code": 0}).encode()
        return fault.status, {}, b"internal_error"


def _handler(server: ChatServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            if path.startswith(DISCORD_PATH):
                service = "discord"
            elif path.startswith(SLACK_PATH):
                service = "slack"
            else:
                self._send(404, {}, b"")
                return
            try:
                payload = json.loads(raw)
            except ValueError:
                self._send(400, {}, b"invalid_payload")
                return
            if server.delay:
                time.sleep(server.delay)
            self._send(*server._answer(service, path, payload))

        def _send(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if body and "Content-Type" not in headers:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            return None

    return Handler


@contextlib.contextmanager
def chat_server(*, delay: float = 0.0, port: int = 0) -> Iterator[ChatServer]:
    server = ChatServer(delay=delay)
    server.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(server))
    server.httpd.daemon_threads = True
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=5)

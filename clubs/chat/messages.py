"""What a chat post says, for Discord and for Slack, within each one's
documented limits. A text too long is shortened with a link to the page; a
post is never refused for its length.

Discord (execute webhook, embed limits): content 2,000 characters; at most 10
embeds; an embed's title 256, description 4,096, 25 fields of name 256 and
value 1,024, footer 2,048, all embeds together 6,000. Times are `<t:…:F>`
(and `<t:…:R>`), which each reader sees in their own zone. Mentions are off
(`allowed_mentions`), so a paper called "@everyone" pings nobody.

Slack (incoming webhooks, Block Kit): a section's text 3,000, at most 10
fields of 2,000, at most 50 blocks; `text` is the notification's fallback.
Times are `<!date^…^{date_long_pretty} at {time}|…>`, also in the reader's zone.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..limits import clip

DISCORD = {
    "content": 2000,
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "embeds_total": 6000,
}
SLACK = {"section": 3000, "field": 2000, "fields": 10, "blocks": 50, "text": 3000}


@dataclass
class Post:
    """What any post says, before a service's form: built from an announcement."""

    headline: str
    title: str = ""
    url: str = ""
    body: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    starts_at: int | None = None  # a Unix time
    club: str = ""


def shorten(text: str, limit: int, more: str) -> str:
    """`text` if it fits in `limit`; else cut, with `more` (a link to the page)."""
    if len(text) <= limit:
        return text
    room = max(limit - len(more), 0)
    return text[:room].rstrip() + more


_DISCORD_MARKDOWN = re.compile(r"([\\*_~`|\[\]])")


def discord_escape(text: str) -> str:
    return _DISCORD_MARKDOWN.sub(r"\\\1", text or "")


def slack_escape(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _utc_words(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%a %d %b %Y, %H:%M UTC")


def discord_payload(post: Post) -> dict:
    more = f"… [Read more]({post.url})" if post.url else "…"
    embed: dict = {"title": clip(post.title or post.headline, DISCORD["title"])}
    if post.url:
        embed["url"] = post.url
    if post.club:
        embed["footer"] = {"text": clip(post.club, 200)}
    # All embeds together hold 6,000 characters: the title and footer first,
    # then the fields while they fit (keeping some room for the description).
    budget = (
        DISCORD["embeds_total"] - len(embed["title"]) - len(embed.get("footer", {}).get("text", ""))
    )
    reserve = min(len(post.body), 600) + len(more) if post.body else 0
    fields = []
    if post.starts_at is not None:
        fields.append({"name": "When", "value": f"<t:{post.starts_at}:F> (<t:{post.starts_at}:R>)"})
        budget -= len(fields[0]["name"]) + len(fields[0]["value"])
    for name, value in post.fields:
        if not (name and value) or len(fields) == DISCORD["fields"]:
            continue
        name = clip(name, DISCORD["field_name"])
        room = min(DISCORD["field_value"], budget - reserve - len(name))
        if room < min(len(value), 40) + len(more):
            break  # no room left for this field: the page has the rest
        value = shorten(discord_escape(value), room, more)
        fields.append({"name": name, "value": value})
        budget -= len(name) + len(value)
    if fields:
        embed["fields"] = fields
    room = min(DISCORD["description"], budget)
    if post.body and room > len(more):
        embed["description"] = shorten(discord_escape(post.body), room, more)
    content_more = f"… <{post.url}>" if post.url else "…"
    payload = {
        "content": shorten(discord_escape(post.headline), DISCORD["content"], content_more),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }
    # No "username": the webhook's own name shows, which organizers chose in
    # Discord (Discord refuses a username containing "discord" or "clyde": a
    # club called "Discord readers" would fail every post).
    return payload


def _slack_cut(text: str, limit: int, more: str) -> str:
    cut = shorten(text, limit, more)
    if cut is text:
        return text
    # Never leave half an escape ("&am") before the link.
    head = cut[: len(cut) - len(more)]
    return re.sub(r"&[a-z]{0,3}$", "", head) + more


def slack_payload(post: Post) -> dict:
    more = f"… <{post.url}|Read more>" if post.url else "…"
    title = slack_escape(clip(post.title, 200))
    head = f"*{slack_escape(clip(post.headline, 300))}*"
    if title:
        head += f"\n<{post.url}|{title}>" if post.url else f"\n{title}"
    text = head
    if post.body:
        room = SLACK["section"] - len(head) - 1
        text += "\n" + _slack_cut(slack_escape(post.body), room, more)
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    fields = []
    if post.starts_at is not None:
        when = (
            f"<!date^{post.starts_at}^{{date_long_pretty}} at {{time}}|"
            f"{_utc_words(post.starts_at)}>"
        )
        fields.append({"type": "mrkdwn", "text": f"*When*\n{when}"})
    for name, value in post.fields[: SLACK["fields"] - len(fields)]:
        if name and value:
            label = f"*{slack_escape(clip(name, 100))}*\n"
            room = SLACK["field"] - len(label)
            fields.append(
                {"type": "mrkdwn", "text": label + _slack_cut(slack_escape(value), room, more)}
            )
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if post.club:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(post.club)}]}
        )
    fallback = post.headline + (f": {post.title}" if post.title else "")
    return {"text": clip(fallback, SLACK["text"]), "blocks": blocks}

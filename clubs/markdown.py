"""Markdown written by members, rendered to HTML that is safe to show.

cmark-gfm (GitHub's CommonMark, in C) renders in time linear in its input.
Python-Markdown, used before, is quadratic on unclosed brackets: 8,000 "["
took 8.7 s and 20,000 took 59 s on this project's machines, so one session
outline could hold a page for a minute; cmark-gfm renders any 20,000
characters in under 20 ms there. Raw HTML is dropped by cmark and whatever
HTML remains is sanitised by nh3 (Rust) to an allow-list.

Two caps bound the work: every field that holds Markdown has a maximum length
(clubs.limits, docs/limits.md), and the renderer itself reads at most
MARKDOWN_MAX_CHARS of whatever it is given (text stored before a limit
existed, or a caller that forgot one).
"""

import cmarkgfm
import nh3

# The longest Markdown field (a session's outline, a member's notes).
MARKDOWN_MAX_CHARS = 20_000
# A card or a mail's summary shows a few lines: no need to render more.
EXCERPT_SOURCE_CHARS = 1_000

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
_EXTENSIONS = ["table", "autolink"]


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def render_markdown(text: str, *, max_chars: int = MARKDOWN_MAX_CHARS) -> str:
    """Markdown to sanitised HTML: no script, no inline style, only http(s)/mailto links.

    Reads at most `max_chars` characters of `text`; the rest is left out, marked by "…"."""
    html = cmarkgfm.markdown_to_html_with_extensions(
        _cut(text or "", max_chars), extensions=_EXTENSIONS
    )
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    ).strip()


def markdown_excerpt(text: str) -> str:
    """The start of `text` rendered, for summaries that show a few dozen words."""
    return render_markdown(text, max_chars=EXCERPT_SOURCE_CHARS)

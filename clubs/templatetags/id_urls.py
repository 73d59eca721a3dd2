"""`{% id_url %}`: `{% url %}` for a row's link whose last argument is an id.

A long list links each row (the archive: a session, its papers, its write-up
and its discussion, about a hundred links a page). `{% url %}` runs the URL
resolver for each; this tag reverses a view once per render (with the same
leading arguments) and fills in each row's id, giving the same text. On the
bench's club the archive's 25 rows spent about 5 of their 13 ms of rendering
in `reverse()` (in-process, render alone).
"""

from django import template
from django.template.context import Context
from django.urls import reverse

register = template.Library()

# Reversed in the id's place, then cut out: digits no slug of ours would hold.
MARK = 987654321987654321


@register.simple_tag(takes_context=True)
def id_url(context: Context, viewname: str, *args) -> str:
    """`{% id_url 'papers:nomination' club.slug link.nomination_id %}` is
    `{% url 'papers:nomination' club.slug link.nomination_id %}`."""
    *leading, pk = args
    if not isinstance(pk, int) or isinstance(pk, bool) or pk < 0:
        return reverse(viewname, args=args)
    # One render's cache, as Django's own {% include %} keeps its templates:
    # the bottom of render_context lives as long as the render.
    render: dict = context.render_context.dicts[0]  # typed for IncludeNode's keys in the stubs
    cache: dict[tuple, list[str]] = render.setdefault(id_url, {})
    key = (viewname, *leading)
    parts = cache.get(key)
    if parts is None:
        parts = cache[key] = reverse(viewname, args=[*leading, MARK]).split(str(MARK))
    if len(parts) != 2:  # the mark stood somewhere else too
        return reverse(viewname, args=args)
    return f"{parts[0]}{pk}{parts[1]}"

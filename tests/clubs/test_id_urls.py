"""{% id_url %} writes what {% url %} writes, one reverse() a view and render."""

from unittest import mock

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch

from clubs.templatetags import id_urls

ROWS = (
    "{% for pk in ids %}"
    "{% TAG 'papers:nomination' slug pk %} "
    "{% TAG 'discussion:thread' slug 'session' pk %}|"
    "{% endfor %}"
)


def _render(tag: str, **context) -> str:
    source = "{% load id_urls %}" + ROWS.replace("TAG", tag)
    return Template(source).render(Context(context))


@pytest.mark.parametrize("slug", ["big-club", "club-2026", "a_b"])
def test_each_row_links_what_url_links(slug):
    context = {"ids": [1, 42, 3246, 0, 987654], "slug": slug}

    assert _render("id_url", **context) == _render("url", **context)


def test_a_view_is_reversed_once_a_render_for_its_leading_arguments():
    with mock.patch.object(id_urls, "reverse", wraps=id_urls.reverse) as reverse:
        _render("id_url", ids=list(range(25)), slug="big-club")

    assert reverse.call_count == 2  # one a view, not one a row


def test_a_slug_holding_the_mark_still_gets_its_own_url():
    slug = f"x{id_urls.MARK}"
    context = {"ids": [7, 8], "slug": slug}

    assert _render("id_url", **context) == _render("url", **context)


@pytest.mark.parametrize(
    ("ids", "slug"), [([None], "big-club"), ([-1], "big-club"), ([1], "caf\u00e9")]
)
def test_what_url_cannot_link_fails_as_url_fails(ids, slug):
    with pytest.raises(NoReverseMatch):
        _render("url", ids=ids, slug=slug)
    with pytest.raises(NoReverseMatch):
        _render("id_url", ids=ids, slug=slug)

"""The project's template filters (clubs/templatetags/paperclub.py)."""

from django.template import Context, Template
from django.template.defaultfilters import truncatechars
from hypothesis import given
from hypothesis import strategies as st

from clubs.templatetags.paperclub import shorten

# Letters, spaces, an "é" written as e + a combining accent, and a wide character.
TEXTS = st.text(alphabet=st.sampled_from(["a", "Z", " ", "e", "\u0301", "…", "論"]), max_size=120)


@given(text=TEXTS, length=st.integers(min_value=-2, max_value=100))
def test_shorten_says_what_truncatechars_says(text, length):
    assert shorten(text, length) == truncatechars(text, length)


def test_shorten_cuts_a_long_title_and_escapes_it_in_a_template():
    title = "Attention <is> all you need " * 5
    rendered = Template("{% load paperclub %}{{ title|shorten:40 }}").render(
        Context({"title": title})
    )
    assert rendered == "Attention &lt;is&gt; all you need Attention &lt;…"
    assert (
        Template("{% load paperclub %}{{ title|shorten:40 }}").render(
            Context({"title": "Short <b>"})
        )
        == "Short &lt;b&gt;"
    )

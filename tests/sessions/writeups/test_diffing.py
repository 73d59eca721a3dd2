"""Diffs and who wrote what, over plain text (sessions.writeups.diffing)."""

from hypothesis import given
from hypothesis import strategies as st

from sessions.writeups.diffing import DiffLine, attribute_lines, diff_hunks, diff_stats


def test_diff_hunks_show_a_changed_line_as_removed_then_added_with_context():
    old = "a\nb\nc\nd\ne\nf\ng\nh"
    new = "a\nb\nc\nd\nE\nf\ng\nh"
    assert diff_hunks(old, new, context=1) == [
        [
            DiffLine("equal", "d", 4, 4),
            DiffLine("delete", "e", 5, None),
            DiffLine("insert", "E", None, 5),
            DiffLine("equal", "f", 6, 6),
        ]
    ]


def test_diff_of_equal_texts_has_no_hunks():
    assert diff_hunks("same\ntext", "same\ntext") == []


def test_diff_from_nothing_is_every_line_added():
    assert diff_hunks("", "one\ntwo") == [
        [DiffLine("insert", "one", None, 1), DiffLine("insert", "two", None, 2)]
    ]
    assert diff_stats("", "one\ntwo").added == 2


def test_diff_stats_count_lines_added_and_removed():
    stats = diff_stats("a\nb\nc", "a\nB\nc\nd")
    assert (stats.added, stats.removed) == (2, 1)


def test_each_line_keeps_the_writer_who_last_changed_it():
    lines = attribute_lines(
        [
            (1, "ada", "# Notes\nAttention is enough."),
            (2, "grace", "# Notes\nAttention is enough.\nBut data matters."),
            (3, "ada", "# Notes\nAttention is mostly enough.\nBut data matters."),
        ]
    )
    assert [(line.text, line.author, line.revision) for line in lines] == [
        ("# Notes", "ada", 1),
        ("Attention is mostly enough.", "ada", 3),
        ("But data matters.", "grace", 2),
    ]


def test_a_line_removed_and_written_again_belongs_to_its_new_writer():
    lines = attribute_lines([(1, "ada", "x\ny"), (2, "grace", "x"), (3, "linus", "x\ny")])
    assert [(line.text, line.author) for line in lines] == [("x", "ada"), ("y", "linus")]


texts = st.lists(st.sampled_from(["a", "b", "c", "", "- item"]), max_size=8).map("\n".join)


@given(st.lists(texts, min_size=1, max_size=6))
def test_attribution_reads_back_the_last_revision_and_names_only_its_writers(versions):
    revisions = [(i + 1, f"writer{i}", text) for i, text in enumerate(versions)]
    lines = attribute_lines(revisions)
    assert "\n".join(line.text for line in lines) == versions[-1]
    for line in lines:
        _number, author, text = revisions[line.revision - 1]
        assert line.author == author
        assert line.text in text.split("\n")

"""OutboxEmail writes the message Django would, with its boundaries chosen as it
is built and its plain headers written directly (clubs/outbox/mime.py)."""

import email
import email.errors
import email.policy
import re
from email.generator import Generator
from email.policy import compat32

import pytest
from django.core.mail import EmailMultiAlternatives
from hypothesis import given
from hypothesis import strategies as st

from clubs.outbox import mime
from clubs.outbox.mime import OUTBOX_POLICY, OutboxEmail

CALENDAR = (
    b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x@paperclub\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _invite(cls, *, subject: str = "Big Club, Wed 6 Jan: Attention", body: str = "Hi,\n"):
    message = cls(
        subject=subject,
        body=body,
        to=["member@example.com"],
        from_email="Paper Club <noreply@example.com>",
        headers={
            "Message-ID": "<invite.abc.12.3@example.com>",
            # Longer than a line: folded by compat32 either way.
            "List-Unsubscribe": "<https://paperclub.example/unsubscribe/" + "x" * 90 + "/>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative("<p>Hi,</p>", "text/html")
    message.attach_alternative(CALENDAR.decode(), "text/calendar; method=REQUEST")
    message.attach("invite.ics", CALENDAR, "application/ics; method=REQUEST")
    return message


def _without_boundaries(data: bytes) -> bytes:
    boundaries = re.findall(rb'boundary="([^"]+)"', data)
    assert len(boundaries) == 2  # mixed, and the alternatives inside it
    for number, boundary in enumerate(boundaries):
        data = data.replace(boundary, b"<boundary %d>" % number)
    return re.sub(rb"^Date: .*$", b"Date: <date>", data, flags=re.M)


@pytest.mark.parametrize(
    "subject",
    ["Big Club, Wed 6 Jan: Attention", "Über den Wolken: Ünïcode in the subject, " + "y" * 60],
)
def test_outbox_email_writes_the_bytes_django_writes(subject):
    ours = _invite(OutboxEmail, subject=subject).message().as_bytes(linesep="\r\n")
    django = _invite(EmailMultiAlternatives, subject=subject).message().as_bytes(linesep="\r\n")
    assert _without_boundaries(ours) == _without_boundaries(django)


def test_outbox_email_has_its_boundaries_before_it_is_written(monkeypatch):
    def no_boundary_made_while_writing(cls, text=None):
        raise AssertionError("the generator made a boundary")

    monkeypatch.setattr(Generator, "_make_boundary", classmethod(no_boundary_made_while_writing))
    data = _invite(OutboxEmail).message().as_bytes(linesep="\r\n")

    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    assert parsed.get_body(("calendar",)).get_content().encode() == CALENDAR
    attached = next(parsed.iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == ("invite.ics", CALENDAR)


def test_a_boundary_found_in_the_message_is_not_used(monkeypatch):
    taken = "=_" + "a" * 32
    offered = iter([taken, "=_" + "b" * 32, "=_" + "c" * 32])
    monkeypatch.setattr(mime, "new_boundary", lambda: next(offered))

    message = _invite(OutboxEmail, body=f"Someone pasted --{taken} here.\n").message()

    assert [part.get_boundary() for part in message.walk() if part.is_multipart()] == [
        "=_" + "b" * 32,
        "=_" + "c" * 32,
    ]


# Printable ASCII, the whitespace and separators folding cares about, and
# anything else (the policy must leave those to compat32, which then decides).
_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=90),
    st.text(alphabet=' \t;,:=?"<>a', min_size=40, max_size=90),
    st.text(alphabet=" a", min_size=60, max_size=80),
    st.text(max_size=40),
)


@given(
    name=st.sampled_from(["Subject", "To", "Message-ID", "List-Unsubscribe", "X"]),
    value=_VALUES,
)
def test_outbox_policy_writes_each_header_as_compat32_does(name, value):
    for linesep in ("\n", "\r\n"):
        try:
            expected = compat32.clone(linesep=linesep).fold_binary(name, value)
        except email.errors.HeaderParseError:  # an embedded header: refused alike
            with pytest.raises(email.errors.HeaderParseError):
                OUTBOX_POLICY.clone(linesep=linesep).fold_binary(name, value)
            continue
        assert OUTBOX_POLICY.clone(linesep=linesep).fold_binary(name, value) == expected

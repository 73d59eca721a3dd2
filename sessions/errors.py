"""The errors every subject of sessions raises to the people using it."""


class SessionError(Exception):
    """A change the rules do not allow; str(error) is shown to the person."""


class NotAllowed(SessionError):
    """The person may not do this (views answer 403)."""

"""The errors the backlog's services raise to the people using them."""


class PaperError(Exception):
    """A change the rules do not allow; str(error) is shown to the person."""


class NotAllowed(PaperError):
    """The person may not do this (views answer 403)."""

"""The errors every subject of sessions raises to the people using it."""


class SessionError(Exception):
    """A change the rules do not allow; str(error) is shown to the person."""


class NotAllowed(SessionError):
    """The person may not do this (views answer 403)."""


class OnePaperWeek(SessionError):
    """Several papers chosen for a one-paper week: the page offers to make it a survey week."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"This week reads one paper and {count} are chosen: make it a survey week "
            "to read them all, or choose one."
        )
        self.count = count

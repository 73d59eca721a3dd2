class OutboxError(Exception):
    """A request about the outbox that cannot be done (shown to the person)."""

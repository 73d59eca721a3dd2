"""What higher apps do when a membership stops being active (the member left,
or an organizer removed them).

clubs knows nothing of sessions; an app registers a function here (in its
AppConfig.ready) and clubs calls it inside the transaction that ends the
membership, e.g. sessions takes the member out of the club's series RSVP.
"""

from collections.abc import Callable

from .models import Membership

Ended = Callable[[Membership], None]
_ended: list[Ended] = []


def on_membership_ended(hook: Ended) -> Ended:
    if hook not in _ended:
        _ended.append(hook)
    return hook


def membership_ended(membership: Membership) -> None:
    for hook in _ended:
        hook(membership)

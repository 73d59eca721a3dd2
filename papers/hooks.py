"""What papers tells the apps above it (papers knows no sessions).

A higher app registers a receiver in its AppConfig.ready; papers calls every
receiver inside the transaction that made the change, so a receiver's own
writes commit or roll back with it.
"""

from collections.abc import Callable

from .voting import weights as vote_weights

PaperDetailsReceiver = Callable[..., None]
_details_receivers: list[PaperDetailsReceiver] = []


def on_paper_details_changed(receiver: PaperDetailsReceiver) -> PaperDetailsReceiver:
    """Register `receiver(*, nomination_ids: list[int], fields: list[str])`,
    called when people corrected these fields of the papers of these
    nominations. Registering the same function twice keeps one."""
    if receiver not in _details_receivers:
        _details_receivers.append(receiver)
    return receiver


def paper_details_changed(*, nomination_ids: list[int], fields: list[str]) -> None:
    for receiver in list(_details_receivers):
        receiver(nomination_ids=nomination_ids, fields=fields)


MergeReceiver = Callable[..., None]
_merge_receivers: list[MergeReceiver] = []


def on_nominations_merged(receiver: MergeReceiver) -> MergeReceiver:
    """Register `receiver(*, from_id: int, to_id: int)`, called inside a merge's
    transaction before the duplicate nomination (`from_id`) is deleted, so a
    higher app can move what it keeps about it onto the nomination that stays.
    The merge's undo writes the duplicate's rows back as they were before."""
    if receiver not in _merge_receivers:
        _merge_receivers.append(receiver)
    return receiver


def nominations_merged(*, from_id: int, to_id: int) -> None:
    for receiver in list(_merge_receivers):
        receiver(from_id=from_id, to_id=to_id)


def vote_weights_provider(provider: vote_weights.WeightsProvider) -> None:
    """Register `provider(*, club_id: int) -> papers.voting.weights.ClubWeights`:
    what each member's backlog vote counts when the club weighs votes by
    attendance (papers.voting.weights holds it)."""
    vote_weights.register(provider)

"""What papers tells the apps above it (papers knows no sessions).

A higher app registers a receiver in its AppConfig.ready; papers calls every
receiver inside the transaction that made the change, so a receiver's own
writes commit or roll back with it.
"""

from collections.abc import Callable

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

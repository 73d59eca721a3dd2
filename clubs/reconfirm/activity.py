"""The re-confirmation's kinds of entry in the club's activity log."""

from ..activity.registry import Kind, register

MEMBERS = "Members"


def register_reconfirm_kinds() -> None:
    register(
        Kind("reconfirm.settings", "Asking quiet members: rule changed", MEMBERS),
        Kind("reconfirm.ask", "Quiet members asked whether to stay", MEMBERS),
        Kind("reconfirm.keep", "Member stayed", MEMBERS),
        Kind("reconfirm.lapse", "Members became inactive", MEMBERS),
        Kind("reconfirm.return", "Member active again", MEMBERS),
    )

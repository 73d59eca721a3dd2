"""The discussion's entries in the club's activity log (registered in SessionsConfig.ready)."""

from clubs.activity.registry import Kind, register

DISCUSSION = "Discussion"


def register_discussion_kinds() -> None:
    register(
        Kind("discussion.hide", "Post hidden", DISCUSSION),
        Kind("discussion.show", "Hidden post shown again", DISCUSSION),
        Kind("discussion.lock", "Discussion locked", DISCUSSION),
        Kind("discussion.unlock", "Discussion unlocked", DISCUSSION),
    )

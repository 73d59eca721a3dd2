"""Who takes no email at all from Paper Club, for the mail clubs sends members
on its own (the re-confirmation question, clubs.reconfirm).

The preference is the session mail's ("No email from Paper Club at all" on the
mail settings page, or an unsubscribe-from-all link: sessions.models.
MailPreferences.no_email). clubs knows no sessions, so the sessions app
registers the reader in its AppConfig.ready; with none registered nobody is
taken to refuse mail.
"""

from collections.abc import Callable, Iterable

Reader = Callable[[Iterable[int]], set[int]]

_readers: list[Reader] = []


def register(reader: Reader) -> None:
    if reader not in _readers:
        _readers.append(reader)


def without_email(user_ids: Iterable[int]) -> set[int]:
    """Of these users, the ones who take no email at all."""
    ids = list(user_ids)
    found: set[int] = set()
    if not ids:
        return found
    for reader in _readers:
        found |= reader(ids)
    return found

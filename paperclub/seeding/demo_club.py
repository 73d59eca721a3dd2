"""The people and the club of the demo: a large weekly LLM paper club, made up."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clubs.chat import secrets
from clubs.models import Club, Membership, Profile
from clubs.webhooks import addresses, signing
from clubs.webhooks.models import Webhook
from sessions.models import MailPreferences

DEMO_PASSWORD = "paperclub-demo"  # noqa: S105 - printed for newcomers; demo accounts only
DEMO_CLUB_SLUG = "latent-space"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    display_name: str
    time_zone: str
    organizer: bool = False
    # Calendar invites are opt-in; the two accounts the README offers take them,
    # so the demo's terminal shows invites and updates as well as reminders.
    invites: bool = False


DEMO_PEOPLE = [
    DemoPerson(
        "organizer@example.com", "Sam Rivera", "America/Los_Angeles", organizer=True, invites=True
    ),
    DemoPerson("priya@example.com", "Priya Raman", "Asia/Kolkata", organizer=True),
    DemoPerson("member@example.com", "Alex Chen", "America/New_York", invites=True),
    DemoPerson("lena@example.com", "Lena Fischer", "Europe/Berlin"),
    DemoPerson("tomas@example.com", "Tomás Herrera", "America/Mexico_City"),
    DemoPerson("aiko@example.com", "Aiko Tanaka", "Asia/Tokyo"),
    DemoPerson("kwame@example.com", "Kwame Mensah", "Africa/Accra"),
    DemoPerson("sofia@example.com", "Sofia Rossi", "Europe/Rome"),
    DemoPerson("noah@example.com", "Noah Williams", "Australia/Sydney"),
    DemoPerson("fatima@example.com", "Fatima Al-Sayed", "Asia/Dubai"),
    DemoPerson("jonas@example.com", "Jonas Berg", "Europe/Stockholm"),
    DemoPerson("mei@example.com", "Mei Lin", "Asia/Singapore"),
    DemoPerson("lucas@example.com", "Lucas Oliveira", "America/Sao_Paulo"),
    DemoPerson("grace@example.com", "Grace O'Neill", "Europe/Dublin"),
]

DEMO_DESCRIPTION = """\
A weekly reading group for people building with large language models.

**Every Wednesday at noon Pacific**, one volunteer walks us through a paper
for about an hour; everyone pre-reads (a skim counts!) and brings questions.

- Propose papers in the backlog and vote for the ones you want to read.
- Volunteer for an open week on the rota: the facilitator picks the paper.
- Be kind; ask the "obvious" question — someone else has it too.
"""


@transaction.atomic
def demo_club_seed() -> tuple[Club, list]:
    """Create (or find) the demo club and its people. Safe to run again."""
    User = get_user_model()
    users = []
    for person in DEMO_PEOPLE:
        user, created = User.objects.get_or_create(
            email=person.email, defaults={"username": person.email.split("@")[0]}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(
            user=user, email=person.email, defaults={"verified": True, "primary": True}
        )
        Profile.objects.update_or_create(
            user=user,
            defaults={"display_name": person.display_name, "time_zone": person.time_zone},
        )
        MailPreferences.objects.get_or_create(user=user, defaults={"invites": person.invites})
        users.append(user)

    club, _ = Club.objects.get_or_create(
        slug=DEMO_CLUB_SLUG,
        defaults={
            "name": "Latent Space Paper Club",
            "description": DEMO_DESCRIPTION,
            "visibility": Club.Visibility.PUBLIC,
            "join_policy": Club.JoinPolicy.OPEN,
            "time_zone": "America/Los_Angeles",
            "created_by": users[0],
        },
    )
    now = timezone.now()
    for person, user in zip(DEMO_PEOPLE, users, strict=True):
        Membership.objects.get_or_create(
            club=club,
            user=user,
            defaults={
                "role": Membership.Role.ORGANIZER if person.organizer else Membership.Role.MEMBER,
                "state": Membership.State.ACTIVE,
                "joined_at": now,
            },
        )
    demo_webhook_seed(club=club, by=users[0])
    return club, users


def demo_webhook_seed(*, club: Club, by) -> None:
    """An example webhook, turned off, so its page and log can be seen (and
    audited) while the demo delivers nothing anywhere."""
    url = "https://hooks.example.org/paperclub/latent-space"
    Webhook.objects.get_or_create(
        club=club,
        name="Club website (example)",
        defaults={
            "url_sealed": secrets.seal(url, purpose=signing.URL_PURPOSE),
            "url_masked": addresses.masked(url),
            "secret_sealed": secrets.seal(signing.new_secret(), purpose=signing.PURPOSE),
            "events": ["session.scheduled", "session.cancelled", "session.recording_added"],
            "enabled": False,
            "disabled_reason": "an example: turn it on with your own receiver's URL",
            "created_by": by,
        },
    )

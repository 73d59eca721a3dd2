from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from clubs.models import Club, Invitation, Membership, Profile
from sessions.models import Session

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        # Without a verified primary address allauth sends sign-ins to "confirm your email".
        if create:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def profile(self, create, extracted, **kwargs):
        if create:
            Profile.objects.create(
                user=self,
                display_name=kwargs.get("display_name", f"Person {self.pk}"),
                time_zone=kwargs.get("time_zone", "UTC"),
            )


class ClubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Club

    name = factory.Sequence(lambda n: f"Club {n}")
    slug = factory.Sequence(lambda n: f"club-{n}")
    description = "We read papers."
    visibility = Club.Visibility.PUBLIC
    join_policy = Club.JoinPolicy.OPEN
    time_zone = "America/Los_Angeles"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    club = factory.SubFactory(ClubFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER
    state = Membership.State.ACTIVE
    joined_at = factory.LazyFunction(timezone.now)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    club = factory.SubFactory(ClubFactory)
    token = factory.Sequence(lambda n: f"token-{n}-abcdefghijklmnop")
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


def session_at(club, *, starts_in, state="scheduled", facilitator=None, **fields):
    """A one-hour session of `club` starting `starts_in` (a timedelta) from now."""
    starts = timezone.now() + starts_in
    return Session.objects.create(
        club=club,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state=state,
        facilitator=facilitator,
        **fields,
    )

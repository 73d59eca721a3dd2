"""The profile's API tokens: make one (its secret shown once), see when each was
last used, revoke one."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clubs.confirming import Ask, confirm_first
from clubs.models import Club, Membership

from .models import PersonalToken
from .tokens import TokenError, token_create, token_revoke, tokens_of


def _user(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    assert isinstance(request.user, User)
    return request.user


def _member_clubs(user: User) -> list[Club]:
    return list(
        Club.objects.filter(
            memberships__user=user, memberships__state=Membership.State.ACTIVE
        ).order_by("name")
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What will use it, e.g. “club website” or “vote bot”."
    )
    club = forms.TypedChoiceField(coerce=int, help_text="A token works in this one club.")
    scope = forms.ChoiceField(
        choices=PersonalToken.Scope.choices,
        initial=PersonalToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text="Read and write lets it vote, RSVP, mark pre-reads, propose and ask as you.",
    )

    def __init__(self, *args, clubs: list[Club], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        club_field = self.fields["club"]
        assert isinstance(club_field, forms.TypedChoiceField)
        club_field.choices = [(club.pk, club.name) for club in clubs]


def profile_tokens_section(request: HttpRequest) -> dict:
    return {"active_count": tokens_of(user=_user(request)).filter(revoked_at__isnull=True).count()}


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    clubs = _member_clubs(user)
    form = TokenForm(request.POST or None, clubs=clubs)
    secret = None
    made = None
    if request.method == "POST" and form.is_valid():
        club = next(c for c in clubs if c.pk == form.cleaned_data["club"])
        try:
            made, secret = token_create(
                user=user,
                club=club,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
            )
        except TokenError as error:
            form.add_error("name", str(error))
        else:
            form = TokenForm(clubs=clubs)
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "clubs": clubs,
            "tokens": list(tokens_of(user=user)),
            "made": made,
            "secret": secret,
        },
    )
    if secret:
        response["Cache-Control"] = "no-store"  # the secret is on this page only
    return response


def _ask_revoke(request: HttpRequest, token_id: int) -> Ask:
    return Ask(
        question="Revoke this token?",
        consequence="Anything using it is refused from now on (401). This cannot be undone.",
        button="Yes, revoke it",
    )


@require_POST
@login_required
@confirm_first(_ask_revoke)
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = token_revoke(user=_user(request), token_id=token_id)
    except PersonalToken.DoesNotExist as error:
        raise Http404("No such token.") from error
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("tokens")

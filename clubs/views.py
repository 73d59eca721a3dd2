"""Club pages. Each view says who may use it: `@club_view(needs=...)` for club
pages (see clubs/permissions.py), `login_required` or nothing for the rest."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import home_sections, profile_sections, ratelimits, selectors, services, settings_sections
from .confirming import Ask, confirm_first
from .forms import (
    ClubForm,
    ClubSettingsForm,
    InvitationEmailForm,
    InvitationLinkForm,
    ProfileForm,
    time_zone_choices,
)
from .models import Membership
from .permissions import ANYONE, MEMBER, ORGANIZER, PENDING, SIGNED_IN, ClubAccess, club_view
from .reconfirm import selectors as reconfirm_selectors
from .templatetags.paperclub import display_name

MEMBERS_PAGE_SIZE = 50


def _club_url(access: ClubAccess, name: str = "clubs:home") -> str:
    return reverse(name, args=[access.club.slug])


# --- Site pages (no club) ---------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Anyone. Signed in: my clubs. Everyone: the busiest public clubs."""
    context = {"directory": selectors.clubs_public_directory()[:6]}
    if request.user.is_authenticated:
        context["my_memberships"] = selectors.memberships_of_user(user=request.user)
    return render(request, "home.html", context)


def club_directory(request: HttpRequest) -> HttpResponse:
    """Anyone: the public clubs, paginated."""
    page = Paginator(selectors.clubs_public_directory(), 24).get_page(request.GET.get("page"))
    return render(request, "clubs/directory.html", {"page": page})


@login_required
def club_create(request: HttpRequest) -> HttpResponse:
    """Anyone signed in; they become the club's first organizer."""
    profile = services.profile_ensure(user=request.user)
    form = ClubForm(
        request.POST or None,
        initial={"time_zone": profile.time_zone, "visibility": "public", "join_policy": "open"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            club = services.club_create(creator=request.user, **form.cleaned_data)
        except services.ClubError as error:
            form.add_error("slug", str(error))
        else:
            messages.success(request, f"{club.name} is ready. Invite people to it next.")
            return redirect("clubs:home", club.slug)
    return render(
        request, "clubs/club_form.html", {"form": form, "time_zones": time_zone_choices()}
    )


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own profile."""
    profile = services.profile_ensure(user=request.user)
    form = ProfileForm(
        request.POST or None,
        initial={
            "display_name": profile.display_name,
            "time_zone": profile.time_zone,
            "hide_reading_from_facilitators": profile.hide_reading_from_facilitators,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile saved. Times now show in your zone.")
        return redirect("profile")
    return render(
        request,
        "clubs/profile.html",
        {
            "form": form,
            "profile": profile,
            "time_zones": time_zone_choices(),
            "sections": profile_sections.sections_for(request),
        },
    )


# --- Club pages ---------------------------------------------------------------------


@club_view(needs=ANYONE)
def club_home(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    club = selectors.club_with_organizers(club=access.club)
    context = {"club": club, "access": access, **home_sections.context_for(request, access)}
    return render(request, "clubs/club_home.html", context)


@club_view(needs=ORGANIZER)
def club_settings(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    club = access.club
    form = ClubSettingsForm(
        request.POST or None,
        initial={
            "name": club.name,
            "description": club.description,
            "visibility": club.visibility,
            "join_policy": club.join_policy,
            "time_zone": club.time_zone,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.club_update(club=club, by=request.user, **form.cleaned_data)
        messages.success(request, "Club settings saved.")
        return redirect("clubs:home", club.slug)
    return render(
        request,
        "clubs/club_form.html",
        {
            "form": form,
            "club": club,
            "access": access,
            "time_zones": time_zone_choices(),
            "sections": settings_sections.sections_for(request, access),
        },
    )


@require_POST
@club_view(needs=SIGNED_IN)
def club_join(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    try:
        membership = services.club_join(club=access.club, user=request.user)
    except services.ClubError as error:
        messages.error(request, str(error))
    else:
        if membership.state == Membership.State.ACTIVE:
            messages.success(request, f"Welcome to {access.club.name}!")
        else:
            messages.info(request, "Request sent. An organizer will approve it soon.")
    return redirect(_club_url(access))


def _ask_leave(request: HttpRequest, access: ClubAccess) -> Ask | None:
    if access.role == PENDING:
        return None  # withdrawing a request to join loses nothing
    return Ask(
        question=f"Leave {access.club.name}?",
        consequence=(
            "You stop seeing its members' pages and getting its invitations and reminders. "
            + (
                "You can ask to join again later."
                if access.club.join_policy != "invite"
                else "Only a new invitation lets you back in."
            )
        ),
        button="Yes, leave the club",
        back=_club_url(access),
    )


@require_POST
@club_view(needs=PENDING)
@confirm_first(_ask_leave)
def club_leave(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    was_pending = access.role == PENDING
    try:
        services.club_leave(club=access.club, user=request.user)
    except services.ClubError as error:
        messages.error(request, str(error))
        return redirect(_club_url(access))
    messages.info(
        request,
        "Request withdrawn." if was_pending else f"You have left {access.club.name}.",
    )
    if access.club.is_public:
        return redirect(_club_url(access))
    return redirect("home")


@club_view(needs=MEMBER)
def club_members(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Members see who is in the club; organizers also manage them here."""
    search = (request.GET.get("q") or "").strip()[:100]
    members = selectors.club_members(club=access.club, search=search, by_email=access.is_organizer)
    context = {
        "club": access.club,
        "access": access,
        # Pages of 50: a club of thousands is still a quick page.
        "page": Paginator(members, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page")),
        "search": search,
    }
    context["member_count"] = (
        selectors.club_members(club=access.club).count()
        if search
        else context["page"].paginator.count
    )
    if access.is_organizer:
        context["pending"] = selectors.club_pending_requests(club=access.club)
        inactive = reconfirm_selectors.inactive_members(club=access.club)
        context["inactive"] = list(inactive[:MEMBERS_PAGE_SIZE])
        context["inactive_count"] = (
            len(context["inactive"])
            if len(context["inactive"]) < MEMBERS_PAGE_SIZE
            else inactive.count()
        )
    return render(request, "clubs/members.html", context)


_MEMBERSHIP_ACTIONS = {
    "approve": (services.membership_approve, "Request approved."),
    "decline": (services.membership_decline, "Request declined."),
    "promote": (
        lambda membership, by: services.membership_set_role(
            membership=membership, role=Membership.Role.ORGANIZER, by=by
        ),
        "They are now an organizer.",
    ),
    "demote": (
        lambda membership, by: services.membership_set_role(
            membership=membership, role=Membership.Role.MEMBER, by=by
        ),
        "They are now a member.",
    ),
    "remove": (services.membership_remove, "Removed from the club."),
}


def _ask_membership(
    request: HttpRequest, access: ClubAccess, membership_id: int, action: str
) -> Ask | None:
    back = _club_url(access, "clubs:members")
    if action == "remove":
        membership = get_object_or_404(Membership, pk=membership_id, club=access.club)
        name = display_name(membership.user)
        return Ask(
            question=f"Remove {name} from {access.club.name}?",
            consequence=(
                f"{name} loses access to the club's sessions and backlog at once, and "
                "only a new invitation lets them back in."
            ),
            button=f"Yes, remove {name}",
            back=back,
        )
    if action == "demote" and access.membership and access.membership.pk == membership_id:
        return Ask(
            question=f"Step down as organizer of {access.club.name}?",
            consequence="You stay a member, but another organizer must promote you to undo it.",
            button="Yes, step down",
            back=back,
        )
    return None


@require_POST
@club_view(needs=ORGANIZER)
@confirm_first(_ask_membership)
def membership_action(
    request: HttpRequest, access: ClubAccess, membership_id: int, action: str
) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=membership_id, club=access.club)
    service, done = _MEMBERSHIP_ACTIONS[action]
    try:
        service(membership=membership, by=request.user)
    except services.ClubError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    if membership.user_id == request.user.pk and action in {"demote", "remove"}:
        return redirect(_club_url(access))
    return redirect(_club_url(access, "clubs:members"))


@club_view(needs=ORGANIZER)
def invitations(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    link_form = InvitationLinkForm(
        request.POST if request.POST.get("kind") == "link" else None, prefix="link"
    )
    email_form = InvitationEmailForm(
        request.POST if request.POST.get("kind") == "email" else None, prefix="email"
    )
    status = 200
    if request.method == "POST":
        if request.POST.get("kind") == "link" and link_form.is_valid():
            services.invitation_link_create(
                club=access.club, by=request.user, days=link_form.cleaned_data["days"]
            )
            messages.success(request, "New invitation link created. Share it with care.")
            return redirect(_club_url(access, "clubs:invitations"))
        if request.POST.get("kind") == "email" and email_form.is_valid():
            emails = email_form.cleaned_data["emails"]
            try:
                ratelimits.rate_limit_take(
                    action="invitations", scope=f"club:{access.club.pk}", amount=len(emails)
                )
            except ratelimits.RateLimited as error:
                # The form comes back as typed, with the limit's message: nothing is lost.
                email_form.add_error("emails", str(error))
                status = 429
            else:
                sent = services.invitation_emails_create(
                    club=access.club,
                    by=request.user,
                    emails=emails,
                    days=email_form.cleaned_data["days"],
                )
                messages.success(request, f"Invitations on their way to {len(sent)} address(es).")
                return redirect(_club_url(access, "clubs:invitations"))
    return render(
        request,
        "clubs/invitations.html",
        {
            "club": access.club,
            "access": access,
            "invitations": selectors.club_invitations(club=access.club),
            "link_form": link_form,
            "email_form": email_form,
        },
        status=status,
    )


def _ask_revoke(request: HttpRequest, access: ClubAccess, invitation_id: int) -> Ask:
    invitation = get_object_or_404(access.club.invitations, pk=invitation_id)
    who = f"the invitation for {invitation.email}" if invitation.email else "this invitation link"
    return Ask(
        question="Revoke this invitation?",
        consequence=f"Revoking {who} makes its link stop working at once: nobody can join with it.",
        button="Yes, revoke it",
        back=_club_url(access, "clubs:invitations"),
    )


@require_POST
@club_view(needs=ORGANIZER)
@confirm_first(_ask_revoke)
def invitation_revoke(request: HttpRequest, access: ClubAccess, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(access.club.invitations, pk=invitation_id)
    services.invitation_revoke(invitation=invitation, by=request.user)
    messages.success(request, "Invitation revoked: the link no longer works.")
    return redirect(_club_url(access, "clubs:invitations"))


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone holding the link may see whose club it is; accepting needs signing in."""
    invitation = selectors.invitation_by_token(token=token)
    if invitation is None:
        return render(request, "clubs/invitation_accept.html", {"invalid": True}, status=404)
    status = invitation.status()
    if request.method == "POST":
        if not request.user.is_authenticated:
            raise PermissionDenied("Sign in to accept an invitation.")
        try:
            services.invitation_accept(token=token, user=request.user)
        except services.ClubError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Welcome to {invitation.club.name}!")
            return redirect("clubs:home", invitation.club.slug)
    return render(
        request,
        "clubs/invitation_accept.html",
        {
            "invitation": invitation,
            "club": invitation.club,
            "status": status,
            "for_someone_else": request.user.is_authenticated
            and not services.invitation_is_for(invitation=invitation, user=request.user),
            "masked_email": services.mask_address(invitation.email) if invitation.email else "",
        },
        status=200 if status == "valid" else 410,
    )

"""The organizers' page for re-confirming quiet members, and the "keep me" link.

The link needs no sign-in: GET shows whose club it is and one button (mail
scanners follow links, so only the POST changes anything, as with the mail's
unsubscribe links); a tampered link is a 400 page, an expired one 410, each
saying what to do instead."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ..permissions import ORGANIZER, ClubAccess, club_view
from ..redirects import safe_url
from . import selectors, services
from .forms import ReconfirmPolicyForm
from .tokens import BadKeepLink

_KEPT_MESSAGES = {
    "kept": "You're staying in {}. Thanks for answering.",
    "already": "You're staying in {}: you had answered already.",
    "returned": "Welcome back to {}: your membership is active again.",
}


@club_view(needs=ORGANIZER)
def policy(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    current = services.policy_for(club=access.club)
    form = ReconfirmPolicyForm(
        request.POST or None,
        initial={
            "enabled": current.enabled,
            "quiet_weeks": current.quiet_weeks,
            "answer_days": current.answer_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)  # an organizer is signed in
        saved = services.reconfirm_policy_save(
            club=access.club, by=request.user, **form.cleaned_data
        )
        messages.success(
            request,
            "Saved: quiet members are asked at the next hourly check."
            if saved.enabled
            else "Saved: nobody is asked whether to stay.",
        )
        return redirect(reverse("clubs:reconfirm", args=[access.club.slug]))
    context = {"club": access.club, "access": access, "form": form}
    context.update(selectors.reconfirm_overview(club=access.club))
    return render(request, "clubs/reconfirm/policy.html", context)


def keep(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone holding the link from the mail; no sign-in."""
    template = "clubs/reconfirm/keep.html"
    try:
        if request.method == "POST":
            result = services.reconfirm_keep(token=token)
            back = safe_url(request, request.POST.get("next") or "")
            if back and result.outcome != "gone":
                # The question on the club's pages: back to the page, which says so.
                messages.success(request, _KEPT_MESSAGES[result.outcome].format(result.club.name))
                return redirect(back)
            return render(request, template, {"club": result.club, "done": result.outcome})
        ask = services.keep_link_check(token=token)
    except BadKeepLink:
        return render(request, template, {"invalid": True}, status=400)
    except services.ExpiredKeepLink as expired:
        return render(request, template, {"expired": True, "club": expired.club}, status=410)
    return render(request, template, {"club": ask.club, "ask": ask, "token": token})

"""The import page: a file or a list, its preview, and "Add these"."""

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clubs import ratelimits
from clubs.permissions import MEMBER, ClubAccess, club_view

from .parsing import MAX_BYTES, ImportRefused, parse_id_list, parse_library
from .services import import_commit, import_preview, plan_load, plan_sign


class ImportForm(forms.Form):
    library = forms.FileField(
        required=False,
        label="A library file",
        help_text="BibTeX (.bib), or a Zotero export as RIS (.ris) or CSL JSON (.json); "
        f"at most {MAX_BYTES // 1024 // 1024} MB.",
    )
    ids = forms.CharField(
        required=False,
        label="Or a list of arXiv ids and DOIs",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
    )


def _entries(form: ImportForm) -> list:
    upload = form.cleaned_data.get("library")
    if upload is not None:
        if upload.size > MAX_BYTES:
            raise ImportRefused(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; an import is at most "
                f"{MAX_BYTES // 1024 // 1024} MB. Split the library and import it in parts."
            )
        return parse_library(name=upload.name or "", data=upload.read())
    if form.cleaned_data.get("ids", "").strip():
        return parse_id_list(form.cleaned_data["ids"])
    raise ImportRefused("Choose a file, or paste arXiv ids or DOIs.")


@club_view(needs=MEMBER)
def batch(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    context: dict = {"club": access.club, "access": access}
    user = request.user
    assert isinstance(user, User)  # club_view(needs=MEMBER) signed them in
    if request.method == "POST" and request.POST.get("plan"):
        try:
            entries = plan_load(club=access.club, user=user, signed=request.POST["plan"])
            adding = [
                r
                for r in import_preview(club=access.club, entries=entries)
                if r.action in ("fetch", "add")
            ]
            ratelimits.rate_limit_take(
                action="proposals", scope=f"user:{user.pk}", amount=len(adding)
            )
            rows = import_commit(club=access.club, user=user, entries=entries)
        except ratelimits.RateLimited as error:
            messages.error(request, str(error))
            return redirect("imports:batch", access.club.slug)
        except ImportRefused as error:
            messages.error(request, str(error))
            return redirect("imports:batch", access.club.slug)
        added = sum(r.action in ("fetch", "add") for r in rows)
        skipped = sum(r.action in ("duplicate", "skip") for r in rows)
        messages.success(
            request,
            f"Added {added} paper{'s' if added != 1 else ''} to the backlog"
            + (f"; {skipped} skipped (named in the preview)." if skipped else "."),
        )
        return redirect("papers:backlog", access.club.slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        try:
            entries = _entries(form)
        except ImportRefused as error:
            form.add_error(None, str(error))
        else:
            rows = import_preview(club=access.club, entries=entries)
            context.update(
                rows=rows,
                adding=sum(r.action in ("fetch", "add") for r in rows),
                plan=plan_sign(club=access.club, user=user, entries=entries),
            )
            return render(request, "papers/import_preview.html", context)
    return render(request, "papers/import.html", context, status=400 if form.errors else 200)

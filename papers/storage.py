"""Uploaded PDFs out of the storage they live in: the adapter to the filesystem
or to an S3-compatible bucket (django-storages).

Nothing serves MEDIA_URL: every uploaded PDF goes through the papers:pdf view,
which checks the club's permissions first and then calls `pdf_response`.
"""

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.text import slugify


def pdf_filename(title: str) -> str:
    """A download name from the paper's title: letters, digits and hyphens."""
    return (slugify(title)[:80].strip("-") or "paper") + ".pdf"


def _signs_urls(storage) -> bool:
    # django-storages' S3 backend (querystring_auth=True in settings/base.py)
    # hands out URLs signed for a limited time; the filesystem has nothing like it.
    return getattr(storage, "querystring_auth", False) is True


def pdf_response(field_file: FieldFile, *, filename: str) -> HttpResponseBase:
    """The file streamed from the filesystem, or a redirect to a short-lived
    signed URL of the bucket. Either way only the viewer's browser keeps it."""
    storage = field_file.storage
    if _signs_urls(storage):
        url = storage.url(  # type: ignore[call-arg]  # S3Storage.url takes these
            field_file.name,
            parameters={
                "ResponseContentType": "application/pdf",
                "ResponseContentDisposition": f'inline; filename="{filename}"',
            },
            expire=settings.PAPER_PDF_URL_SECONDS,
        )
        response: HttpResponseBase = HttpResponseRedirect(url)
        # The signed URL must not outlive its expiry in anyone's cache.
        patch_cache_control(response, private=True, no_store=True)
        return response
    try:
        if not field_file.name:
            raise Http404("The uploaded file is missing.")
        handle = storage.open(field_file.name, "rb")
    except FileNotFoundError as error:
        raise Http404("The uploaded file is missing.") from error
    response = FileResponse(handle, content_type="application/pdf", filename=filename)
    patch_cache_control(response, private=True, max_age=3600)
    return response

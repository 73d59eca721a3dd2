"""A form goes back to the page it came from, and never off the site."""

import pytest
from django.test import RequestFactory

from clubs.redirects import redirect_back

DEFAULT = "/c/llm/backlog/"


@pytest.mark.parametrize(
    ("next_url", "secure", "expected"),
    [
        ("/c/llm/rota/?week=3", False, "/c/llm/rota/?week=3"),
        ("", False, DEFAULT),
        ("https://evil.example/", False, DEFAULT),
        ("//evil.example/", False, DEFAULT),
        ("http://testserver/c/llm/rota/", False, "http://testserver/c/llm/rota/"),
        # On an https site, never back to plain http.
        ("http://testserver/c/llm/rota/", True, DEFAULT),
        ("https://testserver/c/llm/rota/", True, "https://testserver/c/llm/rota/"),
    ],
)
def test_redirect_back_follows_next_only_on_this_site(next_url, secure, expected):
    request = RequestFactory().post("/vote/", {"next": next_url}, secure=secure)

    response = redirect_back(request, DEFAULT)

    assert (response.status_code, response["Location"]) == (302, expected)

import pytest
from rest_framework.test import APIClient

from api.tokens import token_create


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def make_token():
    """A personal token's secret for `user` in `club` (scope "read" or "write")."""

    def make(user, club, scope="write", name="bot"):
        _, secret = token_create(user=user, club=club, name=name, scope=scope)
        return secret

    return make


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

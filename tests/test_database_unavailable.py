"""A database failure outside a resolver — signing the viewer in, an upload — is answered as
JSON that says to retry (503, Retry-After), never Starlette's plain-text 500. Found by the
connection-drop battery in tests/test_faults.py (pg_terminate_backend during sign-in)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from tortoise.exceptions import OperationalError

from backend.auth import bearer
from tests.cases_helpers import PNG
from tests.helpers import gql


@pytest.fixture
def database_drops_on_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    async def dropped(**_: object) -> None:
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(bearer, "sync_user", dropped)


@pytest.mark.usefixtures("database_drops_on_sign_in")
async def test_a_lost_database_connection_is_a_retryable_json_answer(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    headers = {"authorization": f"Bearer {token('citizen')}"}
    for response in (
        await gql(client, "{ me { name } }", headers=headers),
        await client.post("/uploads", params={"filename": "a.png"}, content=PNG,
                          headers={**headers, "content-type": "application/octet-stream"}),
    ):
        assert (response.status_code, response.headers["retry-after"]) == (503, "1")
        assert response.json() == {"errors": [{"message": "服务暂时不可用，请稍后重试",
                                               "extensions": {"code": "SERVICE_UNAVAILABLE"}}]}
        assert "administrator" not in response.text

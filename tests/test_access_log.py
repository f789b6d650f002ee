"""One access line per request says who asked (address, user) and how much was answered."""

from __future__ import annotations

from typing import Any

from tests.task_factories import signed_in_user


def access_lines(logs) -> list[dict[str, Any]]:
    return [record for record in logs.records if record["logger"] == "taskql.access"]


async def test_access_line_has_client_user_and_response_size(client, logs, settings):
    """A signed-in request's access line carries the client address, user id and body size."""
    user, token = await signed_in_user(settings)
    logs.clear()
    response = await client.post(
        "/graphql",
        json={"query": "{ me { email } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = await response.read()
    [line] = access_lines(logs)
    assert line["client"] == "127.0.0.1"
    assert line["user_id"] == str(user.id)
    assert line["response_bytes"] == len(body)
    assert line["status"] == 200


async def test_anonymous_and_refused_requests_log_no_user(client, logs):
    """Without a token there is no user id; an HTTP error's access line still has its size."""
    logs.clear()
    health = await client.get("/healthz")
    missing = await client.get("/no-such-page")
    lines = access_lines(logs)
    assert [line["status"] for line in lines] == [health.status, 404]
    assert all(line["user_id"] is None for line in lines)
    assert lines[1]["response_bytes"] == len(await missing.read())
    assert lines[0]["response_bytes"] == len(await health.read())

"""A request aiohttp cannot parse is the client's fault: a 400 and one log line, no traceback."""

from __future__ import annotations

import asyncio

import pytest

TOKEN = "a-bearer-token-in-a-broken-header"
MALFORMED = {
    "header-without-colon": b"GET /healthz HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n",
    "control-character": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Bad: a\x01b\r\n\r\n",
    "space-before-colon": b"GET /healthz HTTP/1.1\r\nHost: t\r\nAuthorization : Bearer "
    + TOKEN.encode()
    + b"\r\n\r\n",
}


async def send_raw(client, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


@pytest.mark.parametrize("request_bytes", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_header_gets_400_and_one_warning_line(client, logs, request_bytes):
    """The client gets a 400; the log gets one WARNING naming the client and the problem,
    without a traceback and without quoting the raw header (it may carry a credential)."""
    logs.clear()
    response = await send_raw(client, request_bytes)
    assert response.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request"), response
    parse_errors = [r for r in logs.records if r.get("logger") == "aiohttp.server"]
    assert len(parse_errors) == 1, logs.text
    assert parse_errors[0]["level"] == "warning"
    assert "malformed request from 127.0.0.1" in parse_errors[0]["event"]
    assert "exception" not in parse_errors[0]
    assert "Traceback" not in logs.text
    assert TOKEN not in logs.text
    assert not [r for r in logs.records if r["level"] in ("error", "critical")]

"""The endpoint answers a real query through the whole stack."""


async def test_server_info(graphql):
    """serverInfo reports the version and the environment the settings chose."""
    body = await graphql("{ serverInfo { version environment } }")
    assert body["data"]["serverInfo"]["environment"] == "test"

"""Who may read which user, profile edits, and the admin operations taking effect at once."""

from __future__ import annotations

import uuid

import pytest
import strawberry

from models.users import Role
from schema import Mutation, Query
from schema.users.types import User
from taskql.global_ids import encode_user
from tests.factories import DEFAULT_PASSWORD, access_token_for, create_user

ME = "{ me { id email displayName role isActive } }"
USER = "query($id: ID!) { user(id: $id) { id email role } }"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken user { role } } }"""
REFRESH = "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }"
ADMIN_OPERATIONS = {
    "setUserRole": "mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id role } }",
    "deactivateUser": "mutation($id: ID!) { deactivateUser(id: $id) { id isActive } }",
    "reactivateUser": "mutation($id: ID!) { reactivateUser(id: $id) { id isActive } }",
}


def code(body):
    return body["errors"][0]["extensions"]["code"]


async def test_me_requires_a_token(graphql):
    """Anonymous callers get UNAUTHENTICATED from me."""
    assert code(await graphql(ME)) == "UNAUTHENTICATED"


async def test_me_shows_the_viewer(graphql, settings):
    """me returns the signed-in user, email included."""
    user = await create_user(display_name="Grace")
    body = await graphql(ME, token=access_token_for(user, settings))
    assert body["data"]["me"] == {
        "id": encode_user(str(user.id)),
        "email": user.email,
        "displayName": "Grace",
        "role": "USER",
        "isActive": True,
    }


async def test_user_sees_themself_but_not_others(graphql, settings):
    """user(id) answers for yourself and says NOT_FOUND for anyone else."""
    user, other = await create_user(), await create_user()
    token = access_token_for(user, settings)
    assert (await graphql(USER, {"id": str(user.id)}, token=token))["data"]["user"]["email"] == (
        user.email
    )
    hidden = await graphql(USER, {"id": str(other.id)}, token=token)
    missing = await graphql(USER, {"id": str(uuid.uuid4())}, token=token)
    assert code(hidden) == code(missing) == "NOT_FOUND"
    assert hidden["errors"][0]["message"] == missing["errors"][0]["message"]


async def test_admin_sees_anyone_with_email(graphql, settings):
    """An admin reads any user, email included."""
    admin, other = await create_user(role=Role.ADMIN), await create_user()
    body = await graphql(USER, {"id": str(other.id)}, token=access_token_for(admin, settings))
    assert body["data"]["user"] == {
        "id": encode_user(str(other.id)),
        "email": other.email,
        "role": "USER",
    }


async def test_email_is_null_for_other_non_admins(make_client, settings):
    """Where a user sees someone else's User, the email field is null (not an error)."""

    @strawberry.type
    class ExposingQuery(Query):
        @strawberry.field
        async def any_user(self, info: strawberry.Info, id: strawberry.ID) -> User:  # noqa: A002
            from models import users as user_models  # noqa: PLC0415

            row = await user_models.get_by_id(user_id=uuid.UUID(id))
            assert row is not None
            return User.from_row(row, info.context.viewer)

    def schema_factory(extensions=(), execution_context_class=None):
        return strawberry.Schema(
            query=ExposingQuery,
            mutation=Mutation,
            extensions=extensions,
            execution_context_class=execution_context_class,
        )

    client = await make_client(settings, schema_factory=schema_factory)
    viewer, other = await create_user(), await create_user()
    response = await client.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { anyUser(id: $id) { id email displayName } }",
            "variables": {"id": str(other.id)},
        },
        headers={"Authorization": f"Bearer {access_token_for(viewer, settings)}"},
    )
    body = await response.json()
    assert "errors" not in body
    assert body["data"]["anyUser"]["email"] is None
    assert body["data"]["anyUser"]["displayName"] == other.display_name


async def test_update_me_changes_the_display_name(graphql, settings):
    """updateMe trims and stores the name; an empty one is a VALIDATION_ERROR on displayName."""
    user = await create_user()
    token = access_token_for(user, settings)
    mutation = "mutation($n: String!) { updateMe(displayName: $n) { displayName } }"
    assert (await graphql(mutation, {"n": "  Lin  "}, token=token))["data"]["updateMe"] == {
        "displayName": "Lin"
    }
    refused = await graphql(mutation, {"n": " "}, token=token)
    assert refused["errors"][0]["extensions"] == {
        "code": "VALIDATION_ERROR",
        "field": "displayName",
    }


@pytest.mark.parametrize("operation", sorted(ADMIN_OPERATIONS))
async def test_admin_operations_refused_to_users_and_anonymous(graphql, settings, operation):
    """Every admin operation is FORBIDDEN for a user and UNAUTHENTICATED for anonymous."""
    user, target = await create_user(), await create_user()
    variables = {"id": str(target.id)}
    as_user = await graphql(
        ADMIN_OPERATIONS[operation], variables, token=access_token_for(user, settings)
    )
    assert code(as_user) == "FORBIDDEN"
    assert code(await graphql(ADMIN_OPERATIONS[operation], variables)) == "UNAUTHENTICATED"
    unchanged = await graphql(
        ME, token=access_token_for(target, settings)
    )  # the target's token still works: nothing happened
    assert unchanged["data"]["me"]["role"] == "USER"


async def test_deactivation_takes_effect_on_the_next_request(graphql, settings):
    """Deactivating kills the user's tokens at once; reactivating lets them sign in again."""
    admin = await create_user(role=Role.ADMIN)
    user = await create_user()
    session = (await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}))["data"][
        "login"
    ]
    admin_token = access_token_for(admin, settings)
    assert "errors" not in await graphql(ME, token=session["accessToken"])

    done = await graphql(
        ADMIN_OPERATIONS["deactivateUser"], {"id": str(user.id)}, token=admin_token
    )
    assert done["data"]["deactivateUser"]["isActive"] is False
    assert code(await graphql(ME, token=session["accessToken"])) == "UNAUTHENTICATED"
    assert code(await graphql(REFRESH, {"t": session["refreshToken"]})) == "UNAUTHENTICATED"
    login = await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert code(login) == "ACCOUNT_DISABLED"

    await graphql(ADMIN_OPERATIONS["reactivateUser"], {"id": str(user.id)}, token=admin_token)
    again = await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert "errors" not in again


async def test_role_change_takes_effect_on_the_next_request(graphql, settings):
    """A promoted user's old token dies; the next login carries the new role and its rights."""
    admin, user, target = (
        await create_user(role=Role.ADMIN),
        await create_user(),
        await create_user(),
    )
    old_token = access_token_for(user, settings)
    promoted = await graphql(
        ADMIN_OPERATIONS["setUserRole"],
        {"id": str(user.id)},
        token=access_token_for(admin, settings),
    )
    assert promoted["data"]["setUserRole"]["role"] == "ADMIN"
    assert code(await graphql(ME, token=old_token)) == "UNAUTHENTICATED"

    login = await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    new_token = login["data"]["login"]["accessToken"]
    assert login["data"]["login"]["user"]["role"] == "ADMIN"
    seen = await graphql(USER, {"id": str(target.id)}, token=new_token)
    assert seen["data"]["user"]["email"] == target.email


async def test_admin_cannot_demote_or_deactivate_themself(graphql, settings):
    """An admin changing their own role or status is refused, so an install keeps its admin."""
    admin = await create_user(role=Role.ADMIN)
    token = access_token_for(admin, settings)
    for operation in ("setUserRole", "deactivateUser"):
        body = await graphql(ADMIN_OPERATIONS[operation], {"id": str(admin.id)}, token=token)
        assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "id"}
    assert "errors" not in await graphql(ME, token=token)


async def test_admin_operation_on_unknown_user_is_not_found(graphql, settings):
    """An admin operation on an id nobody has is NOT_FOUND; a malformed id names the field."""
    token = access_token_for(await create_user(role=Role.ADMIN), settings)
    unknown = await graphql(
        ADMIN_OPERATIONS["deactivateUser"], {"id": str(uuid.uuid4())}, token=token
    )
    assert code(unknown) == "NOT_FOUND"
    malformed = await graphql(ADMIN_OPERATIONS["deactivateUser"], {"id": "nope"}, token=token)
    assert malformed["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "id"}

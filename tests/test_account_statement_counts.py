"""The session and account-recovery operations of operations/ cost a fixed number of SQL
statements (tortoise.db_client's log), on SQLite and PostgreSQL, whatever the row counts.
An authenticated request also costs the viewer's 1 statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from models import account_tokens as token_models
from models import credentials as credential_models
from models.account_tokens import TokenPurpose
from models.ids import new_id
from models.users import Role
from taskql.auth.link_tokens import hash_link_token, new_link_token
from tests.factories import access_token_for, create_user
from tests.mail_sink import settle

OPERATIONS = Path(__file__).resolve().parent.parent / "operations"
VIEWER = 1


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def counted(graphql, sql_statements, name, variables=None, token=None) -> list[str]:
    sql_statements.reset()
    body = await graphql(operation(name), variables, token=token)
    assert "errors" not in body, body
    return list(sql_statements.statements)


async def add_sessions(user, count: int) -> None:
    for _ in range(count):
        await credential_models.create_session(
            session_id=new_id(),
            user_id=user.id,
            token_epoch=user.token_epoch,
            expires_at=datetime.now(UTC) + timedelta(days=1),
            user_agent="bulk",
            client_address=None,
        )


async def test_session_operations_cost_a_fixed_number_of_statements(
    graphql, settings, sql_statements
):
    """MySessions: viewer + 1 at 3 or 30 sessions. RevokeSession: viewer + UPDATE + audit.
    LogoutEverywhere: viewer + UPDATE + audit, at any count. RevokeUserSessions: viewer +
    user check + UPDATE + audit."""
    user = await create_user()
    token = access_token_for(user, settings)
    await add_sessions(user, 2)
    few = await counted(graphql, sql_statements, "my_sessions", token=token)
    await add_sessions(user, 27)
    many = await counted(graphql, sql_statements, "my_sessions", token=token)
    other = await credential_models.Session.filter(user_id=user.id, user_agent="bulk").first()
    assert other is not None
    revoke = await counted(
        graphql, sql_statements, "revoke_session", {"id": str(other.id)}, token=token
    )
    admin = await create_user(role=Role.ADMIN)
    victim = await create_user()
    await add_sessions(victim, 10)
    by_admin = await counted(
        graphql,
        sql_statements,
        "revoke_user_sessions",
        {"userId": str(victim.id)},
        token=access_token_for(admin, settings),
    )
    everywhere = await counted(graphql, sql_statements, "logout_everywhere", token=token)

    assert len(few) == len(many) == VIEWER + 1, many
    assert len(revoke) == VIEWER + 2, revoke
    assert len(by_admin) == VIEWER + 3, by_admin
    assert len(everywhere) == VIEWER + 2, everywhere


async def test_recovery_operations_cost_a_fixed_number_of_statements(
    client, graphql, settings, sql_statements
):
    """RequestPasswordReset: 2 on the request path (the limit's INSERT and count), then the
    mail job's lookup (+1 token INSERT when the account exists). ResetPassword: 10 (token
    read, user read, spend, spend the rest, locked user read, UPDATE, audit, sessions,
    verified flag and its audit). VerifyEmail: 3. RequestEmailVerification: viewer + user +
    limit (2) + the job's token INSERT."""
    user = await create_user()

    unknown = await counted(
        graphql, sql_statements, "request_password_reset", {"email": "nobody@example.test"}
    )
    await settle(client)
    unknown = list(sql_statements.statements)
    await counted(graphql, sql_statements, "request_password_reset", {"email": user.email})
    await settle(client)
    known = list(sql_statements.statements)

    token = new_link_token()
    await token_models.add(
        user_id=user.id,
        purpose=TokenPurpose.PASSWORD_RESET,
        token_hash=hash_link_token(token),
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )
    reset = await counted(
        graphql,
        sql_statements,
        "reset_password",
        {"token": token, "newPassword": "a brand new passphrase"},
    )
    fresh = await create_user()
    await counted(
        graphql,
        sql_statements,
        "request_email_verification",
        token=access_token_for(fresh, settings),
    )
    await settle(client)
    request_verification = list(sql_statements.statements)
    verification = new_link_token()
    await token_models.add(
        user_id=fresh.id,
        purpose=TokenPurpose.EMAIL_VERIFICATION,
        token_hash=hash_link_token(verification),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    verify = await counted(graphql, sql_statements, "verify_email", {"token": verification})

    assert len(unknown) == 3, unknown
    assert len(known) == 4, known
    assert len(reset) == 10, reset
    assert len(request_verification) == VIEWER + 4, request_verification
    assert len(verify) == 3, verify

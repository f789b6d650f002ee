"""Sign-up, sign-in and session mutations, and the token pair they return."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)
from graphql.language.visitor import SKIP, VisitorAction
from strawberry.extensions import AddValidationRules, SchemaExtension

from resolvers.auth import mutations as auth_resolvers
from resolvers.context import Info
from schema.permissions import IsAuthenticated, requires
from schema.users import User
from taskql.auth.viewer import ANONYMOUS
from taskql.limits import PASSWORD_MAX, PASSWORD_MIN, USER_DISPLAY_NAME_MAX, USER_EMAIL_MAX
from taskql.string_inputs import text_rule

if TYPE_CHECKING:
    from collections.abc import Iterator

    from resolvers.auth.sessions import TokenPair

ONE_HASHING_FIELD_MESSAGE = (
    "An operation may contain only one field that checks or sets a password "
    "(register, login, changePassword); send the others in separate requests."
)


class OnePasswordFieldPerOperation(ValidationRule):
    """At most one password-hashing mutation field per operation, refused before anything runs.

    Each such field costs an argon2 hash, so aliases (`a: register … b: register …`) would
    multiply the cost of one small request. A field hashes a password when it takes an
    argument, or an input field, named like "password": future ones are covered too.
    """

    def enter_operation_definition(
        self, node: OperationDefinitionNode, *_args: Any
    ) -> VisitorAction:
        mutation_type = self.context.schema.mutation_type
        if node.operation is OperationType.MUTATION and mutation_type is not None:
            hashing = password_fields(mutation_type)
            # Fields of one response key are merged into one execution: count keys.
            keys = {key for key, name in self._root_fields(node.selection_set) if name in hashing}
            if len(keys) > 1:
                self.report_error(
                    GraphQLError(
                        ONE_HASHING_FIELD_MESSAGE, node, extensions={"code": "QUERY_TOO_COMPLEX"}
                    )
                )
        return SKIP

    def _root_fields(self, selection_set: SelectionSetNode) -> Iterator[tuple[str, str]]:
        """(response key, field name) of the root fields, each fragment visited once."""
        seen_fragments: set[str] = set()
        pending = [selection_set]
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode):
                    key = selection.alias or selection.name
                    yield key.value, selection.name.value
                elif isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if name not in seen_fragments and fragment is not None:
                        seen_fragments.add(name)
                        pending.append(fragment.selection_set)


def password_fields(mutation_type: GraphQLObjectType) -> frozenset[str]:
    """Names of the mutation fields taking a password, directly or in an input object."""

    def is_password(name: str) -> bool:
        return "password" in name.lower()

    def takes_password(argument_name: str, argument_type: Any) -> bool:
        named = get_named_type(argument_type)
        if isinstance(named, GraphQLInputObjectType):
            return any(is_password(name) for name in named.fields)
        return is_password(argument_name)

    return frozenset(
        name
        for name, field in mutation_type.fields.items()
        if any(takes_password(arg_name, arg.type) for arg_name, arg in field.args.items())
    )


def password_field_limit() -> SchemaExtension:
    """The schema extension that adds OnePasswordFieldPerOperation to validation."""
    return AddValidationRules([OnePasswordFieldPerOperation])


@strawberry.type(description="A fresh token pair and the user it belongs to.")
class AuthPayload:
    access_token: str = strawberry.field(
        description="Short-lived JWT: send it as `Authorization: Bearer <token>`."
    )
    refresh_token: str = strawberry.field(
        description="Single-use opaque token for refreshTokens; keep it secret."
    )
    token_type: str = strawberry.field(description='Always "Bearer".')
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    user: User

    @classmethod
    def from_pair(cls, pair: TokenPair) -> AuthPayload:
        return cls(
            access_token=pair.access.token,
            refresh_token=pair.refresh_token,
            token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
            expires_in=pair.access.expires_in,
            user=User.from_row(pair.user, ANONYMOUS, reveal_email=True),
        )


@strawberry.input(description="What a new account needs.")
class RegisterInput:
    email: str = strawberry.field(description="Sign-in email; letter case is ignored.")
    password: str = strawberry.field(
        description=f"{PASSWORD_MIN} to {PASSWORD_MAX} characters, not the email address."
    )
    display_name: str = strawberry.field(description=f"1 to {USER_DISPLAY_NAME_MAX} characters.")


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description=(
            "Create an account and sign in. CONFLICT if the email is taken; RATE_LIMITED "
            "after too many accounts from one client address. One password field per request."
        )
    )
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:  # noqa: A002
        pair = await auth_resolvers.register(
            info, email=input.email, password=input.password, display_name=input.display_name
        )
        return AuthPayload.from_pair(pair)

    @strawberry.mutation(
        description=(
            "Sign in. A wrong email or password gives UNAUTHENTICATED; repeated failures give "
            "RATE_LIMITED with extensions.retryAfterSeconds; the right password of a disabled "
            "account gives ACCOUNT_DISABLED. When the server is too busy checking passwords, "
            "SERVICE_UNAVAILABLE with extensions.retryAfterSeconds."
        )
    )
    async def login(
        self,
        info: Info,
        # An address longer than any we store is refused before the rate limiter records it.
        email: Annotated[str, strawberry.argument(metadata=text_rule(max_length=USER_EMAIL_MAX))],
        password: str,
    ) -> AuthPayload:
        return AuthPayload.from_pair(
            await auth_resolvers.login(info, email=email, password=password)
        )

    @strawberry.mutation(
        description=(
            "Trade a refresh token for a new pair. Each refresh token works once; "
            "presenting a used one ends the whole session."
        )
    )
    async def refresh_tokens(self, info: Info, refresh_token: str) -> AuthPayload:
        return AuthPayload.from_pair(
            await auth_resolvers.refresh_tokens(info, refresh_token=refresh_token)
        )

    @strawberry.mutation(
        description="End this session: the access token and its refresh tokens stop working.",
        extensions=requires(IsAuthenticated()),
    )
    async def logout(self, info: Info) -> bool:
        return await auth_resolvers.logout(info)

    @strawberry.mutation(
        description=(
            "Change your password: every token you hold dies; a new pair is returned. "
            "Wrong current passwords count like failed sign-ins (RATE_LIMITED)."
        ),
        extensions=requires(IsAuthenticated()),
    )
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> AuthPayload:
        pair = await auth_resolvers.change_password(
            info, current_password=current_password, new_password=new_password
        )
        return AuthPayload.from_pair(pair)

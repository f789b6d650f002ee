"""The operation's name: recorded for the access log and metrics, and required when a
document holds several operations."""

from __future__ import annotations

from collections.abc import Iterator

from aiohttp import web
from cross_web import HTTPException
from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from resolvers.context import Context
from server.app_keys import OPERATION_NAME
from server.graphql_documents import DOCUMENTS
from taskql.metrics import note_operation


class RecordOperationName(SchemaExtension):
    """Lets the access log name the operation once the document is parsed."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        name = self.execution_context.operation_name
        if name and isinstance(context, Context):
            context.request[OPERATION_NAME] = name
        execution = self.execution_context
        note_operation(execution.graphql_document, execution.operation_name, execution.query)
        yield


def require_operation_name_for_several(request: web.Request, query: str) -> None:
    """operationName must be given when the document holds several operations (strawberry
    would quietly run the first). The parse is the app's cached one; a document that does
    not parse is left for strawberry's own parse to report as usual."""
    try:
        document = request.app[DOCUMENTS].parse(query)
    except Exception:  # noqa: BLE001 - reported by the parse that follows
        return
    operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
    if operations > 1:
        raise HTTPException(
            400, "Must provide operationName if the document contains multiple operations."
        )

from __future__ import annotations

import strawberry

from resolvers.context import Info
from taskql import __version__


@strawberry.type(description="What is serving this request.")
class ServerInfo:
    version: str = strawberry.field(description="TaskQL release.")
    environment: str = strawberry.field(description="development, test or production.")


@strawberry.type
class ServerInfoQuery:
    @strawberry.field(description="The server's version and environment.")
    def server_info(self, info: Info) -> ServerInfo:
        return ServerInfo(version=__version__, environment=info.context.settings.environment)

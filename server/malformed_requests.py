"""A request aiohttp cannot parse is the client's fault: one WARNING line, not an ERROR traceback.

Wiring, not core: it reads aiohttp's exception type. The app factory installs it, so every
process that serves the app (the CLI's workers, the tests' in-process servers) gets it.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError


class MalformedRequestFilter(logging.Filter):
    """aiohttp logs a request it cannot parse (bad header, bad request line) at ERROR with a
    traceback before any middleware runs, and answers 400 itself. It is the client's fault:
    one WARNING line naming the client and the problem is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            client = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            # The message's first clause only: the rest quotes the raw line, credentials too.
            problem = error.message.split(":", 1)[0].strip()[:100]
            record.msg = "malformed request from %s: %s (%s)"
            record.args = (client, problem, type(error).__name__)
            record.exc_info, record.exc_text = None, None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def filter_malformed_requests() -> None:
    """Install the filter on aiohttp's server logger, once however many apps are built."""
    server_logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequestFilter) for f in server_logger.filters):
        server_logger.addFilter(MalformedRequestFilter())

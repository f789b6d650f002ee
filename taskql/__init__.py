"""TaskQL: the service chassis (settings, logging, errors, database, HTTP, CLI)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("taskql")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

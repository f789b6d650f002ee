"""Typed readers of one raw setting each, and the ConfigError they raise.

Each reader takes the lower-cased section table and the dotted setting name, and either returns
the typed value or raises a ConfigError naming the setting, never echoing its value.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

HOSTNAME_PATTERN = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9-]{1,63})*$"
)


class ConfigError(Exception):
    """A setting is missing or invalid; `setting` names it, the message never holds its value."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"invalid setting {setting}: {problem}")
        self.setting = setting


def _database_url(database: dict[str, Any]) -> str:
    url = _str(database, "database.url")
    scheme = url.split("://", 1)[0]
    if "://" not in url or scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
        raise ConfigError("database.url", "must start with sqlite://, postgres:// or postgresql://")
    return url


def _is_bind_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(HOSTNAME_PATTERN.match(host))
    return True


def _str(values: dict[str, Any], name: str) -> str:
    value = values.get(name.rsplit(".", 1)[1])
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(name, "must be a non-empty string")
    return value.strip()


def _int(
    values: dict[str, Any], name: str, *, low: int | None = None, high: int | None = None
) -> int:
    value = values.get(name.rsplit(".", 1)[1])
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(name, "must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(name, f"must be between {low} and {high}")
    return value


def _float(values: dict[str, Any], name: str) -> float:
    value = values.get(name.rsplit(".", 1)[1])
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(name, "must be a number") from None


def _bool(values: dict[str, Any], name: str) -> bool:
    value = values.get(name.rsplit(".", 1)[1])
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if not isinstance(value, bool):
        raise ConfigError(name, "must be true or false")
    return value


def _list(values: dict[str, Any], name: str) -> list[str]:
    value = values.get(name.rsplit(".", 1)[1]) or []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise ConfigError(name, "must be a list")
    return [str(v) for v in value]


# A GraphQL name (the spec's Name) of bounded length: each becomes a metric label value.
OPERATION_NAME_PATTERN = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")


def _operation_names(values: dict[str, Any], name: str) -> tuple[str, ...]:
    names = _list(values, name)
    if not all(OPERATION_NAME_PATTERN.match(operation) for operation in names):
        raise ConfigError(name, "must list GraphQL operation names (at most 100 characters)")
    return tuple(names)


def _networks(values: dict[str, Any], name: str) -> tuple[str, ...]:
    networks = _list(values, name)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(name, "must list IP addresses or networks") from None
    return tuple(networks)

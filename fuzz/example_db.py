"""Hypothesis' example database for one run: a local directory, optionally shared through Redis.

``--example-db DIR`` (default ``.hypothesis/examples``) keeps counterexamples on this
machine. ``--example-db redis://host:6379/0`` (or ``rediss://``, ``unix://``) shares them
through Redis with Hypothesis' own :class:`hypothesis.extra.redis.RedisExampleDatabase`,
multiplexed with the local directory, so every machine of a sharded nightly run replays
every counterexample any machine saved. ``--example-db-readonly`` wraps the shared part in
:class:`hypothesis.database.ReadOnlyDatabase`: a pull-request run replays the nightly corpus
and keeps what it finds locally, without writing to the shared store.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
KEY_PREFIX = b"aksara-fuzz:"
DEFAULT_LOCAL = ".hypothesis/examples"


class ExampleDbError(ValueError):
    """The example database cannot be used; the message is one line for the user."""


def is_redis_url(spec: str) -> bool:
    return str(spec).startswith(REDIS_SCHEMES)


def redis_database(url: str, key_prefix: bytes = KEY_PREFIX) -> ExampleDatabase:
    """Hypothesis' Redis example database on ``url`` (checked with a PING)."""
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise ExampleDbError("--example-db redis://… needs the redis package: pip install 'aksara-fuzz[redis]'") from None
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ExampleDbError(f"cannot reach the Redis example database {redact(url)}: {exc}") from None
    return RedisExampleDatabase(client, key_prefix=key_prefix)


def redact(url: str) -> str:
    """The URL without its password."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user + ':***' if user else '***'}@{tail}"


def example_database(spec: str, readonly: bool = False, local: str | Path = DEFAULT_LOCAL) -> ExampleDatabase:
    """The example database ``--example-db`` and ``--example-db-readonly`` describe."""
    if not is_redis_url(spec):
        database: ExampleDatabase = DirectoryBasedExampleDatabase(str(spec))
        return ReadOnlyDatabase(database) if readonly else database
    shared = redis_database(spec)
    if readonly:
        shared = ReadOnlyDatabase(shared)
    return MultiplexedDatabase(DirectoryBasedExampleDatabase(str(local)), shared)

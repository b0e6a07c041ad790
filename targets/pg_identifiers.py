"""PostgreSQL's identifier rules, as facts every layer may use.

Names are cut to :data:`PG_IDENTIFIER_LIMIT` bytes (never inside a character); some words are
reserved. :data:`CANARY_TABLE` is the table the migration properties plant to see whether a
hostile identifier managed to run its own statement.
"""

from __future__ import annotations

PG_IDENTIFIER_LIMIT = 63
CANARY_TABLE = "aksara_fuzz_canary"

RESERVED_WORDS = (
    "select", "table", "user", "order", "group", "from", "where", "default", "check", "column",
    "constraint", "primary", "references", "all", "and", "limit", "offset", "end", "case", "desc",
    "null", "true", "analyse", "union", "grant", "current_user", "session_user", "index", "key",
)


def pg_truncate(name: str, limit: int = PG_IDENTIFIER_LIMIT) -> str:
    """The name PostgreSQL stores for ``name``: cut to ``limit`` bytes without splitting a character."""
    out: list[str] = []
    used = 0
    for ch in name:
        width = len(ch.encode("utf-8"))
        if used + width > limit:
            break
        out.append(ch)
        used += width
    return "".join(out)


def byte_length(name: str) -> int:
    return len(name.encode("utf-8"))

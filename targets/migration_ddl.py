"""Capture the DDL Aksara's migration operations emit, without a database, and parse it with sqlglot.

Every Aksara ``Operation.apply(connection)`` only calls ``connection.execute(sql)``; a
:class:`RecordingConnection` stores those strings instead of running them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from targets.pg_identifiers import RESERVED_WORDS

# PostgreSQL reserved and type/function-name keywords: never usable as bare column names.
PG_RESERVED = frozenset(RESERVED_WORDS) | frozenset("""
all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create
current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc
distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral
leading limit localtime localtimestamp not null offset on only or order placing primary references returning
select session_user some symmetric system_user table then to trailing true union unique user using variadic when
where window with authorization binary collation concurrently cross current_schema freeze full ilike inner is
isnull join left like natural notnull outer overlaps right similar tablesample verbose
""".split())


@dataclass
class RecordingConnection:
    """A connection-like object whose ``execute`` records SQL text (and arguments) instead of running it."""

    statements: list[str] = field(default_factory=list)

    async def execute(self, sql: str, *args: Any) -> str:
        self.statements.append(sql)
        return "RECORDED"


async def record_ddl(operations: Iterable[Any]) -> list[str]:
    """The SQL strings ``operations`` would execute, in order."""
    conn = RecordingConnection()
    for operation in operations:
        await operation.apply(conn)
    return conn.statements


@dataclass(frozen=True)
class ParsedStatement:
    sql: str
    kinds: tuple[str, ...] = ()
    error: str | None = None

    @property
    def single(self) -> bool:
        return len(self.kinds) == 1


def parse_statement(sql: str) -> ParsedStatement:
    """Parse one executed string in the PostgreSQL dialect; ``kinds`` lists each statement's node type."""
    try:
        trees = sqlglot.parse(sql, read="postgres")
    except (ParseError, TokenError) as exc:
        return ParsedStatement(sql, error=str(exc).splitlines()[0][:300])
    kinds = tuple(type(t).__name__ for t in trees if t is not None and not isinstance(t, exp.Semicolon))
    return ParsedStatement(sql, kinds=kinds)


_FK_CLAUSE = re.compile(r"CONSTRAINT\s+(.*?)\s+FOREIGN KEY\s*\((.*?)\)\s*REFERENCES\s+\"(?:[^\"]|\"\")*\"\s*\((.*?)\)", re.S)
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_$]*")


def hostile_unquoted_fk(sql: str) -> list[str]:
    """Names written unquoted in FOREIGN KEY clauses that PostgreSQL would not read back unchanged.

    A bare identifier is only safe when it is already lower-case ASCII and at most 63 bytes; anything else
    is folded, truncated, or ends the clause early.
    """
    bad = []
    for match in _FK_CLAUSE.finditer(sql):
        for name in match.groups():
            if name.startswith('"'):
                continue
            if not _PLAIN_NAME.fullmatch(name) or len(name.encode()) > 63 or name in PG_RESERVED:
                bad.append(name)
    if "FOREIGN KEY" in sql and not _FK_CLAUSE.search(sql):
        bad.append("<unparseable FOREIGN KEY clause>")
    return bad


_NAME_ATTRIBUTES = ("name", "table", "old_name", "new_name", "to_table", "source_table", "target_table")


def operation_names(operations: Iterable[Any]) -> list[str]:
    """Every table/column name an operation carries (what generated migration source must spell)."""
    names = []
    for operation in operations:
        for attr in _NAME_ATTRIBUTES:
            value = getattr(operation, attr, None)
            if isinstance(value, str):
                names.append(value)
        for column, field_op in getattr(operation, "fields", None) or ():
            names.append(column)
            if isinstance(getattr(field_op, "to_table", None), str):
                names.append(field_op.to_table)
        field_op = getattr(operation, "field", None) or getattr(operation, "new_field", None)
        if isinstance(getattr(field_op, "to_table", None), str):
            names.append(field_op.to_table)
    return names


def needs_python_escaping(name: str) -> bool:
    """True when ``name`` cannot sit verbatim between quotes in Python source."""
    return any(c in name for c in "\\\"'") or any(ord(c) < 32 for c in name)

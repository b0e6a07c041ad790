"""An independent Python model of how PostgreSQL evaluates the generated filters and orderings.

Rows come straight from the database (as the owner sees them); a principal's
visible set is the rows of its tenant (tenant-scoped resources) or all rows.
Filter values are the strings a client sends, converted to the column's type the
way PostgreSQL would read them. Semantics follow PostgreSQL:

- three-valued logic: a comparison with NULL is never true (only ``isnull`` sees NULLs);
- ``contains`` / ``icontains`` are *substring* tests: ``%``, ``_`` and ``\\`` in the value are
  literal characters (the lookup names promise a substring, as in Django; Aksara's docs call
  only ``?search=`` an ILIKE pattern);
- case folding for ``icontains`` follows the database's ``LC_CTYPE``: with ``C``/``POSIX`` only
  ASCII letters fold; otherwise Unicode lower-casing;
- text ordering follows ``LC_COLLATE``: code-point order for ``C``/``POSIX`` (other collations are
  not modelled: text range lookups and text orderings are then not generated);
- ordering puts NULLs last ascending and first descending (PostgreSQL's default);
- a JSON path ``field__key=value`` compares the text form ``field ->> 'key'``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from functools import cmp_to_key
from typing import Any, Callable, Iterable, Sequence

from targets.base import INTEGER_KINDS, ResourceSpec

TRUE_WORDS = frozenset({"true", "yes", "1", "t", "on"})


class Collation:
    """The database's text rules (from ``pg_database.datcollate`` / ``datctype``)."""

    def __init__(self, collate: str, ctype: str):
        self.collate, self.ctype = collate, ctype

    @property
    def byte_order(self) -> bool:
        return self.collate in ("C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic")

    def fold(self, text: str) -> str:
        if self.ctype in ("C", "POSIX"):
            return "".join(ch.lower() if ch.isascii() else ch for ch in text)
        return text.lower()


def parse_value(kind: str, text: str) -> Any:
    """The client's string as a value of the column's type (raises ValueError if it is not one)."""
    if kind in INTEGER_KINDS:
        return int(text)
    if kind == "decimal":
        return Decimal(text)
    if kind == "float":
        return float(text)
    if kind == "boolean":
        return text.lower() in TRUE_WORDS
    if kind in ("uuid", "fk"):
        return uuid.UUID(text)
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "time":
        return dt.time.fromisoformat(text)
    if kind == "datetime":
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return text


def normalise(kind: str, value: Any) -> Any:
    """A database value in the same domain :func:`parse_value` produces."""
    if value is None:
        return None
    if kind in ("uuid", "fk") and not isinstance(value, uuid.UUID):
        return uuid.UUID(str(value))
    if kind == "json" and isinstance(value, str):
        return json.loads(value)
    if kind == "float":
        return float(value)
    return value


def _compare(a: Any, b: Any, kind: str, collation: Collation) -> int:
    if kind in ("string", "text", "email", "url", "slug"):
        a, b = a.encode("utf-8"), b.encode("utf-8")
    elif kind in ("uuid", "fk"):
        a, b = a.bytes, b.bytes
    return (a > b) - (a < b)


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(", ", ": "))


def predicate(resource: ResourceSpec, key: str, text: str, collation: Collation) -> Callable[[dict], bool]:
    """The row predicate of one ``key=text`` filter parameter (a valid one)."""
    name, *rest = key.split("__")
    field = next(f for f in resource.fields if name in (f.name, f.column))
    column = field.column
    if field.kind == "json" and rest and rest[0] not in ("isnull",):
        path = rest[0]

        def json_exact(row: dict) -> bool:
            doc = normalise("json", row[column])
            return isinstance(doc, dict) and _json_text(doc.get(path)) == text

        return json_exact
    lookup = rest[0] if rest else "exact"
    kind = field.kind
    if lookup == "isnull":
        wanted = text.lower() in TRUE_WORDS
        return lambda row: (row[column] is None) == wanted
    if lookup in ("contains", "icontains"):
        fold = collation.fold if lookup == "icontains" else (lambda s: s)
        needle = fold(text)
        return lambda row: row[column] is not None and needle in fold(str(row[column]))
    if lookup == "in":
        items = [parse_value(kind, v.strip()) for v in text.split(",") if v.strip()]
        return lambda row: any(
            row[column] is not None and _compare(normalise(kind, row[column]), item, kind, collation) == 0
            for item in items
        )
    target = parse_value(kind, text)
    ops = {"exact": lambda c: c == 0, "gt": lambda c: c > 0, "gte": lambda c: c >= 0,
           "lt": lambda c: c < 0, "lte": lambda c: c <= 0}
    op = ops[lookup]
    return lambda row: row[column] is not None and op(_compare(normalise(kind, row[column]), target, kind, collation))


def visible_rows(rows: Iterable[dict], resource: ResourceSpec, tenant_id: str | None) -> list[dict]:
    """The rows a list of ``resource`` shows a caller of ``tenant_id``: its tenant's (by the resource's tenant
    field), and for a soft-delete model only the rows not marked deleted."""
    if resource.soft_delete:
        rows = [r for r in rows if r.get("deleted_at") is None]
    column = next((f.column for f in resource.fields if f.tenant), "tenant_id")
    if not resource.tenant_scoped or tenant_id is None:
        return list(rows)
    return [r for r in rows if str(r[column]) == tenant_id]


def search_predicate(resource: ResourceSpec, term: str, collation: Collation) -> Callable[[dict], bool]:
    """``?search=`` as documented: ILIKE ``%term%`` over the search fields, OR-combined.

    The term is an ILIKE pattern (``%`` any run, ``_`` any character, ``\\`` escapes).
    """
    import re

    term = collation.fold(term)
    pattern = ""
    i = 0
    while i < len(term):
        ch = term[i]
        if ch == "\\" and i + 1 < len(term):
            pattern += re.escape(term[i + 1])
            i += 2
            continue
        pattern += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    regex = re.compile(pattern, re.S)
    columns = [resource.field(f).column for f in resource.search_fields]
    return lambda row: any(
        row[c] is not None and regex.search(collation.fold(str(row[c]))) is not None
        for c in columns
    ) if term else True


def order_rows(rows: Sequence[dict], resource: ResourceSpec, terms: Sequence[str], collation: Collation) -> list[dict]:
    """Rows sorted by ``terms`` (``-`` descending), NULLs last ascending and first descending."""
    keys = []
    for term in terms:
        descending = term.startswith("-")
        field = resource.field(term.lstrip("-"))
        keys.append((field.column, field.kind, descending))

    def cmp(a: dict, b: dict) -> int:
        for column, kind, descending in keys:
            x, y = normalise(kind, a[column]), normalise(kind, b[column])
            if x is None and y is None:
                continue
            if x is None or y is None:
                result = 1 if x is None else -1  # NULLS LAST ascending
                return -result if descending else result
            result = _compare(x, y, kind, collation)
            if result:
                return -result if descending else result
        return 0

    return sorted(rows, key=cmp_to_key(cmp))


def is_ordered(rows: Sequence[dict], resource: ResourceSpec, terms: Sequence[str], collation: Collation) -> int | None:
    """Index of the first row out of order by ``terms`` (ties in any order), or ``None``."""
    ordered = order_rows(rows, resource, terms, collation)
    key_columns = [(resource.field(t.lstrip("-")).column, resource.field(t.lstrip("-")).kind) for t in terms]

    def key(row: dict) -> tuple:
        return tuple(repr(normalise(k, row[c])) for c, k in key_columns)

    for index, (got, want) in enumerate(zip(rows, ordered)):
        if key(got) != key(want):
            return index
    return None

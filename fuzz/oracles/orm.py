"""Oracles of the ORM family: a pure Python model of the rows, judged against what Aksara's ORM did.

The model holds every row as ``{column: value}`` (values as stored, see :func:`stored`), the owner id
of its ForeignKey and the set of its tags. Semantic choices, each what PostgreSQL defines or what
Aksara documents (docs/docs/orm/querying.md, expressions-and-transactions.md, bulk-operations.md):

- Conditions are evaluated in SQL's three-valued logic (Kleene): a comparison with NULL is unknown,
  ``NOT unknown`` is unknown, ``AND``/``OR`` as PostgreSQL's; a row is selected only when its condition is
  true. ``column=None`` (``exact`` with None) is ``IS NULL``, as Aksara compiles it (and documents for
  ``isnull``); ``in`` with an empty list selects nothing; ``x IN (..., NULL)`` is true on a match and
  unknown otherwise.
- ``search(term, fields)`` is ``field ILIKE '%term%'`` over the fields, ORed: ``%`` and ``_`` in the term are
  wildcards and ``\\`` escapes the next character (api/filtering.md "Search": "``%`` and ``_`` can act as
  pattern wildcards"); an empty term selects everything.
- ``contains``/``icontains`` are substring tests, as their names and the querying guide promise (only
  ``?search=`` is documented as an ILIKE pattern); ``icontains`` folds ASCII letters only, as
  PostgreSQL's ``ILIKE`` does under the C collation the lab's database uses.
- Order: text compares by code point (C collation), booleans false < true, the Enum by its stored
  value (a TEXT column), UUIDs by their 128-bit value; ascending puts NULLs last, descending first
  (PostgreSQL's defaults). Rows tied on every ordering key may come in any order; a sliced read is
  given ``id`` as the last key so its rows are determined.
- ``F(other) + k`` is computed in ``other``'s SQL type (the constant is bound as a parameter of that
  type); a value outside that type is an error of PostgreSQL, so a read whose table holds such a row may
  fail with Aksara's ``DatabaseError`` instead of answering, and an update that would store one must
  fail and change nothing.
- Aggregates: ``Count("*")`` counts rows, ``Count(c)`` non-NULL values, ``Sum``/``Min``/``Max``/``Avg``
  ignore NULLs and are None over no value; ``Avg`` is compared with a relative tolerance of 1e-12.
- Aggregates across one relation hop (expressions-and-transactions.md "Relation-Aware Aggregate Paths"):
  ``Count("tags")`` counts an item's tags, ``Max("tags__label")`` their labels, ``Max("owner__name")`` the
  owner's name, ``Count("profile")`` the profiles pointing at the item. A column aggregate in the same call
  (``Sum("i")``, ``Count("*")``) still counts each item once: the docs promise the sum of the queryset's
  rows, and nothing says a join in a neighbouring expression repeats them (a choice written down here,
  Django documents the opposite as its own limitation). ``annotate()`` gives each item the aggregate over
  its own related rows; a column aggregate in an annotation is the column's own value (``Count`` 1 or 0).
- ``owner=<instance>`` and ``owner__name=...`` select the items whose owner is (named) that owner
  (relations.md "Filtering by Related Objects").
- ``get()`` raises ``DoesNotExist`` on no row and ``MultipleObjectsReturned`` on more than one;
  ``get_or_none()`` answers any matching row or None; ``fetch_with_count()`` the page and the count of the
  unsliced queryset; ``get_or_create()`` is ``get()`` then ``create(**lookup, **defaults)`` (documented as not
  atomic).
- ``upsert(id=..., defaults=..., update_fields=...)`` (bulk-operations.md "Upsert conflict keys") inserts the
  defaults as a new row, or on an existing id sets each update field to its default, a field missing from the
  defaults to the proposed insertion value (NULL: the columns have no database default), all the defaults
  when ``update_fields`` is None and nothing when it is empty; it answers ``(row, created)``.
- Relation managers (relations.md): ``owner.ormitem_set`` holds the items whose owner it is, ``item.tags`` and
  ``tag.items`` the two sides of the many-to-many, ``set()`` replaces and ``clear()`` empties an item's tags,
  ``item.profile()`` is the profile pointing at it or None (``.get()`` raises ``DoesNotExist``); a second profile
  for the same item is refused with ``UniqueConstraintError``; an item's ``delete()`` removes it and sets its
  profile's item to NULL (``on_delete=SET NULL``). The reverse managers' order (``created_at DESC``) is not
  modelled: their rows are compared as sets.
- ``Email`` stores its value stripped and lower-cased (the field's own contract: ``aksara.fields.Email``
  "Automatically lowercases and strips whitespace"); an ``IPAddress`` in its compressed form.
- A value a field cannot store is refused with ``aksara.exceptions.ValidationError`` (fields.md "Field
  Validation"); any other exception, a database error above all, is a violation.
- The exceptions a step may raise are the ones above (``DoesNotExist``/``MultipleObjectsReturned`` of ``get()``,
  ``UniqueConstraintError`` of a second profile, a database error of an out-of-range ``F`` result); any other
  exception of a read or write is a crash, identified as the HTTP family's server errors are: by its crash
  state (exception type, the top frames inside ``aksara``, SQLSTATE, message class: :mod:`targets.crash`),
  not by the program that raised it.

Timestamps (``created_at``, ``updated_at``) are Aksara's own bookkeeping and are not modelled.
"""

from __future__ import annotations

import decimal
import ipaddress
import json
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable, Mapping

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from strategies.orm import BY_NAME, COLUMNS, TO_MANY, Color, FRef, Leaf, Node, Read, Rel, Search, Write, f_value

# -- values ---------------------------------------------------------------------------------------------

def stored(column: str, value: Any) -> Any:
    """What a column holds after ``value`` (a valid value of its kind) is saved."""
    if value is None:
        return None
    if column == "ip":
        return str(ipaddress.ip_address(str(value)))
    if column == "e":
        return Color(value)
    if column == "em":
        return str(value).strip().lower()
    return value


def from_raw(column: str, raw: Any) -> Any:
    """A raw asyncpg value of ``column`` (read without Aksara) in the model's terms."""
    if raw is None:
        return None
    if column == "j":
        return json.loads(raw) if isinstance(raw, str) else raw
    if column == "ip":
        return str(raw)
    if column == "e":
        try:
            return Color(raw)
        except ValueError:
            return raw
    if BY_NAME[column].field_class == "Array":
        return list(raw)
    return raw


def same(a: Any, b: Any) -> bool:
    """Value equality the round trip asks for (JSON structurally; floats exactly, ``-0.0 == 0.0``)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def sort_key(column: str, value: Any) -> Any:
    """``value``'s place in PostgreSQL's order of ``column`` (not None)."""
    if column == "e":
        return Color(value).value
    return value


# -- rows ------------------------------------------------------------------------------------------------

@dataclass
class Row:
    values: dict[str, Any]
    owner: Any = None  # the owner's id
    tags: set[str] = field(default_factory=set)  # tag labels

    def get(self, column: str) -> Any:
        if column == "owner_id":
            return self.owner
        return self.values.get(column)


@dataclass
class Model:
    """The rows as the ORM should have left them (id -> Row), in creation order; the profiles (id -> [item id,
    bio]) and the owners' names (id -> name)."""

    rows: dict[Any, Row] = field(default_factory=dict)
    profiles: dict[Any, list[Any]] = field(default_factory=dict)
    owner_names: dict[Any, str] = field(default_factory=dict)

    def profiles_of(self, rid: Any) -> list[Any]:
        return [pid for pid, (item, _bio) in self.profiles.items() if item == rid]


# -- three-valued evaluation --------------------------------------------------------------------------------

def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def like(pattern: str, text: str | None) -> bool | None:
    """``text ILIKE pattern`` under the C collation (ASCII case folding; ``\\`` escapes), None for NULL."""
    if text is None:
        return None
    regex, chars = "", iter(pattern)
    for c in chars:
        if c == "\\":
            regex += re.escape(_ascii_lower(next(chars, "")))
        else:
            regex += ".*" if c == "%" else "." if c == "_" else re.escape(_ascii_lower(c))
    return re.fullmatch(regex, _ascii_lower(text), re.S) is not None


def _compare(op: str, x: Any, y: Any) -> bool:
    return {"exact": x == y, "gt": x > y, "gte": x >= y, "lt": x < y, "lte": x <= y}[op]


def overflows(ref: FRef, row: Row) -> bool:
    """Whether ``F(ref.other) + ref.offset`` (or its ``op``) leaves ``ref.other``'s SQL type on ``row``."""
    other = row.get(ref.other)
    low, high = BY_NAME[ref.other].integer
    return other is not None and not low <= f_value(ref.op, other, ref.offset) <= high


def evaluate(cond: Any, row: Row, names: Mapping[Any, str] | None = None) -> bool | None:
    """The condition's truth value on ``row``: True, False or None (unknown); ``names`` are the owners' names
    (a condition on ``owner`` names the owner)."""
    if isinstance(cond, Node):
        parts = [evaluate(c, row, names) for c in cond.children]
        if cond.op == "not":
            return None if parts[0] is None else not parts[0]
        if cond.op == "and":
            return False if False in parts else (None if None in parts else True)
        return True if True in parts else (None if None in parts else False)
    if isinstance(cond, Search):
        if not cond.term:
            return True
        found = [like(f"%{cond.term}%", row.get(name)) for name in cond.fields]
        return True if True in found else (None if None in found else False)
    if isinstance(cond, FRef):
        x, y = row.get(cond.column), row.get(cond.other)
        if x is None or y is None:
            return None
        return _compare(cond.lookup, x, f_value(cond.op, y, cond.offset))
    column, lookup, value = cond.column, cond.lookup, cond.value
    x = (names or {}).get(row.owner) if column in RELATION_COLUMNS else row.get(column)
    if lookup == "isnull":
        return (x is None) == bool(value)
    if lookup == "exact" and value is None:
        return x is None
    if lookup == "in":
        if not value:
            return False
        if x is None:
            return None
        items = [stored(column, v) for v in value]
        if any(v is not None and sort_key(column, x) == sort_key(column, v) for v in items):
            return True
        return None if None in items else False
    if x is None:
        return None
    if lookup == "contains":
        return value in x
    if lookup == "icontains":
        return _ascii_lower(value) in _ascii_lower(x)
    return _compare(lookup, sort_key(column, x), sort_key(column, stored(column, value)))


RELATION_COLUMNS = {"owner": "ForeignKey", "owner__name": "ForeignKey.name"}  # conditions on the owner


def conditions_of(read_or_write: Any) -> list[Any]:
    if isinstance(read_or_write, Read):
        search = [read_or_write.search] if read_or_write.search is not None else []
        return [*read_or_write.q, *read_or_write.kwargs, *search]
    return [read_or_write.q] if isinstance(read_or_write.q, (Leaf, FRef, Node)) else []  # an upsert's q is an id


def _frefs(cond: Any) -> Iterable[FRef]:
    if isinstance(cond, Node):
        for child in cond.children:
            yield from _frefs(child)
    elif isinstance(cond, FRef):
        yield cond


def may_fail(conds: list[Any], model: Model) -> bool:
    """Whether PostgreSQL may raise evaluating ``conds`` over the table (an F(...) + k leaves its type)."""
    return any(overflows(ref, row) for cond in conds for ref in _frefs(cond) for row in model.rows.values())


def selected(conds: list[Any], model: Model) -> list[Any]:
    """Ids of the rows every condition is true on, in creation order."""
    return [rid for rid, row in model.rows.items() if all(evaluate(c, row, model.owner_names) is True for c in conds)]


def order_key(order: tuple[str, ...], row: Row, rid: Any) -> tuple:
    """A sort key of ``row`` for ``order`` (NULLS LAST ascending, FIRST descending)."""
    key = []
    for term in order:
        name = term.lstrip("-")
        value = rid if name == "id" else row.get(name)
        descending = term.startswith("-")
        if value is None:
            key.append((_Rev(1) if descending else 1, None))
        else:
            v = sort_key(name, value)
            key.append((_Rev(0) if descending else 0, _Rev(v) if descending else v))
    return tuple(key)


class _Rev:
    """Reverses the order of a value inside a sort key."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: "_Rev") -> bool:
        return other.v < self.v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rev) and self.v == other.v


# -- findings ---------------------------------------------------------------------------------------------

def describe(cond: Any) -> str:
    """A condition in the ORM's own spelling."""
    if isinstance(cond, Search):
        return f".search({cond.term!r}, {list(cond.fields)!r})"
    if isinstance(cond, Node):
        inner = [describe(c) for c in cond.children]
        return f"~{inner[0]}" if cond.op == "not" else "(" + (" & " if cond.op == "and" else " | ").join(inner) + ")"
    if isinstance(cond, FRef):
        ref = {"+": f"F({cond.other!r}) + {cond.offset}", "-": f"F({cond.other!r}) - {cond.offset}",
               "*": f"F({cond.other!r}) * {cond.offset}", "k+": f"{cond.offset} + F({cond.other!r})",
               "k-": f"{cond.offset} - F({cond.other!r})"}[cond.op]
        if cond.op == "+" and not cond.offset:
            ref = f"F({cond.other!r})"
        return f"Q({cond.column}__{cond.lookup}={ref})"
    return f"Q({cond.column}__{cond.lookup}={cond.value!r})"


def leaf_shape(cond: Leaf | FRef) -> str:
    """``column kind:lookup:value class`` of one leaf, the cause a ledger signature names."""
    if isinstance(cond, Search):
        return "search:wildcard" if any(c in cond.term for c in "%_\\") else "search:plain"
    kind = RELATION_COLUMNS.get(cond.column) or BY_NAME[cond.column].field_class
    if isinstance(cond, FRef):
        return f"{kind}:{cond.lookup}:F"
    value = cond.value
    if cond.lookup in ("contains", "icontains"):
        cls = "wildcard" if any(c in value for c in "%_\\") else "plain"
    elif value is None or (cond.lookup == "in" and None in value):
        cls = "null"
    else:
        cls = "value"
    return f"{kind}:{cond.lookup}:{cls}"


def leaves_of(conds: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for cond in conds:
        if isinstance(cond, Node):
            out += leaves_of(cond.children)
        else:
            out.append(cond)
    return out


def _finding(pid: str, message: str, observed: Any, expected: Any, facts: Mapping[str, str],
             reproducer: str) -> Finding:
    return Finding(pid, message, observed=observed, expected=expected, facts=dict(facts), reproducer=reproducer)


# -- reads ------------------------------------------------------------------------------------------------

@dataclass
class ReadResult:
    """What a read returned: ``rows`` ([(id, {column: value}, owner, related owner, tags)]), a scalar, or
    the exception it raised (its class name and message)."""

    rows: list[tuple[Any, dict[str, Any], Any, Any, Any]] | None = None
    scalar: Any = None
    error: str = ""
    message: str = ""
    annotated: dict[Any, list[Any]] = field(default_factory=dict)  # id -> the annotations' values, in order
    crash: Mapping[str, str] = field(default_factory=dict)  # the crash facts of the exception it raised


def source_values(source: str, rid: Any, row: Row, model: Model | None) -> list[Any]:
    """The values ``source`` (a column or a relation path of :data:`strategies.orm.RELATED_SOURCES`) has for
    one item: its column value, or one value per related row; NULLs left out."""
    model = model or Model()
    if source in ("tags", "tags__label"):
        found: list[Any] = sorted(row.tags)
    elif source == "owner":
        found = [row.owner]
    elif source == "owner__name":
        found = [model.owner_names.get(row.owner)] if row.owner is not None else []
    elif source == "profile":
        found = model.profiles_of(rid)
    elif source == "profile__bio":
        found = [model.profiles[pid][1] for pid in model.profiles_of(rid)]
    else:
        found = [row.get(source)]
    return [v for v in found if v is not None]


def fans_out(sources: Iterable[str]) -> bool:
    """Whether one of ``sources`` joins a to-many relation (the item row repeats once per related row)."""
    return any(s.split("__")[0] in TO_MANY for s in sources)


def expected_aggregate(function: str, column: str, rows: list[Row], model: Model | None = None,
                       ids: list[Any] | None = None) -> Any:
    """``function(column)`` over ``rows`` (NULLs ignored; None over no value), each row counted once; a relation
    source contributes every related row's value (``ids`` are the rows' ids)."""
    if column == "*":
        return len(rows)
    if ids is None:
        values = [r.get(column) for r in rows if r.get(column) is not None]
    else:
        values = [v for rid, r in zip(ids, rows) for v in source_values(column, rid, r, model)]
    if function == "Count":
        return len(values)
    if not values:
        return None
    if function == "Sum":
        return sum(values)
    if function == "Min":
        return min(values)
    if function == "Max":
        return max(values)
    return Fraction(sum(Fraction(v) for v in values), len(values))


def _agg_equal(function: str, got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if not isinstance(want, (int, float, Fraction, decimal.Decimal)) or isinstance(want, bool):
        return type(got) is type(want) and got == want  # a label, a name, an id
    if not isinstance(got, (int, float, Fraction, decimal.Decimal)) or isinstance(got, bool):
        return False
    if function == "Avg":
        exact = Fraction(want)
        return abs(Fraction(got) - exact) <= abs(exact) * Fraction(1, 10**12) + Fraction(1, 10**12)
    return Fraction(got) == Fraction(want) if not isinstance(got, bool) else got == want


def check_read(read: Read, result: ReadResult, model: Model, owners: Mapping[Any, str],
               source: str) -> list[Finding]:
    """orm.read_differential: a read returns exactly the rows, count, aggregate, annotation or row the model
    computes; orm.round_trip: every value it returns equals the stored one."""
    conds = conditions_of(read)
    ids = selected(conds, model)
    rows = [model.rows[i] for i in ids]
    shape = " ".join(sorted({leaf_shape(leaf) for leaf in leaves_of(conds)})) or "none"
    facts = {"terminal": read.terminal, "leaves": shape, "ordered": "yes" if read.order else "no",
             "sliced": "yes" if read.limit is not None or read.offset is not None else "no"}
    text = (f"filter({', '.join(describe(c) for c in conds)}).order_by{read.order} limit={read.limit} "
            f"offset={read.offset} .{read.terminal}()")
    findings: list[Finding] = []

    def fail(problem: str, observed: Any, expected: Any, **more: str) -> None:
        findings.append(_finding(catalog.ORM_READ_DIFFERENTIAL, f"{text}: {problem}", observed, expected,
                                 {**facts, "problem": problem, **more}, source))

    if result.error:
        expected_error = {"get": ("DoesNotExist" if not ids else "MultipleObjectsReturned")
                          if len(ids) != 1 else ""}.get(read.terminal, "")
        if result.error == "DatabaseError" and may_fail(conds, model):
            judged(catalog.ORM_READ_DIFFERENTIAL)
            return []
        if result.error != expected_error:
            fail("raised", f"{result.error}: {result.message}", expected_error or "an answer",
                 error=result.error, **result.crash)
        judged(catalog.ORM_READ_DIFFERENTIAL)
        return findings
    judged(catalog.ORM_READ_DIFFERENTIAL)
    if read.terminal == "count":
        if result.scalar != len(ids):
            fail("count", result.scalar, len(ids))
        return findings
    if read.terminal == "exists":
        if result.scalar is not bool(ids):
            fail("exists", result.scalar, bool(ids))
        return findings
    if read.terminal == "aggregate":
        fanout = "yes" if fans_out(c for _f, c in read.aggregates) else "no"
        for (function, column), got in zip(read.aggregates, result.scalar):
            want = expected_aggregate(function, column, rows, model, ids)
            if not _agg_equal(function, got, want):
                fail("aggregate", f"{function}({column})={got!r}", f"{want!r}", aggregate=f"{function}:{column}",
                     fanout=fanout)
        return findings
    if read.terminal == "fetch_with_count" and result.scalar != len(ids):
        fail("total", result.scalar, len(ids))
    if read.terminal == "get":
        if len(ids) != 1:
            fail("get", [r[0] for r in result.rows or []], f"{'DoesNotExist' if not ids else 'MultipleObjectsReturned'}")
            return findings
    got_ids = [r[0] for r in result.rows or []]
    order = read.order + (("id",) if (read.limit is not None or read.offset is not None) and read.order
                          and "id" not in [o.lstrip("-") for o in read.order] else ())
    ordered = sorted(ids, key=lambda i: order_key(order, model.rows[i], i)) if order else ids
    if read.terminal in ("first", "get", "get_or_none"):
        if not ids:
            if got_ids:
                fail("extra", got_ids, [])
            return findings + _check_values(read, result, model, owners, source, facts)
        if len(got_ids) != 1:
            fail("missing", got_ids, "one row")
            return findings
        if read.terminal == "first" and order:
            best = order_key(order, model.rows[ordered[0]], ordered[0])
            allowed = [i for i in ordered if order_key(order, model.rows[i], i) == best]
        else:
            allowed = ids
        if got_ids[0] not in allowed:
            fail("get" if read.terminal == "get" else "first", got_ids[0], allowed)
        return findings + _check_values(read, result, model, owners, source, facts)
    if read.limit is not None or read.offset is not None:
        start = read.offset or 0
        end = None if read.limit is None else start + read.limit
        if order:
            window = ordered[start:end]
            if got_ids != window:
                fail("slice", got_ids, window)
        else:
            size = len(ids[start:end])
            if len(got_ids) != size or len(set(got_ids)) != size or not set(got_ids) <= set(ids):
                fail("slice", got_ids, f"{size} distinct rows of {ids}")
        return findings + _check_values(read, result, model, owners, source, facts)
    missing = [i for i in ids if i not in got_ids]
    extra = [i for i in got_ids if i not in ids]
    if missing:
        fail("missing", missing, ids)
    if extra:
        fail("extra", extra, ids)
    if len(got_ids) != len(set(got_ids)):
        fail("duplicate", got_ids, ids)
    if order and not missing and not extra:
        keys = [order_key(order, model.rows[i], i) for i in got_ids]
        if any(keys[n + 1] < keys[n] for n in range(len(keys) - 1)):
            fail("order", got_ids, ordered)
    return findings + _check_values(read, result, model, owners, source, facts)


def _check_values(read: Read, result: ReadResult, model: Model, owners: Mapping[Any, str], source: str,
                  facts: Mapping[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    fanout = "yes" if fans_out(src for f, src in read.annotations if f != "F") else "no"
    for rid, values, owner, related, tags in result.rows or []:
        row = model.rows.get(rid)
        if row is None:
            continue
        findings += check_row_values(row, values, owner, "read", source)
        for (function, src), got in zip(read.annotations, result.annotated.get(rid, [])):
            want = expected_annotation(function, src, rid, row, model)
            if not _agg_equal(function, got, want):
                findings.append(_finding(
                    catalog.ORM_READ_DIFFERENTIAL, f"annotate({function}({src!r})) of {rid}: {got!r} instead of "
                    f"{want!r}", repr(got), repr(want), {**facts, "problem": "annotation",
                                                        "aggregate": f"{function}:{src}", "fanout": fanout}, source))
        if read.select_related:
            want = None if row.owner is None else (row.owner, owners.get(row.owner))
            if related != want:
                findings.append(_finding(catalog.ORM_READ_DIFFERENTIAL, f"select_related('owner') of {rid}: {related} "
                                         f"instead of {want}", related, want,
                                         {**facts, "problem": "select_related"}, source))
        if read.prefetch_related and tags != row.tags:
            findings.append(_finding(catalog.ORM_READ_DIFFERENTIAL, f"prefetch_related('tags') of {rid}: "
                                     f"{sorted(tags or [])} instead of {sorted(row.tags)}", sorted(tags or []),
                                     sorted(row.tags), {**facts, "problem": "prefetch_related"}, source))
    return findings


def expected_annotation(function: str, source: str, rid: Any, row: Row, model: Model) -> Any:
    """What ``annotate(x=function(source))`` gives one item (``F``: the column's value): the aggregate over the
    item's own values of ``source``."""
    values = source_values(source, rid, row, model)
    if function == "F":
        return values[0] if values else None
    return expected_aggregate(function, source, [row], model, [rid])


def check_relation(rel: Rel, result: ReadResult, model: Model, item_ids: list[Any], source: str) -> list[Finding]:
    """orm.read_differential: a relation manager (reverse ForeignKey, either side of the many-to-many, the
    reverse OneToOne) answers the related rows, count, ids or object the model holds; orm.round_trip: the
    items it returns hold the stored values."""
    judged(catalog.ORM_READ_DIFFERENTIAL)
    owner_ids = {name: oid for oid, name in model.owner_names.items()}
    facts = {"terminal": rel.kind, "leaves": " ".join(sorted({leaf_shape(x) for x in rel.kwargs})) or "none",
             "ordered": "no", "sliced": "no"}
    findings: list[Finding] = []

    def fail(problem: str, observed: Any, expected: Any) -> None:
        raised = {"error": result.error, **result.crash} if result.error else {}
        findings.append(_finding(catalog.ORM_READ_DIFFERENTIAL, f"{rel.kind}({rel.target!r}): {problem}: "
                                 f"{observed!r} instead of {expected!r}", observed, expected,
                                 {**facts, "problem": problem, **raised}, source))

    if rel.kind.startswith("owner_"):
        oid = owner_ids.get(rel.target)
        want_ids = [rid for rid, row in model.rows.items() if row.owner == oid and oid is not None
                    and all(evaluate(c, row, model.owner_names) is True for c in rel.kwargs)]
    elif rel.kind.startswith("tag_"):
        want_ids = [rid for rid, row in model.rows.items() if rel.target in row.tags]
    else:
        rid = item_ids[rel.target]
        row = model.rows[rid]
        profiles = model.profiles_of(rid)
        want: Any
        if rel.kind == "item_tags":
            want = sorted(row.tags)
        elif rel.kind == "item_tag_ids":
            want = sorted(row.tags)  # the lab maps the ids it gets to labels
        elif rel.kind == "item_tag_count":
            want = len(row.tags)
        else:
            want = (profiles[0], model.profiles[profiles[0]][1]) if profiles else None
            if rel.kind == "item_profile_get" and want is None:
                want = "DoesNotExist"
        got = f"{result.error}" if result.error else result.scalar
        if got != want:
            fail(rel.kind, got, want)
        return findings
    if result.error:
        fail("raised", f"{result.error}: {result.message}", "an answer")
        return findings
    if rel.kind.endswith("_count"):
        if result.scalar != len(want_ids):
            fail("count", result.scalar, len(want_ids))
        return findings
    got_ids = [r[0] for r in result.rows or []]
    if sorted(map(str, got_ids)) != sorted(map(str, want_ids)):
        fail("rows", sorted(map(str, got_ids)), sorted(map(str, want_ids)))
    for rid, values, owner, _related, _tags in result.rows or []:
        if rid in model.rows:
            findings += check_row_values(model.rows[rid], values, owner, rel.kind, source)
    return findings


def check_profiles(write: Write, table: Mapping[Any, tuple[Any, Any]], model: Model, source: str) -> list[Finding]:
    """orm.write_differential: after a write the profile table (read without Aksara) holds exactly the model's
    profiles, each pointing at the item the model says (NULL after its item's delete)."""
    judged(catalog.ORM_WRITE_DIFFERENTIAL)
    want = {pid: (item, bio) for pid, (item, bio) in model.profiles.items()}
    got = dict(table)
    if got == want:
        return []
    return [_finding(catalog.ORM_WRITE_DIFFERENTIAL, f"after {write.kind}: profiles {got} instead of {want}",
                     repr(got), repr(want), {"write": write.kind, "problem": "profiles", "leaves": "none"}, source)]


def check_signals(write: Write, received: list[tuple[str, Any]], expected: list[tuple[str, Any]],
                  source: str) -> list[Finding]:
    """orm.write_differential: a write sends exactly the lifecycle signals signals.md names for it: ``pre_save``
    (with ``is_new``) and ``post_save`` around each instance ``save()``/``create()``, ``pre_delete`` and
    ``post_delete`` around an instance ``delete()``, none for bulk, queryset, upsert or relation writes."""
    judged(catalog.ORM_WRITE_DIFFERENTIAL)
    if received == expected:
        return []
    return [_finding(catalog.ORM_WRITE_DIFFERENTIAL, f"{write.kind} sent the signals {received}, not {expected}",
                     repr(received), repr(expected), {"write": write.kind, "problem": "signals",
                                                      "leaves": _write_leaves(write)}, source)]


def check_trace(batch: Any, stored: Any, captured: list[str], source: str) -> list[Finding]:
    """orm.trace_complete: a trace session around a program records exactly the calls query capture saw, in
    order (debugging/query-profiling.md: both instrument Database.execute/fetch/fetchrow/fetchval, failed calls
    included), its totals agree with its queries, and the batch is stored under its request id."""
    judged(catalog.ORM_TRACE_COMPLETE)
    problems: list[tuple[str, Any, Any]] = []
    if batch is None:
        problems.append(("no_batch", None, len(captured)))
    else:
        traced = [q.sql for q in batch.queries]
        if traced != captured:
            first = next((n for n, (a, b) in enumerate(zip(traced, captured)) if a != b), min(len(traced),
                                                                                              len(captured)))
            problems.append(("calls", f"{len(traced)} calls, #{first}: {traced[first:first + 1]}",
                             f"{len(captured)} calls, #{first}: {captured[first:first + 1]}"))
        summary = batch.to_dict()
        if batch.total_queries != len(batch.queries) or summary.get("total_queries") != len(batch.queries):
            problems.append(("total", batch.total_queries, len(batch.queries)))
        if stored is not batch and (stored is None or [q.sql for q in stored.queries] != traced):
            problems.append(("stored", stored, batch.request_id))
    return [_finding(catalog.ORM_TRACE_COMPLETE, f"query trace: {problem}: {observed!r:.200} instead of "
                     f"{expected!r:.200}", repr(observed)[:300], repr(expected)[:300], {"problem": problem}, source)
            for problem, observed, expected in problems]


def check_row_values(row: Row, values: Mapping[str, Any], owner: Any, path: str, source: str) -> list[Finding]:
    """orm.round_trip: every column of a row read back (through ``path``) equals what the model stored."""
    judged(catalog.ORM_ROUND_TRIP)
    findings = []
    for column in [c.name for c in COLUMNS]:
        want, got = row.values.get(column), values.get(column)
        if not same(stored(column, want) if want is not None else None, got):
            kind = BY_NAME[column].field_class
            findings.append(_finding(
                catalog.ORM_ROUND_TRIP, f"{kind} column {column!r} read through {path}: {got!r} instead of {want!r}",
                repr(got), repr(want), {"field_kind": kind, "path": path, "value_type": type(want).__name__}, source))
    if owner != row.owner:
        findings.append(_finding(catalog.ORM_ROUND_TRIP, f"ForeignKey owner read through {path}: {owner} instead of "
                                 f"{row.owner}", str(owner), str(row.owner),
                                 {"field_kind": "ForeignKey", "path": path, "value_type": "UUID"}, source))
    return findings


# -- writes -----------------------------------------------------------------------------------------------

def check_write_answer(write: Write, answer: Any, expected: Any, source: str,
                       crash: Mapping[str, str] | None = None) -> list[Finding]:
    """orm.write_differential: a write answers what the model computes (a count, a created flag, an error);
    ``crash`` holds the crash facts when the answer is an exception the write raised."""
    judged(catalog.ORM_WRITE_DIFFERENTIAL)
    if answer == expected:
        return []
    return [_finding(catalog.ORM_WRITE_DIFFERENTIAL, f"{write.kind} answered {answer!r}, the model {expected!r}",
                     repr(answer), repr(expected), {"write": write.kind, "problem": "answer",
                                                    "leaves": _write_leaves(write), **(crash or {})}, source)]


def check_step_raised(step: Any, error: str, message: str, crash: Mapping[str, str], source: str) -> list[Finding]:
    """orm.read_differential / orm.write_differential: no read or write of a program raises an exception the
    model does not name for it; one that does is a crash, its cause the crash state (exception type, top
    Aksara frames, SQLSTATE, message class)."""
    if isinstance(step, Write):
        pid, facts = catalog.ORM_WRITE_DIFFERENTIAL, {"write": step.kind, "leaves": _write_leaves(step)}
    elif isinstance(step, Rel):
        pid = catalog.ORM_READ_DIFFERENTIAL
        facts = {"terminal": step.kind, "leaves": " ".join(sorted({leaf_shape(x) for x in step.kwargs})) or "none",
                 "ordered": "no", "sliced": "no"}
    else:
        conds = conditions_of(step)
        pid = catalog.ORM_READ_DIFFERENTIAL
        facts = {"terminal": step.terminal,
                 "leaves": " ".join(sorted({leaf_shape(x) for x in leaves_of(conds)})) or "none",
                 "ordered": "yes" if step.order else "no",
                 "sliced": "yes" if step.limit is not None or step.offset is not None else "no"}
    judged(pid)
    kind = step.kind if isinstance(step, (Write, Rel)) else step.terminal
    return [_finding(pid, f"{kind} raised {error}: {message[:200]}", f"{error}: {message[:300]}", "an answer",
                     {**facts, "problem": "raised", "error": error, **crash}, source)]


def _write_leaves(write: Write) -> str:
    return " ".join(sorted({leaf_shape(x) for x in leaves_of(conditions_of(write))})) or "none"


def check_table(write: Write, table: Mapping[Any, tuple[dict[str, Any], Any, set[str]]], model: Model,
                source: str) -> list[Finding]:
    """orm.write_differential: after a write the table (read without Aksara) holds exactly the model's rows;
    orm.round_trip: each column holds exactly the value written."""
    judged(catalog.ORM_WRITE_DIFFERENTIAL)
    findings = []
    facts = {"write": write.kind, "leaves": _write_leaves(write)}
    missing = [i for i in model.rows if i not in table]
    extra = [i for i in table if i not in model.rows]
    if missing:
        findings.append(_finding(catalog.ORM_WRITE_DIFFERENTIAL, f"after {write.kind}: rows {missing} are gone",
                                 sorted(map(str, table)), sorted(map(str, model.rows)),
                                 {**facts, "problem": "missing"}, source))
    if extra:
        findings.append(_finding(catalog.ORM_WRITE_DIFFERENTIAL, f"after {write.kind}: rows {extra} appeared",
                                 sorted(map(str, table)), sorted(map(str, model.rows)),
                                 {**facts, "problem": "extra"}, source))
    for rid, row in model.rows.items():
        if rid not in table:
            continue
        values, owner, tags = table[rid]
        findings += check_row_values(row, values, owner, write.kind, source)
        if tags != row.tags:
            findings.append(_finding(catalog.ORM_WRITE_DIFFERENTIAL, f"after {write.kind}: row {rid} has tags "
                                     f"{sorted(tags)}, the model {sorted(row.tags)}", sorted(tags), sorted(row.tags),
                                     {**facts, "problem": "tags"}, source))
    return findings


# -- refusal ----------------------------------------------------------------------------------------------

@dataclass
class Attempt:
    """One ``create(column=value)`` of a hostile input: what it raised (class, module, message), whether a row
    appeared, and for an accepted one the value the instance holds and the value stored."""

    column: str
    input_class: str
    value: Any
    error: str = ""
    error_module: str = ""
    message: str = ""
    rows_added: int = 0
    accepted: Any = None
    stored_raw: Any = None
    read_back: Any = None
    crash: Mapping[str, str] = field(default_factory=dict)  # the crash facts of what create() raised


def check_refusal(attempt: Attempt, source: str) -> list[Finding]:
    """orm.invalid_refused: a value a field cannot store is refused with Aksara's ValidationError and writes
    nothing; orm.round_trip: a value it accepts is stored and read back as the instance holds it."""
    judged(catalog.ORM_INVALID_REFUSED)
    kind = BY_NAME[attempt.column].field_class
    value = attempt.value
    texts = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] \
        if isinstance(value, (list, tuple)) else []  # an Array's items too
    unstorable = any(c == "\x00" or "\ud800" <= c <= "\udfff" for text in texts for c in text)
    facts = {"field_kind": kind, "input_class": attempt.input_class, "input_type": type(value).__name__,
             "outcome": attempt.error or "accepted", "nul_or_surrogate": "yes" if unstorable else "no"}
    if attempt.error:
        findings = []
        if attempt.error != "ValidationError" or not attempt.error_module.startswith("aksara"):
            findings.append(_finding(
                catalog.ORM_INVALID_REFUSED,
                f"{kind}: create({attempt.column}={attempt.value!r:.80}) raised {attempt.error_module}."
                f"{attempt.error} ({attempt.message[:120]}), not Aksara's ValidationError",
                f"{attempt.error}: {attempt.message[:200]}", "aksara.exceptions.ValidationError",
                {**facts, "message_head": attempt.message[:60], **attempt.crash}, source))
        if attempt.rows_added:
            findings.append(_finding(catalog.ORM_INVALID_REFUSED, f"{kind}: a refused create wrote a row",
                                     attempt.rows_added, 0, {**facts, "outcome": "refused_but_written"}, source))
        return findings
    judged(catalog.ORM_ROUND_TRIP)
    findings = []
    if attempt.rows_added != 1:
        findings.append(_finding(catalog.ORM_WRITE_DIFFERENTIAL, f"{kind}: an accepted create added "
                                 f"{attempt.rows_added} rows", attempt.rows_added, 1,
                                 {"write": "create", "problem": "count", "leaves": "none"}, source))
    for path, got in (("create", attempt.stored_raw), ("read", attempt.read_back)):
        if not same(got, attempt.accepted):
            findings.append(_finding(
                catalog.ORM_ROUND_TRIP, f"{kind}: create({attempt.column}={attempt.value!r:.80}) holds "
                f"{attempt.accepted!r:.80} but {path} gives {got!r:.80}", repr(got), repr(attempt.accepted),
                {"field_kind": kind, "path": path, "value_type": type(attempt.value).__name__,
                 "input_class": attempt.input_class}, source))
    return findings

"""Programs for the ORM family: rows, writes and reads over one model that declares every field class.

The model (:data:`COLUMNS`) has one nullable column per scalar field class Aksara ships that needs no
extension or storage backend, a ForeignKey to an owner model and a ManyToMany to a tag model. A
:class:`Program` is a list of steps run in order against a fresh table:

- writes: ``create``, ``bulk_create``, ``save`` (a loaded instance, some columns changed), ``update``
  (a filtered queryset, values or ``F(column) + k``), ``delete`` (a filtered queryset), an instance's
  ``delete()``, ``get_or_create``, ``upsert`` (on the primary key, with or without ``update_fields``),
  many-to-many ``add`` / ``remove`` / ``set`` / ``clear``, creating a OneToOne profile;
- reads (:class:`Read`): a filter of keyword lookups and ``Q`` trees (``&``, ``|``, ``~``, ``F`` comparisons),
  filters on the ForeignKey (``owner=<instance>``, ``owner__name``), an ordering (ascending, descending,
  NULLs), ``limit``/``offset``, annotations (aggregates over columns and one relation hop, ``F``) and one
  terminal (``all``, ``count``, ``exists``, ``first``, ``get``, ``get_or_none``, ``fetch_with_count``,
  ``aggregate``), optionally with ``select_related`` / ``prefetch_related``;
- relation reads (:class:`Rel`): an owner's reverse ForeignKey manager, an item's and a tag's many-to-many
  managers, an item's reverse OneToOne accessor.

Lookup values are drawn from the column's own kind, from values already in the table (so conditions
match rows), and for text from the LIKE and quote vocabulary of :mod:`strategies.values`. Hostile inputs
for the refusal property (:func:`hostile_inputs`) reuse :data:`strategies.values.HOSTILE_REPRESENTATIVES`
and the integer edges. Everything a program holds has an evaluable ``repr`` (:func:`program_source`), which
is what a finding stores for its replay.

Not declared: ``Vector`` (needs pgvector), ``FileField``/``ImageField``/``FilePath`` (need a storage or a
directory). ``OneToOne`` lives on a profile model pointing at the item (its reverse accessor is the item's).
Every column is nullable, so NULL semantics are always in play.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from strategies import values as hostile_values


class Color(str, enum.Enum):
    """The Enum field's enumeration (its ``repr`` evaluates back to the member)."""

    RED = "red"
    GREEN = "green"
    BLUE = "blue"

    def __repr__(self) -> str:
        return f"Color.{self.name}"


UTC = datetime.timezone.utc


@dataclass(frozen=True)
class Column:
    """One column of the fuzzed model: its field class, constructor arguments and what it supports."""

    name: str
    field_class: str
    kwargs: tuple[tuple[str, Any], ...] = ()
    ordered: bool = True  # gt/gte/lt/lte and order_by have a total order the model knows
    text: bool = False  # contains/icontains
    comparable: bool = True  # exact/in (a value equality the model knows)
    integer: tuple[int, int] | None = None  # the column's storage range (its SQL type), for F arithmetic
    minimum: int | None = None  # the lowest value the field itself accepts, when above the storage range


INT32 = (-(2**31), 2**31 - 1)
COLUMNS: tuple[Column, ...] = (
    Column("s", "String", (("max_length", 12),), text=True),
    Column("t", "Text", text=True),
    Column("em", "Email", text=True),
    Column("url", "URL", text=True),
    Column("slug", "Slug", text=True),
    Column("i", "Integer", integer=INT32),
    Column("si", "SmallInteger", integer=(-(2**15), 2**15 - 1)),
    Column("bi", "BigInteger", integer=(-(2**63), 2**63 - 1)),
    Column("pi", "PositiveInteger", integer=INT32, minimum=0),
    Column("psi", "PositiveSmallInteger", integer=(-(2**15), 2**15 - 1), minimum=0),
    Column("pbi", "PositiveBigInteger", integer=(-(2**63), 2**63 - 1), minimum=0),
    Column("f", "Float"),
    Column("d", "Decimal", (("max_digits", 6), ("decimal_places", 2))),
    Column("b", "Boolean"),
    Column("dt", "DateTime"),
    Column("da", "Date"),
    Column("tm", "Time"),
    Column("du", "Duration"),
    Column("u", "UUID"),
    Column("e", "Enum", (("enum_class", Color),)),
    Column("ip", "IPAddress", ordered=False),
    Column("j", "JSON", ordered=False, comparable=False),
    Column("ar", "Array", (("item_type", int),), ordered=False, comparable=False),
    Column("ars", "Array", (("item_type", str),), ordered=False, comparable=False),
    Column("arb", "Array", (("item_type", bool),), ordered=False, comparable=False),
    Column("arf", "Array", (("item_type", float),), ordered=False, comparable=False),
    Column("aru", "Array", (("item_type", uuid.UUID),), ordered=False, comparable=False),
    Column("bn", "Binary", ordered=False, comparable=False),
)
BY_NAME = {c.name: c for c in COLUMNS}
INTEGER_COLUMNS = tuple(c.name for c in COLUMNS if c.integer)
OWNERS = ("ada", "bob", "cy")  # the owner rows every example starts with
TAGS = ("red", "green", "blue")  # the tag rows every example starts with

# -- valid values per column --------------------------------------------------------------------------

_TEXT_ALPHABET = st.sampled_from(list("abcABC xyz019") + ["%", "_", "\\", "'", "é", "ß", "🚀", "İ"])
_text = st.text(_TEXT_ALPHABET, max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(_TEXT_ALPHABET, max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(_TEXT_ALPHABET, max_size=4), inner, max_size=3),
    max_leaves=6,
)


def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    edges = [v for v in (0, 1, -1, low, high, 7, -7) if low <= v <= high]
    return st.sampled_from(edges) | st.integers(max(low, -1000), min(high, 1000)) | st.integers(low, high)


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "s": _text,
    "t": st.text(_TEXT_ALPHABET, max_size=40),
    "em": st.sampled_from(["a@b.co", "x.y@z.org", "A_B@ex.com", "q%1@d.io", "zz@b.co"]),
    "url": st.sampled_from(["https://ex.com/a", "http://b.org/x_y", "https://ex.com/%25", "https://Z.io/"]),
    "slug": st.from_regex(r"[a-z0-9][a-z0-9\-]{0,8}", fullmatch=True),
    "f": st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, -0.0, 1.5, -2.25]),
    "d": st.decimals(min_value="-9999.99", max_value="9999.99", places=2, allow_nan=False, allow_infinity=False),
    "b": st.booleans(),
    "dt": st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(2200, 1, 1), timezones=st.just(UTC)),
    "da": st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31)),
    "tm": st.times(),
    "du": st.timedeltas(datetime.timedelta(days=-9999), datetime.timedelta(days=9999)),
    "u": st.uuids(),
    "e": st.sampled_from(list(Color)),
    "ip": st.sampled_from(["10.0.0.1", "192.168.1.20", "::1", "2001:db8::5", "127.0.0.1"]),
    "j": _json,
    "ar": st.lists(st.integers(*INT32), max_size=4),
    "ars": st.lists(st.text(_TEXT_ALPHABET, max_size=6), max_size=3),
    "arb": st.lists(st.booleans(), max_size=3),
    "arf": st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=3),
    "aru": st.lists(st.uuids(), max_size=3),
    "bn": st.binary(max_size=12),
    **{c.name: _ints(c.integer[0] if c.minimum is None else c.minimum, c.integer[1]) for c in COLUMNS if c.integer},
}


def column_values(column: str) -> st.SearchStrategy[Any]:
    """A valid value of ``column`` or None (every column is nullable)."""
    return st.none() | VALUES[column]


@st.composite
def row_values(draw: Any, max_columns: int = 6) -> dict[str, Any]:
    """Values for a few columns of a new row (the others stay NULL)."""
    names = draw(st.lists(st.sampled_from([c.name for c in COLUMNS]), max_size=max_columns, unique=True))
    values = {name: draw(column_values(name), label=name) for name in names}
    if draw(st.booleans()):
        values["owner"] = draw(st.sampled_from(OWNERS))  # an owner's name: the property passes its id
    return values


# -- conditions and reads -------------------------------------------------------------------------------

LOOKUPS_ORDERED = ("exact", "gt", "gte", "lt", "lte", "in", "isnull")
LOOKUPS_TEXT = ("contains", "icontains")


def lookups_of(column: str) -> tuple[str, ...]:
    """The lookups the model judges on ``column``."""
    spec = BY_NAME[column]
    if not spec.comparable:
        return ("isnull",)
    found = ("exact", "in", "isnull") + (("gt", "gte", "lt", "lte") if spec.ordered else ())
    return found + (LOOKUPS_TEXT if spec.text else ())


@dataclass(frozen=True)
class Leaf:
    """``column__lookup=value`` (``value`` may be a list for ``in``)."""

    column: str
    lookup: str
    value: Any


F_OPS = ("+", "-", "*", "k+", "k-")  # F(other) + k, F(other) - k, F(other) * k, k + F(other), k - F(other)


def f_value(op: str, other: int, k: int) -> int:
    """The value of the F expression ``op`` (:data:`F_OPS`) on a row whose ``other`` column holds ``other``."""
    return {"+": other + k, "-": other - k, "*": other * k, "k+": k + other, "k-": k - other}[op]


@dataclass(frozen=True)
class FRef:
    """``column__lookup=F(other) + offset`` between two integer columns (``op``: see :data:`F_OPS`)."""

    column: str
    lookup: str
    other: str
    offset: int = 0
    op: str = "+"


@dataclass(frozen=True)
class Search:
    """``.search(term, fields)``: ``term`` as an ILIKE substring of any of the text ``fields``."""

    term: str
    fields: tuple[str, ...]


TEXT_COLUMNS = tuple(c.name for c in COLUMNS if c.text)


@dataclass(frozen=True)
class Node:
    """``Q(...) & Q(...)`` (``and``), ``|`` (``or``) or ``~Q(...)`` (``not``, one child)."""

    op: str
    children: tuple[Any, ...]


def _needle(pool: list[str]) -> st.SearchStrategy[str]:
    pieces = [p for v in pool if isinstance(v, str) for p in (v[:2], v[1:4], v[-3:]) if p]
    plain = st.text(st.sampled_from(list("abcABC xyz019é")), max_size=3)
    return (st.sampled_from(pieces) if pieces else plain) | plain | st.sampled_from(hostile_values.LIKE) | \
        st.sampled_from(["'", "''", "\\\\"])


@st.composite
def leaves(draw: Any, pool: dict[str, list[Any]], column: str | None = None, lookup: str | None = None) -> Any:
    """One condition: a lookup on a column with a value of its kind (often one already stored)."""
    column = column or draw(st.sampled_from([c.name for c in COLUMNS]))
    lookup = lookup or draw(st.sampled_from(lookups_of(column)))
    seen = [v for v in pool.get(column, []) if v is not None]
    value_of = (st.sampled_from(seen) | VALUES[column]) if seen else VALUES[column]
    if lookup == "isnull":
        return Leaf(column, lookup, draw(st.booleans()))
    if lookup in LOOKUPS_TEXT:
        return Leaf(column, lookup, draw(_needle(seen)))
    if lookup == "in":
        return Leaf(column, lookup, draw(st.lists(st.none() | value_of, max_size=3)))
    if lookup == "exact":
        return Leaf(column, lookup, draw(st.none() | value_of))
    if column in INTEGER_COLUMNS and draw(st.integers(0, 3)) == 0:
        other = draw(st.sampled_from(INTEGER_COLUMNS))
        return FRef(column, lookup, other, draw(st.sampled_from([0, 1, -1, 1000])),  # may overflow: see the oracle
                    draw(st.sampled_from(F_OPS)))
    return Leaf(column, lookup, draw(value_of))


def conditions(pool: dict[str, list[Any]], depth: int = 2) -> st.SearchStrategy[Any]:
    """A condition tree: leaves combined with and/or/not."""
    leaf = leaves(pool)
    if depth == 0:
        return leaf
    sub = conditions(pool, depth - 1)
    return st.one_of(
        leaf,
        st.builds(lambda cs: Node("and", tuple(cs)), st.lists(sub, min_size=1, max_size=3)),
        st.builds(lambda cs: Node("or", tuple(cs)), st.lists(sub, min_size=1, max_size=3)),
        st.builds(lambda c: Node("not", (c,)), sub),
    )


AGGREGATES = ("Count", "Sum", "Min", "Max", "Avg")
TERMINALS = ("all", "count", "exists", "first", "get", "aggregate", "get_or_none", "fetch_with_count")
# aggregate sources across one relation hop: the many-to-many (to many), the ForeignKey and the reverse OneToOne
RELATED_SOURCES = (("Count", "tags"), ("Max", "tags__label"), ("Min", "tags__label"), ("Count", "owner"),
                   ("Max", "owner__name"), ("Count", "profile"), ("Max", "profile__bio"))
TO_MANY = ("tags",)  # the relation whose join repeats an item row once per related row


def relation_filters() -> st.SearchStrategy[Leaf]:
    """A condition on the ForeignKey: ``owner=<the owner instance>``, ``owner__in``, ``owner__isnull`` or
    ``owner__name`` (a lookup across the relation, relations.md "Filtering by Related Objects")."""
    name = st.sampled_from(OWNERS)
    return st.one_of(
        st.builds(lambda n: Leaf("owner", "exact", n), name),
        st.builds(lambda ns: Leaf("owner", "in", ns), st.lists(name, max_size=2, unique=True)),
        st.builds(lambda b: Leaf("owner", "isnull", b), st.booleans()),
        st.builds(lambda n: Leaf("owner__name", "exact", n), name),
    )


@dataclass(frozen=True)
class Read:
    """One read through the ORM: ``filter(*q, **kwargs)``, ordering, slicing and a terminal."""

    q: tuple[Any, ...] = ()
    kwargs: tuple[Leaf, ...] = ()
    order: tuple[str, ...] = ()
    limit: int | None = None
    offset: int | None = None
    terminal: str = "all"
    aggregates: tuple[tuple[str, str], ...] = ()  # (function, column, "*" or a relation source)
    select_related: bool = False
    prefetch_related: bool = False
    annotations: tuple[tuple[str, str], ...] = ()  # (function or "F", source): annotate(a0=..., a1=...)
    search: Search | None = None


@st.composite
def reads(draw: Any, pool: dict[str, list[Any]]) -> Read:
    """A read: conditions, an ordering, a slice and a terminal."""
    q = tuple(draw(st.lists(conditions(pool), max_size=2)))
    kwargs = draw(st.lists(leaves(pool), max_size=2, unique_by=lambda leaf: leaf.column).map(
        lambda ls: tuple(x for x in ls if isinstance(x, Leaf))))
    if draw(st.integers(0, 7)) == 0:
        kwargs += (draw(relation_filters()),)
    search = None
    if draw(st.integers(0, 5)) == 0:
        texts = [v for c in TEXT_COLUMNS for v in pool.get(c, []) if isinstance(v, str)]
        search = Search(draw(_needle(texts)), tuple(draw(st.lists(st.sampled_from(TEXT_COLUMNS), min_size=1,
                                                                   max_size=3, unique=True))))
    terminal = draw(st.sampled_from(TERMINALS))
    orderable = [c.name for c in COLUMNS if c.ordered] + ["id", "owner_id"]
    order = tuple(draw(st.lists(st.sampled_from(orderable).flatmap(
        lambda n: st.sampled_from([n, "-" + n])), max_size=2, unique_by=lambda o: o.lstrip("-"))))
    limit = offset = None
    if terminal in ("all", "fetch_with_count") and draw(st.booleans()):
        limit, offset = draw(st.none() | st.integers(0, 4)), draw(st.none() | st.integers(0, 4))
    if terminal == "get_or_none":  # a Manager method: no ordering, no slice
        order = ()
    if terminal == "get":  # get() takes an exact lookup; keep it to keyword equality on one column
        q, order, kwargs = (), (), tuple(draw(st.lists(leaves(pool, lookup="exact").filter(
            lambda x: BY_NAME[x.column].comparable), min_size=1, max_size=1)))
    aggregates = ()
    column_aggregates = st.tuples(st.sampled_from(AGGREGATES), st.sampled_from(INTEGER_COLUMNS + ("d", "*"))).filter(
        lambda a: a[1] != "*" or a[0] == "Count")
    if terminal == "aggregate":
        related_ones = st.sampled_from(RELATED_SOURCES)
        aggregates = tuple(draw(st.lists(column_aggregates | related_ones, min_size=1, max_size=3, unique=True)))
    annotations = ()
    if terminal in ("all", "first", "fetch_with_count") and draw(st.integers(0, 3)) == 0:
        one = (st.sampled_from(RELATED_SOURCES) | column_aggregates.filter(lambda a: a[1] != "*") |
               st.tuples(st.just("F"), st.sampled_from(INTEGER_COLUMNS + ("d",))))
        annotations = tuple(draw(st.lists(one, min_size=1, max_size=2, unique=True)))
    related = terminal in ("all", "first", "fetch_with_count")
    return Read(q, kwargs, order, limit, offset, terminal, aggregates,
                select_related=related and draw(st.booleans()), prefetch_related=related and draw(st.booleans()),
                annotations=annotations, search=None if terminal in ("get", "get_or_none") else search)


REL_KINDS = ("owner_items", "owner_items_count", "owner_items_filter", "item_tags", "item_tag_ids",
             "item_tag_count", "tag_items", "tag_items_count", "item_profile", "item_profile_get")


@dataclass(frozen=True)
class Rel:
    """One read through a relation manager: ``kind`` (:data:`REL_KINDS`) on ``target`` (an owner's name, a tag's
    label, or the index of an item among the rows created so far), with keyword lookups for a filter."""

    kind: str
    target: Any
    kwargs: tuple[Leaf, ...] = ()


@st.composite
def relation_reads(draw: Any, pool: dict[str, list[Any]]) -> Rel:
    """A read through a reverse ForeignKey, a many-to-many manager (either side) or a reverse OneToOne."""
    kind = draw(st.sampled_from(REL_KINDS))
    if kind.startswith("owner_"):
        kwargs = tuple(draw(st.lists(leaves(pool), min_size=1, max_size=2, unique_by=lambda x: x.column).map(
            lambda ls: [x for x in ls if isinstance(x, Leaf)]))) if kind == "owner_items_filter" else ()
        return Rel(kind, draw(st.sampled_from(OWNERS)), kwargs)
    if kind.startswith("tag_"):
        return Rel(kind, draw(st.sampled_from(TAGS)))
    return Rel(kind, draw(st.integers(0, 7)))


# -- writes ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Write:
    """One write: ``kind`` and its arguments.

    ``create``/``bulk_create`` carry ``rows``; ``save`` an existing row (``target``, an index into the rows
    created so far) and ``values``; ``update``/``delete`` a condition (``q``) and for update ``values``, some of
    them ``("F", column, offset)`` expressions; ``get_or_create`` a lookup (``q``, a Leaf) and ``values`` as
    defaults; ``m2m_add``/``m2m_remove`` a row (``target``) and a tag name (``tag``); ``m2m_set`` a row and the
    tag names (``rows``), ``m2m_clear`` and ``instance_delete`` a row; ``profile`` a row (``target``, -1 for none)
    and a bio (``tag``); ``upsert`` the id of an existing row (``target``) or a new id (``q``, a UUID), its
    ``defaults`` (``values``) and ``update_fields`` (``fields``, None to update every default).
    """

    kind: str
    rows: tuple[Any, ...] = ()
    values: tuple[tuple[str, Any], ...] = ()
    q: Any = None
    target: int = 0
    tag: str = ""
    fields: tuple[str, ...] | None = None


@st.composite
def writes(draw: Any, pool: dict[str, list[Any]]) -> Write:
    kind = draw(st.sampled_from(["create", "bulk_create", "save", "update", "delete", "get_or_create",
                                 "m2m_add", "m2m_add", "m2m_remove", "bulk_update", "atomic_rollback", "upsert",
                                 "m2m_set", "m2m_clear", "instance_delete", "profile"]))
    if kind == "upsert":
        defaults = tuple(draw(row_values(max_columns=3)).items())
        fresh = draw(st.booleans())
        names = [c.name for c in COLUMNS] + ["owner"]
        fields = draw(st.none() | st.lists(st.sampled_from(names), max_size=3, unique=True).map(tuple))
        return Write(kind, values=defaults, target=-1 if fresh else draw(st.integers(0, 7)),
                     q=draw(st.uuids()) if fresh else None, fields=fields)
    if kind == "m2m_set":
        return Write(kind, rows=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))),
                     target=draw(st.integers(0, 7)))
    if kind in ("m2m_clear", "instance_delete"):
        return Write(kind, target=draw(st.integers(0, 7)))
    if kind == "profile":
        return Write(kind, target=draw(st.integers(-1, 7)), tag=draw(st.sampled_from(["", "bio", "x'y", "%"])))
    if kind == "create":
        return Write(kind, rows=(draw(row_values()),))
    if kind == "atomic_rollback":
        return Write(kind, rows=tuple(draw(st.lists(row_values(), min_size=1, max_size=2))),
                     q=draw(conditions(pool, depth=0)), values=(("b", False),))
    if kind == "bulk_update":
        values = tuple((k, v) for k, v in draw(row_values(max_columns=3)).items() if k != "owner")
        return Write(kind, values=values or (("i", 1),), target=draw(st.integers(0, 7)))
    if kind == "bulk_create":
        return Write(kind, rows=tuple(draw(st.lists(row_values(), max_size=3))))
    target = draw(st.integers(0, 7))
    if kind in ("m2m_add", "m2m_remove"):
        return Write(kind, target=target, tag=draw(st.sampled_from(TAGS)))
    values = tuple(draw(row_values(max_columns=3)).items())
    if kind == "save":
        return Write(kind, values=values, target=target)
    if kind == "get_or_create":
        lookup = draw(leaves(pool, lookup="exact").filter(lambda x: BY_NAME[x.column].comparable))
        return Write(kind, values=tuple((k, v) for k, v in values if k != lookup.column), q=lookup)
    q = draw(conditions(pool, depth=1))
    if kind == "delete":
        return Write(kind, q=q)
    if draw(st.booleans()):
        column = draw(st.sampled_from(INTEGER_COLUMNS))
        values = tuple((k, v) for k, v in values if k != column) + (
            (column, ("F", draw(st.sampled_from(INTEGER_COLUMNS)), draw(st.sampled_from([0, 1, -1, 5])),
                      draw(st.sampled_from(F_OPS)))),)
    return Write(kind, values=values or (("b", True),), q=q)


@dataclass(frozen=True)
class Program:
    """Rows to start from, then steps (writes and reads) in order."""

    rows: tuple[Any, ...]
    steps: tuple[Any, ...]


def _pool(rows: tuple[dict[str, Any], ...]) -> dict[str, list[Any]]:
    pool: dict[str, list[Any]] = {}
    for row in rows:
        for key, value in row.items():
            pool.setdefault(key, []).append(value)
    return pool


@st.composite
def programs(draw: Any, max_steps: int = 8) -> Program:
    """Initial rows, then a mix of reads and writes whose values are often ones the rows hold."""
    rows = tuple(draw(st.lists(row_values(), max_size=8)))
    pool = _pool(rows)
    steps = tuple(draw(st.lists(reads(pool) | writes(pool) | relation_reads(pool), min_size=1, max_size=max_steps)))
    return Program(rows, steps)


def program_source(program: Program) -> str:
    """Python source that evaluates back to ``program`` (with :func:`eval_program`)."""
    return repr(program)


def eval_program(source: str) -> Program:
    """The program ``source`` (from :func:`program_source`) names; only this module's names are in scope."""
    names = {"Program": Program, "Read": Read, "Write": Write, "Leaf": Leaf, "FRef": FRef, "Node": Node, "Rel": Rel,
             "Search": Search,
             "Color": Color, "datetime": datetime, "Decimal": decimal.Decimal, "UUID": uuid.UUID}
    value = eval(source, {"__builtins__": {}}, names)  # noqa: S307 - the suite's own repr, no builtins
    if not isinstance(value, Program):
        raise ValueError("not a program")
    return value


# -- hostile inputs for the refusal property ---------------------------------------------------------

NATIVE_MISMATCHES: tuple[Any, ...] = (
    True, 1.5, float("nan"), float("inf"), decimal.Decimal("1e30"), datetime.date(2026, 1, 1), datetime.time(1, 2),
    uuid.UUID(int=5), [1, "x"], {"a": 1}, b"\x00",
)
NUMERIC_FIELDS = ("Float", "Decimal")


def hostile_inputs(column: str) -> list[tuple[str, Any]]:
    """(class, input) pairs sent to ``column``: one value of each hostile string class of
    :mod:`strategies.values` (and NUL and a lone surrogate), integers (an integer column's own edges and one
    past them, every edge of :data:`strategies.values.INT_EDGES` for Float and Decimal, 0 and 2**64 for the
    others) and one Python value of each other type; for an Array column, each of them again as the one item
    of a list, a nested list, a None item and a tuple.

    No integer is sent to Binary: ``Binary`` turns ``n`` into ``bytes(n)``, an allocation of ``n`` bytes."""
    spec = BY_NAME[column]
    inputs: list[tuple[str, Any]] = list(hostile_values.HOSTILE_REPRESENTATIVES.items())
    inputs += [("nul_and_surrogates", "\ud800"), ("nul_and_surrogates", "a\x00b")]
    if spec.integer is not None:  # the column's own edges and one past them, and the 64-bit ones
        low, high = spec.integer if spec.minimum is None else (spec.minimum, spec.integer[1])
        edges: tuple[int, ...] = (low - 1, low, high, high + 1, -(2**63) - 1, 2**64)
    elif spec.field_class in NUMERIC_FIELDS:
        edges = tuple(hostile_values.INT_EDGES)
    else:
        edges = (0, 2**64)
    inputs += [("int_edges", v) for v in edges]
    inputs += [(f"native_{type(v).__name__}", v) for v in NATIVE_MISMATCHES]
    if column == "bn":
        inputs = [(c, v) for c, v in inputs if not isinstance(v, int) or isinstance(v, bool)]
    if spec.field_class == "Array":  # every scalar once more as the one item of a list, and malformed lists
        inputs += [(f"list_of_{c}", [v]) for c, v in inputs if not isinstance(v, list)]
        inputs += [("list_nested", [[1]]), ("list_null_item", [None]), ("list_as_tuple", (1,))]
    return inputs


def hostile_cases() -> st.SearchStrategy[tuple[str, str, Any]]:
    """(column, class, input): a column and a random hostile scalar (any class of :mod:`strategies.values`)."""
    return st.tuples(st.sampled_from([c.name for c in COLUMNS]),
                     st.sampled_from(sorted(hostile_values.HOSTILE_CLASSES))).flatmap(
        lambda pair: st.tuples(st.just(pair[0]), st.just(pair[1]), hostile_values.HOSTILE_CLASSES[pair[1]]))


# -- the sweep: every lookup of every column once, over fixed rows ----------------------------------------

SAMPLES: dict[str, tuple[Any, Any, Any]] = {
    "s": ("abc", "aB_c%", "zé"), "t": ("long text", "Ünïcode 🚀", "a\\b"), "em": ("a@b.co", "x.y@z.org", "zz@b.co"),
    "url": ("https://ex.com/a", "http://b.org/x_y", "https://Z.io/"), "slug": ("a-1", "b-2", "zz"),
    "i": (-5, 0, 2**31 - 1), "si": (-(2**15), 3, 2**15 - 1), "bi": (-(2**63), 7, 2**63 - 1),
    "pi": (0, 9, 2**31 - 1), "psi": (0, 4, 2**15 - 1), "pbi": (0, 11, 2**63 - 1),
    "f": (-2.25, 0.0, 1e300), "d": (decimal.Decimal("-9999.99"), decimal.Decimal("0.10"), decimal.Decimal("12.30")),
    "b": (False, True, True),
    "dt": (datetime.datetime(1900, 1, 1, tzinfo=UTC), datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
           datetime.datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    "da": (datetime.date(1, 1, 1), datetime.date(2026, 2, 28), datetime.date(9999, 12, 31)),
    "tm": (datetime.time(0, 0), datetime.time(12, 30, 0, 5), datetime.time(23, 59, 59, 999999)),
    "du": (datetime.timedelta(days=-3), datetime.timedelta(0), datetime.timedelta(days=2, microseconds=7)),
    "u": (uuid.UUID(int=1), uuid.UUID(int=2**127), uuid.UUID(int=2**128 - 1)),
    "e": (Color.RED, Color.GREEN, Color.BLUE), "ip": ("10.0.0.1", "::1", "192.168.1.20"),
    "j": ({"a": 1}, [1, "x", None], "text"), "ar": ([1, 2], [], [-(2**31)]), "bn": (b"", b"\x00\xff", b"abc"),
    "ars": (["a", "b c"], [], ["'", "é🚀", ""]), "arb": ([True, False], [], [False]), "arf": ([1.5, -0.0], [], [1e300]),
    "aru": ([uuid.UUID(int=1)], [], [uuid.UUID(int=2), uuid.UUID(int=3)]),
}
SAMPLE_OWNERS = ("ada", None, "bob", "ada")


def sample_rows() -> tuple[dict[str, Any], ...]:
    """Four rows: the three samples of every column in turn, and a row of NULLs."""
    rows = [{c: SAMPLES[c][n] for c in SAMPLES} for n in range(3)] + [{}]
    for row, owner in zip(rows, SAMPLE_OWNERS):
        if owner is not None:
            row["owner"] = owner
    return tuple(rows)


def _sweep_leaf(column: str, lookup: str) -> list[Any]:
    one, two, _ = SAMPLES[column]
    if lookup == "isnull":
        return [Leaf(column, lookup, True), Leaf(column, lookup, False)]
    if lookup == "in":
        return [Leaf(column, lookup, [one, two]), Leaf(column, lookup, [two, None]), Leaf(column, lookup, [])]
    if lookup == "exact":
        return [Leaf(column, lookup, two), Leaf(column, lookup, None)]
    if lookup in LOOKUPS_TEXT:
        return [Leaf(column, lookup, two[1:3]), Leaf(column, lookup, two[1:3].upper())]
    out = [Leaf(column, lookup, two)]
    if column in INTEGER_COLUMNS:
        out += [FRef(column, lookup, "psi"), FRef(column, lookup, "psi", 2, "*"), FRef(column, lookup, "psi", 1, "k-")]
    return out


def sweep_programs() -> list[tuple[str, Program]]:
    """(label, program): each lookup of each column as a filter and negated, each ordering, each aggregate."""
    rows = sample_rows()
    out = []
    for column in COLUMNS:
        steps: tuple[Any, ...] = ()
        for lookup in lookups_of(column.name):
            for leaf in _sweep_leaf(column.name, lookup):
                steps += (Read(kwargs=(leaf,)) if isinstance(leaf, Leaf) else Read(q=(leaf,)),
                          Read(q=(Node("not", (leaf,)),)), Read(q=(leaf,), terminal="count"))
        if column.ordered:
            steps += (Read(order=(column.name,)), Read(order=("-" + column.name,)),
                      Read(order=(column.name,), limit=2, offset=1), Read(order=("-" + column.name,), terminal="first"))
        out.append((column.field_class, Program(rows, steps)))
    aggregates = tuple((f, c) for c in INTEGER_COLUMNS + ("d",) for f in AGGREGATES) + (("Count", "*"),)
    out.append(("aggregates", Program(rows, (Read(aggregates=aggregates, terminal="aggregate"),))))
    related = (Read(select_related=True, prefetch_related=True),
               Read(terminal="first", order=("i",), select_related=True, prefetch_related=True), Read(terminal="exists"))
    links = tuple(Write(k, target=t, tag=g) for k, t, g in (("m2m_add", 0, "red"), ("m2m_add", 0, "blue"),
                                                                 ("m2m_add", 2, "red"), ("m2m_remove", 0, "red")))
    out.append(("relations", Program(rows, links + related)))
    writes_ = (Write("update", values=(("i", ("F", "psi", 5)), ("s", "upd")), q=Leaf("b", "exact", True)),
               Write("update", values=(("si", ("F", "psi", 3, "-")), ("bi", ("F", "pi", 2, "*")),
                                       ("pi", ("F", "psi", 40000, "k+")), ("psi", ("F", "psi", 0, "k-"))),
                     q=Leaf("psi", "lt", 5)),
               Write("get_or_create", values=(("s", "new"),), q=Leaf("slug", "exact", "zz")),
               Write("get_or_create", values=(("s", "new"),), q=Leaf("slug", "exact", "fresh")),
               Write("get_or_create", q=Leaf("b", "exact", True)),
               Write("save", values=(("d", decimal.Decimal("1.50")), ("owner", "cy")), target=3),
               Write("bulk_update", values=(("t", "bulk"), ("d", decimal.Decimal("2.00"))), target=1),
               Write("atomic_rollback", rows=({"s": "gone"},), q=Leaf("i", "isnull", False), values=(("b", False),)),
               Write("delete", q=Node("or", (Leaf("i", "lt", 0), Leaf("i", "isnull", True)))),
               Read(terminal="count"))
    out.append(("writes", Program(rows, writes_)))
    by_owner = (Read(kwargs=(Leaf("owner", "exact", "ada"),)), Read(kwargs=(Leaf("owner", "in", ["ada", "bob"]),)),
                Read(q=(Node("not", (Leaf("owner", "isnull", True),)),), terminal="count"),
                Read(q=(Node("or", (Leaf("owner", "exact", "bob"), Leaf("i", "lt", 0))),)),
                Read(kwargs=(Leaf("owner__name", "exact", "ada"),)))
    out.append(("relation filters", Program(rows, by_owner)))
    searches = tuple(Read(search=Search(term, fields), terminal=terminal) for term, fields, terminal in (
        ("B_", ("s",), "all"), ("ÜN", ("t", "s"), "all"), ("a\\b", ("t",), "count"), ("%", ("em", "url"), "all"),
        ("x_y", ("url", "slug"), "exists"), ("", ("s",), "count"), ("Z.IO", TEXT_COLUMNS, "first")))
    out.append(("search", Program(rows, searches + (Read(search=Search("a", ("s",)), kwargs=(Leaf("b", "exact", True),)),))))
    column_sources = tuple((f, c) for f in AGGREGATES for c in ("i", "d"))
    annotated = links + (
        Write("m2m_add", target=2, tag="green"), Write("profile", target=0, tag="bio"), Write("profile", target=-1, tag="orphan"),
        Read(annotations=RELATED_SOURCES + (("F", "i"), ("F", "d")), order=("i",)),
        Read(annotations=(("Count", "profile"), ("Max", "owner__name")) + column_sources, terminal="first",
             order=("-i",)),
        Read(annotations=(("Count", "tags"),), terminal="fetch_with_count", order=("i",), limit=2, offset=1),
        Read(terminal="fetch_with_count", order=("i",), limit=1, offset=9),
        Read(terminal="fetch_with_count", kwargs=(Leaf("b", "exact", True),), select_related=True),
        Read(terminal="aggregate", aggregates=RELATED_SOURCES, kwargs=(Leaf("i", "gte", 0),)),
        Read(terminal="aggregate", aggregates=(("Count", "tags"), ("Sum", "i"), ("Count", "*"))),
        Read(terminal="get_or_none", kwargs=(Leaf("slug", "exact", "zz"),)),
        Read(terminal="get_or_none", kwargs=(Leaf("slug", "exact", "none"),)),
        Read(terminal="get_or_none", q=(Leaf("b", "exact", True),)),
    )
    out.append(("annotations", Program(rows, annotated)))
    managers = links + (Write("profile", target=1, tag="p"), Write("profile", target=1, tag="again")) + tuple(
        Rel(kind, target, kwargs) for kind, target, kwargs in (
            ("owner_items", "ada", ()), ("owner_items_count", "ada", ()), ("owner_items", "cy", ()),
            ("owner_items_filter", "ada", (Leaf("i", "gte", 0),)), ("item_tags", 0, ()), ("item_tag_ids", 0, ()),
            ("item_tag_count", 0, ()), ("tag_items", "red", ()), ("tag_items_count", "red", ()),
            ("item_profile", 1, ()), ("item_profile", 0, ()), ("item_profile_get", 0, ()),
            ("item_profile_get", 1, ()))) + (
        Write("m2m_set", rows=("green", "red"), target=0), Rel("item_tags", 0), Write("m2m_set", target=2),
        Write("m2m_clear", target=0), Rel("tag_items", "red"), Write("instance_delete", target=1),
        Write("instance_delete", target=0), Rel("owner_items", "ada"), Read(terminal="count"))
    out.append(("relation managers", Program(rows, managers)))
    upserts = (Write("upsert", values=(("s", "up"), ("i", 9)), target=0),
               Write("upsert", values=(("s", "kept"), ("owner", "cy")), target=1, fields=("i", "owner")),
               Write("upsert", values=(("s", "new"), ("em", "New@X.io")), target=-1, q=uuid.UUID(int=77)),
               Write("upsert", target=2), Write("upsert", values=(("t", "none"),), target=3, fields=()),
               Read(terminal="count"))
    out.append(("upsert", Program(rows, upserts)))
    return out

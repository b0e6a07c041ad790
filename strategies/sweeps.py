"""Sweeps: every combination a target declares, each run once, ahead of random exploration.

The combination lists are pure functions of target metadata (and of the seeded rows, passed in as
data); each combination is the ordinary input of the property that sweeps it:

- :func:`filter_canaries` — every filterable field × lookup the valid-filter grammar knows (JSON
  fields: every string-valued key path and ``isnull``), with a canary value of the field's type,
  taken from a row the principal sees where there is one; and every search field with a term
  cut from one of its values. Input of ``query.filter_differential``.
- :func:`hostile_queries` — every filterable field × known lookup × hostile value class
  (:data:`strategies.values.HOSTILE_REPRESENTATIVES`, one value per class), as a pairwise
  covering array when the full product is larger than ``limit``; every paginator parameter
  (the resource's own and the others') × edge value; ``search`` × every hostile class;
  ``ordering`` × every injected expression. Input of ``query.injection_taint``.
- :func:`ordering_terms` — every ordering field × direction (made total with ``id``), and every field outside
  the ordering allowlist (which must be ignored). Input of ``query.ordering``.
- :func:`write_bodies_swept` — every field-wise write-body class (type confusion, boundary, bad text,
  null) × field kind, every restricted field, every other body class once, a valid body as every
  principal (creates). Input of the write properties.
- :func:`page_sizes` — the paginator's edge page sizes (1, 2, the default, the maximum), and the
  default size as every principal. Input of ``query.page_walk``.

Principals rotate over the combinations (each combination is run as one principal; a principal
that cannot see a field, e.g. an AI agent and an ``ai_sensitive`` field, is skipped for it).

:func:`leading` draws the combinations through Hypothesis ahead of a random strategy.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, Sequence

from hypothesis import strategies as st

from strategies.filters import (BACKEND_WORDS, NUMERIC_KINDS, TEXT_KINDS, _existing, _text_ok, as_query_text,
                                filterable, lookups_for)
from strategies.query import KNOWN_LOOKUPS, ORDERING_INJECTIONS, PAGINATION_KEYS
from strategies.values import HOSTILE_REPRESENTATIVES
from targets.base import FieldSpec, ResourceSpec

#: Values the page parameters are swept with: each boundary class once.
PAGE_EDGES = ("0", "1", "-1", "{max}", "{max+1}", str(2**31), str(2**63), "1.5", "1e3", "abc", "", " 1")

#: A value of each kind for a field no visible row has a value of (still a well-formed value).
FALLBACK = {"integer": "1", "bigint": "1", "smallint": "1", "decimal": "1.00", "float": "1.5", "boolean": "true",
            "date": "2026-01-01", "datetime": "2026-01-01T00:00:00+00:00",
            "uuid": "00000000-0000-4000-8000-000000000000", "fk": "00000000-0000-4000-8000-000000000000"}

#: Principal view: (name, rows it sees, fields hidden from it).
View = tuple[str, Sequence[dict], Sequence[str]]


def leading(combinations: Sequence[Any], explore: st.SearchStrategy[Any],
            on_draw: Callable[[int | None], None] | None = None) -> st.SearchStrategy[Any]:
    """Each of ``combinations`` once, first, then values of ``explore``.

    One ``sampled_from`` choice picks a combination or exploration (placed second, so that the
    simplest example is the first combination), and a combination's example draws nothing else.
    That leaf of Hypothesis' choice tree is exhausted after one run, so Hypothesis' search for
    novel inputs never repeats it and picks an unrun combination for each new example until all
    have run; after that only exploration is novel (measured: every combination in the first n
    examples, for n from 5 to 1500, on every seed tried). The test draws every other part of its
    input inside ``explore``. Nothing here is stateful: replay, shrinking (towards earlier
    combinations) and the example database treat it like any strategy. ``on_draw(i)`` is told each
    combination index drawn (``None``: exploration).
    """
    items = list(combinations)
    if not items:
        return explore
    order = [0, -1, *range(1, len(items))]  # -1: exploration

    def pick(i: int) -> st.SearchStrategy[Any]:
        if on_draw is not None:
            on_draw(None if i < 0 else i)
        return explore if i < 0 else st.just(items[i])

    return st.sampled_from(order).flatmap(pick)


def _rotation(views: Sequence[View]) -> Callable[[str], View | None]:
    """The next principal (round robin) that sees ``field``."""
    counter = itertools.count()

    def next_view(field: str) -> View | None:
        for _ in range(len(views)):
            view = views[next(counter) % len(views)]
            if field not in view[2]:
                return view
        return None

    return next_view


def _middle(values: Sequence[str]) -> str | None:
    ordered = sorted(set(values))
    return ordered[len(ordered) // 2] if ordered else None


def canary(field: FieldSpec, rows: Sequence[dict], lookup: str) -> str:
    """A well-formed value of ``field`` for ``lookup``, matching a row of ``rows`` where one has a usable value."""
    if lookup == "isnull":
        return "true" if any(r.get(field.column) is None for r in rows) else "false"
    existing = [as_query_text(v) for v in _existing(rows, field)]
    if field.kind in TEXT_KINDS:
        if lookup in ("contains", "icontains"):
            needles = [v[i:i + 3] for v in existing for i in range(0, max(1, len(v) - 2))]
            usable = [n for n in needles if n and _text_ok(n, "contains") and n.strip().lower() not in BACKEND_WORDS]
            return _middle(usable) or "a"
        usable = [v for v in existing if _text_ok(v, lookup) and v.strip().lower() not in BACKEND_WORDS]
        if lookup == "in" and len(set(usable)) > 1:
            first, *rest = sorted(set(usable))
            return f"{first},{rest[len(rest) // 2]}"
        return _middle(usable) or "canary"
    if field.kind == "boolean":
        return existing[0] if existing else "true"
    if field.kind in NUMERIC_KINDS or field.kind in ("date", "datetime", "uuid", "fk"):
        if lookup == "exact":
            existing = [v for v in existing if v.strip().lower() not in BACKEND_WORDS]
        if lookup == "in" and len(set(existing)) > 1:
            first, *rest = sorted(set(existing))
            return f"{first},{rest[len(rest) // 2]}"
        return _middle(existing) or FALLBACK.get(field.kind, "1")
    return existing[0] if existing else "1"


def _json_filters(field: FieldSpec, rows: Sequence[dict]) -> list[tuple[str, str]]:
    import json

    docs = [json.loads(v) if isinstance(v, str) else v for v in _existing(rows, field)]
    keys = sorted({k for d in docs if isinstance(d, dict) for k, v in d.items() if isinstance(v, str)})
    out = []
    for key in keys:
        values = [d[key] for d in docs if isinstance(d, dict) and isinstance(d.get(key), str) and _text_ok(d[key], "json")]
        if values:
            out.append((f"{field.name}__{key}", _middle(values) or values[0]))
    return [*out, (f"{field.name}__isnull", canary(field, rows, "isnull"))]


def field_lookups(resource: ResourceSpec, text_ranges: bool) -> list[tuple[FieldSpec, str]]:
    """Every filterable field × lookup of the valid-filter grammar (JSON fields: ``isnull``; paths come from rows)."""
    return [(f, lookup) for f in filterable(resource) for lookup in
            (["isnull"] if f.kind == "json" else lookups_for(f, text_ranges))]


def filter_canaries(resource: ResourceSpec, views: Sequence[View], text_ranges: bool) -> list[tuple[str, list]]:
    """``(principal, filters)``: every filterable field × lookup with a canary value, and every search field."""
    if not views:
        return []
    next_view = _rotation(views)
    combos: list[tuple[str, list]] = []
    for field in filterable(resource):
        lookups = lookups_for(field, text_ranges) if field.kind != "json" else [None]
        for lookup in lookups:
            view = next_view(field.name)
            if view is None:
                break
            name, rows, _ = view
            if lookup is None:
                combos += [(name, [pair]) for pair in _json_filters(field, rows)]
                continue
            key = field.name if lookup == "exact" else f"{field.name}__{lookup}"
            combos.append((name, [(key, canary(field, rows, lookup))]))
    for search in resource.search_fields:
        view = next_view(search)
        if view is None:
            continue
        name, rows, _ = view
        term = canary(resource.field(search), rows, "icontains")
        if (len(term) - len(term.rstrip("\\"))) % 2 == 0:
            combos.append((name, [("search", term)]))
    return combos


def pairwise(dimensions: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows covering every pair of values of every two dimensions at least once (greedy, deterministic).

    Each row starts from the first pair not yet covered and fills every other dimension with the value
    that covers the most new pairs with the dimensions already filled (AETG without randomness)."""
    dims = [list(d) for d in dimensions]
    if any(not d for d in dims):
        return []
    if len(dims) < 2:
        return [tuple(row) for row in itertools.product(*dims)]
    uncovered = {(a, i, b, j) for a, b in itertools.combinations(range(len(dims)), 2)
                 for i in range(len(dims[a])) for j in range(len(dims[b]))}
    rows = []
    while uncovered:
        a, i, b, j = min(uncovered)
        row: dict[int, int] = {a: i, b: j}
        for k in range(len(dims)):
            if k in row:
                continue
            row[k] = max(range(len(dims[k])), key=lambda v: (
                sum(((min(k, m), v if k < m else row[m], max(k, m), row[m] if k < m else v) in uncovered)
                    for m in row), -v))
        uncovered -= {(x, row[x], y, row[y]) for x, y in itertools.combinations(range(len(dims)), 2)}
        rows.append(tuple(dims[k][row[k]] for k in range(len(dims))))
    return rows


def covered_pairs(rows: Iterable[Sequence[Any]]) -> set[tuple[int, Any, int, Any]]:
    """The (dimension, value, dimension, value) pairs ``rows`` cover."""
    return {(a, row[a], b, row[b]) for row in rows for a, b in itertools.combinations(range(len(row)), 2)}


def hostile_queries(resource: ResourceSpec, principals: Sequence[str], limit: int = 600) -> list[tuple[str, list]]:
    """``(principal, query)``: field × lookup × hostile class × principal (pairwise when field × lookup × class
    is larger than ``limit``, else the full product with principals in turn), page parameters × edges,
    search × hostile class, ordering × injected expression."""
    if not principals:
        return []
    names = [f.name for f in filterable(resource)]
    classes = sorted(HOSTILE_REPRESENTATIVES)
    if len(names) * len(KNOWN_LOOKUPS) * len(classes) > limit:
        rows = pairwise([names, KNOWN_LOOKUPS, classes, list(principals)])
    else:
        rows = [(*triple, principals[i % len(principals)])
                for i, triple in enumerate(itertools.product(names, KNOWN_LOOKUPS, classes))]
    combos: list[tuple[str, list]] = []
    for name, lookup, cls, principal in rows:
        key = name if lookup == "exact" else f"{name}__{lookup}"
        combos.append((principal, [(key, HOSTILE_REPRESENTATIVES[cls])]))
    queries: list[list[tuple[str, str]]] = []
    for key in PAGINATION_KEYS:
        for edge in PAGE_EDGES:
            value = edge.replace("{max+1}", str(resource.page_max + 1)).replace("{max}", str(resource.page_max))
            queries.append([(key, value)])
    queries += [[("search", HOSTILE_REPRESENTATIVES[cls])] for cls in classes]
    queries += [[("ordering", term)] for term in ORDERING_INJECTIONS]
    return combos + [(principals[i % len(principals)], q) for i, q in enumerate(queries)]


def ordering_terms(resource: ResourceSpec, views: Sequence[View], text_ranges: bool) -> list[tuple[str, list]]:
    """``(principal, terms)``: every allowed ordering field × direction, made total with ``id``; then every model
    field outside the allowlist, descending before ``id`` (the filtering guide: "Terms must be in
    ``ordering_fields``", so the term is ignored and the rows come in ``id`` order), as a principal that sees it."""
    if not views:
        return []
    next_view = _rotation(views)
    combos = []
    for name in resource.ordering_fields:
        if name != "id" and not text_ranges and resource.field(name).kind in TEXT_KINDS:
            continue
        for term in ((name, "-" + name) if name != "id" else ("id", "-id")):
            view = next_view(name)
            if view is not None:
                combos.append((view[0], [term] if name == "id" else [term, "id"]))
    if "id" in resource.ordering_fields:
        for field in resource.fields:
            view = next_view(field.name) if field.name not in resource.ordering_fields else None
            if view is not None:
                combos.append((view[0], ["-" + field.name, "id"]))
    return combos


def page_sizes(resource: ResourceSpec, views: Sequence[View]) -> list[tuple[str, int]]:
    """``(principal, page size)``: the smallest sizes, the default and the maximum as the principal that sees the
    most rows and fields (the longest walks), then the default size as every other principal."""
    if not views:
        return []
    sizes = sorted({1, 2, resource.page_default, resource.page_max} - {0})
    richest = max(views, key=lambda v: (len(v[1]), -len(v[2])))[0]
    return [(richest, s) for s in sizes] + [(v[0], resource.page_default) for v in views if v[0] != richest]


def simplest(strategy: st.SearchStrategy[Any]) -> Any:
    """The simplest value ``strategy`` generates (Hypothesis' first, all-zero choice sequence): deterministic."""
    from hypothesis import HealthCheck, Phase, settings

    return quiet_find(strategy, lambda _: True, settings(
        database=None, derandomize=True, phases=[Phase.generate], max_examples=1,
        suppress_health_check=list(HealthCheck), deadline=None))


def quiet_find(strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool], settings: Any) -> Any:
    """Hypothesis' ``find``, without rendering its stop as a pytest failure.

    ``find`` ends by raising inside Hypothesis, which formats that exception as a test failure; inside a running
    pytest test the formatting goes through pytest's traceback rendering (about 0.2 s each under a fuzz test, two
    per call: 20 s of a write sweep). With no current test item Hypothesis formats it with the standard library.
    """
    import contextlib

    from hypothesis import find

    quiet: Any = contextlib.nullcontext()
    try:
        from hypothesis.internal.escalation import current_pytest_item
    except ImportError:  # a Hypothesis whose internals differ: the slower rendering, same result
        pass
    else:
        if hasattr(current_pytest_item, "with_value"):
            quiet = current_pytest_item.with_value(None)
    with quiet:
        return find(strategy, condition, settings=settings)


#: Write-body classes that replace one field's value, with the field kinds each applies to (None: every kind).
FIELD_CLASSES = {
    "type_confusion": None,
    "boundary": frozenset({"smallint", "integer", "bigint", "decimal", "float", "date", "datetime", "json"}),
    "bad_text": frozenset({"string", "text", "slug", "email", "url", "json"}),
    "null_all": None,
}


def write_bodies_swept(resource: ResourceSpec, fk_ids: Any, writer: str, principals: Sequence[str]) -> list[tuple[str, Any]]:
    """``(principal, WriteBody)`` creates: every field-wise payload class × field kind (the first field of each kind)
    and every restricted field, as ``writer``; every other payload class once as ``writer``; a valid body as every
    principal. Each body is the simplest valid document with that one change (or the class's simplest body)."""
    from strategies import payloads as pl

    base = simplest(pl.valid_bodies(resource, fk_ids)).document
    combos: list[tuple[str, Any]] = []
    by_kind: dict[str, FieldSpec] = {}
    for spec in sorted(pl.client_fields(resource), key=lambda f: bool(f.choices)):  # a field without choices first
        by_kind.setdefault(spec.kind, spec)
    values = {"type_confusion": pl.type_confused_values, "boundary": pl.boundary_values,
              "bad_text": pl.bad_text_values, "null_all": lambda spec: st.none()}
    for cls, kinds in FIELD_CLASSES.items():
        for kind, spec in sorted(by_kind.items()):
            if kinds is not None and (kind not in kinds or (cls == "bad_text" and spec.choices)):
                continue
            document = {**base, spec.input_key: simplest(values[cls](spec))}
            combos.append((writer, pl.WriteBody(cls, document, clean=cls == "null_all" and spec.nullable)))
    for spec in pl.restricted_fields(resource):
        document = {**base, spec.input_key: simplest(pl.restricted_values(spec))}
        combos.append((writer, pl.WriteBody("restricted_key", document, clean=True)))
    classes = pl.body_classes(resource, fk_ids)
    for cls in ("unknown_key", "nested_denied", "deep", "wide", "malformed_json", "duplicate_keys", "content_type"):
        try:
            combos.append((writer, simplest(classes[cls])))
        except Exception:  # noqa: BLE001 - a class that cannot apply to this resource (no JSON field, ...)
            continue
    valid = pl.WriteBody("valid", base, clean=True)
    combos += [(p, valid) for p in principals]
    return combos


#: A tool as the credential sweep sees it: (name, required scope, the other inputs of the MCP decision).
ToolKey = tuple[str, str, tuple[Any, ...]]


def credential_tools(tools: Sequence[ToolKey], models: Sequence[str], limit: int = 2500) -> list[tuple[str, Any, str]]:
    """``(class, ClaimsCase, tool)``: every credential class (:func:`strategies.tokens.credential_classes`, each
    relative to the tool's required scope) × every MCP tool.

    When the product is larger than ``limit``, tools that share the inputs of the decision (required access,
    the third element of :data:`ToolKey`: tenant scoping, approval) form a group: every class × one tool of each
    group, and every other tool with the valid class and the classes in turn (one each)."""
    from strategies.tokens import credential_classes

    per_tool = {name: credential_classes(required, models) for name, required, _ in tools}
    if sum(len(c) for c in per_tool.values()) <= limit:
        return [(label, case, name) for name, *_ in tools for label, case in per_tool[name]]
    groups: dict[tuple[Any, ...], list[str]] = {}
    for name, required, inputs in tools:
        groups.setdefault((required.split(":")[1], *inputs), []).append(name)
    combos = []
    for members in groups.values():
        first, *rest = members
        combos += [(label, case, first) for label, case in per_tool[first]]
        for i, name in enumerate(rest):
            classes = per_tool[name]
            combos += [(*classes[0], name), (*classes[1 + i % (len(classes) - 1)], name)]
    return [(label, case, name) for label, case, name in combos]


def twins(tools: Sequence[str], principals: Sequence[str]) -> list[tuple[str, str]]:
    """``(principal, tool)``: every REST/MCP twin (an MCP tool and the route it re-dispatches to) × every AI
    principal (a product of tools and AI principals, small on any app)."""
    return [(p, t) for t in tools for p in principals]

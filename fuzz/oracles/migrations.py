"""Oracles of the migration round trip: each ``check_*`` returns findings, never raises.

Property ids and the ``stage`` fact they carry:

- ``migrations.generation_valid`` (stage ``define``/``generate``): a model definition is either rejected
  with a clear error (a ``ValueError`` with a message) or yields migration source that compiles, loads and
  describes the same DDL as the in-memory operations, and DDL that sqlglot parses as PostgreSQL;
- ``migrations.apply_succeeds`` (stage ``apply``): generated DDL applies on the real PostgreSQL;
- ``migrations.catalog_matches`` (stage ``catalog``): the catalog holds exactly the declared tables, columns,
  types, nullability, defaults (by value), unique constraints, indexes and foreign keys, with no truncation
  collision and no extra object (readings in :mod:`fuzz.oracles.migrations_expected`);
- ``migrations.idempotent`` (stage ``idempotence``): change detection against the just-applied migrations
  yields no operation;
- ``migrations.reverse_restores`` (stage ``reverse``): applying the operations' ``reverse()`` (when every
  operation has one) restores the previous catalog;
- ``migrations.quoting_holds`` (stage ``canary``): every executed DDL string is one statement and the canary
  table survives;
- ``migrations.handwritten_round_trip``: hand-written operation sequences pass the apply, canary,
  catalog and reverse oracles above (expected schema from :mod:`fuzz.oracles.migrations_handwritten`);
- ``migrations.guardrail_blocks`` (stage ``guardrail``): a whitespace, comment, case or quoting variant of a
  statement ``RunSQL`` claims to block (DROP TABLE, DROP DATABASE, TRUNCATE, DELETE FROM, DROP SCHEMA) is
  blocked like the canonical spelling.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

from fuzz import catalog as property_catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from targets.pg_catalog import Catalog, DefaultValue
from targets.migration_ddl import ParsedStatement
from fuzz.oracles.migrations_expected import ExpectedTable
from strategies.identifiers import primary_class
from targets.pg_identifiers import pg_truncate


@dataclass
class Context:
    """What every finding of one step carries: facts and a lazily built reproducer."""

    step: int = 0
    change: str = "initial"
    reproducer: Callable[[], str] | None = None
    facts: dict[str, str] = field(default_factory=dict)

    def finding(self, property_id: str, message: str, *, observed: Any = None, expected: Any = None,
                **facts: Any) -> Finding:
        merged = {"step": str(self.step), "change": self.change.split(" ")[0], **self.facts}
        merged.update({k: str(v) for k, v in facts.items()})
        return Finding(property_id, message, observed=observed, expected=expected, facts=merged,
                       reproducer=self.reproducer() if self.reproducer else None)


def _exc_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"


def value_class(value: Any) -> str:
    """A short label of a default value's hostile class, for ledger facts."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, float):
        if math.isnan(value):
            return "float_nan"
        if math.isinf(value):
            return "float_inf"
        return "float"
    if isinstance(value, Decimal):
        return "decimal_nan" if value.is_nan() else "decimal"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        for mark, label in (("'", "quote"), ("\\", "backslash"), ("$", "dollar")):
            if mark in value:
                return f"str_{label}"
        return "str"
    return type(value).__name__.lower()


# --------------------------------------------------------------------------- generation

def check_rejection(exc: BaseException, ctx: Context, stage: str) -> list[Finding]:
    """A definition may be refused only with a ``ValueError`` carrying a message; anything else is a crash."""
    judged(property_catalog.MIGRATIONS_GENERATION_VALID)
    if isinstance(exc, ValueError) and not isinstance(exc, UnicodeError) and str(exc).strip():
        return []
    return [ctx.finding(
        property_catalog.MIGRATIONS_GENERATION_VALID, f"{stage} crashed instead of rejecting with a clear error: {_exc_text(exc)}",
        observed=_exc_text(exc), expected="ValueError naming the problem, or a valid migration",
        stage=stage, problem="crash", exception=type(exc).__name__, error=str(exc)[:300],
    )]


def check_source(source_error: BaseException | None, memory_ddl: Sequence[str], loaded_ddl: Sequence[str] | None,
                 ctx: Context, names: str = "") -> list[Finding]:
    """Generated migration source compiles, loads, and describes exactly the in-memory operations' DDL."""
    judged(property_catalog.MIGRATIONS_GENERATION_VALID)
    if source_error is not None:
        cause = source_error.__cause__ or source_error
        problem = "source_syntax" if isinstance(cause, SyntaxError) else "source_load"
        return [ctx.finding(
            property_catalog.MIGRATIONS_GENERATION_VALID, f"generated migration source does not load: {_exc_text(cause)}",
            observed=_exc_text(cause), expected="an importable migration file",
            stage="generate", problem=problem, exception=type(cause).__name__, error=str(cause)[:300], names=names,
        )]
    if loaded_ddl is None or list(loaded_ddl) == list(memory_ddl):
        return []
    memory, loaded = list(memory_ddl), list(loaded_ddl)
    return [ctx.finding(  # every differing statement judged, not only the first
        property_catalog.MIGRATIONS_GENERATION_VALID, f"the migration file's operations differ from the detected operations "
        f"(statement {diff})",
        observed=loaded[diff:diff + 1], expected=memory[diff:diff + 1],
        stage="generate", problem="source_mismatch", names=names,
        **ddl_difference("".join(memory[diff:diff + 1]), "".join(loaded[diff:diff + 1])),
    ) for diff in range(max(len(memory), len(loaded)))
        if memory[diff:diff + 1] != loaded[diff:diff + 1]]


#: Column clauses whose presence a statement difference names (``ddl_difference``).
DDL_CLAUSES = ("PRIMARY KEY", "NOT NULL", "UNIQUE", "DEFAULT", "REFERENCES", "CHECK", "COLLATE", "GENERATED")
_QUOTED = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'')
_COLUMN_TYPE = re.compile(r'(?:^\s*|\bADD COLUMN (?:IF NOT EXISTS )?)""\s+([A-Z][A-Z ]*?)\s*(\([^)]*\))?'
                          r'(?=\s+(?:PRIMARY|NOT|NULL|UNIQUE|DEFAULT|REFERENCES|CHECK|COLLATE|GENERATED)\b|\s*,?\s*$)')


def ddl_difference(expected: str, observed: str) -> dict[str, str]:
    """Where two DDL statements first differ, as root-cause facts: the differing line's column type
    (``column_type``, its name without arguments), whether the other line's type differs (``type_changed``:
    ``yes``, ``args`` when only its arguments such as a length differ, or ``no``), the clauses only the
    expected line has (``clause_lost``) and only the observed one has (``clause_added``), and ``explained``
    (``no`` when none of these tells the lines apart, e.g. another default value). Identifiers and literals
    are blanked first, so names and values never enter a signature."""
    def blank(line: str) -> str:
        return _QUOTED.sub('""', line)

    def column_type(line: str) -> tuple[str, str]:
        match = _COLUMN_TYPE.search(line)
        return (match.group(1).strip(), match.group(2) or "") if match else ("-", "")

    for want, got in itertools.zip_longest(expected.splitlines(), observed.splitlines(), fillvalue=""):
        if want == got:
            continue
        want, got = blank(want), blank(got)
        (kind, args), (other, other_args) = column_type(want), column_type(got)
        changed = "yes" if kind != other else "args" if args != other_args else "no"
        lost = [c for c in DDL_CLAUSES if c in want and c not in got]
        added = [c for c in DDL_CLAUSES if c in got and c not in want]
        return {"column_type": kind if kind != "-" else other, "type_changed": changed,
                "clause_lost": ",".join(lost) or "-", "clause_added": ",".join(added) or "-",
                "explained": "yes" if lost or added or changed != "no" else "no"}
    return {}


def check_ddl_parses(parsed: Sequence[ParsedStatement], ctx: Context) -> list[Finding]:
    """Each executed string parses as PostgreSQL (sqlglot) and holds exactly one statement."""
    judged(property_catalog.MIGRATIONS_GENERATION_VALID)
    findings = []
    for statement in parsed:
        if statement.error is not None:
            findings.append(ctx.finding(
                property_catalog.MIGRATIONS_GENERATION_VALID, f"generated DDL does not parse as PostgreSQL: {statement.error}",
                observed=statement.sql[:500], expected="DDL sqlglot parses", stage="generate", problem="ddl_parse",
                sql=statement.sql[:4000],
            ))
        elif not statement.single:
            findings.append(ctx.finding(
                property_catalog.MIGRATIONS_QUOTING_HOLDS, f"one DDL string holds {len(statement.kinds)} statements {statement.kinds}",
                observed=statement.sql[:500], expected="one statement per executed string",
                stage="canary", problem="multi_statement", sql=statement.sql[:4000],
            ))
    return findings


# --------------------------------------------------------------------------- database

def check_apply(error: BaseException | None, ctx: Context, names: str = "") -> list[Finding]:
    """Generated DDL applies on PostgreSQL."""
    judged(property_catalog.MIGRATIONS_APPLY_SUCCEEDS)
    if error is None:
        return []
    cause = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    return [ctx.finding(
        property_catalog.MIGRATIONS_APPLY_SUCCEEDS, f"generated migration fails on PostgreSQL: {_exc_text(cause)}",
        observed=_exc_text(cause), expected="the migration applies",
        stage="apply", exception=type(cause).__name__, sqlstate=getattr(cause, "sqlstate", "") or "",
        error=str(cause)[:300], names=names,
    )]


def check_canary(state: str, ctx: Context) -> list[Finding]:
    """The canary table outside the example schema is intact."""
    judged(property_catalog.MIGRATIONS_QUOTING_HOLDS)
    if state == "alive":
        return []
    return [ctx.finding(property_catalog.MIGRATIONS_QUOTING_HOLDS, f"the canary table did not survive: {state}",
                        observed=state, expected="alive", stage="canary", problem="canary")]


def _norm_json(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, list):
        return [_norm_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm_json(v) for k, v in value.items()}
    return value


def same_value(declared: Any, observed: Any, type_name: str) -> bool:
    """Declared default == value PostgreSQL produces (NaN equals NaN, JSON compared as JSON)."""
    if type_name in ("jsonb", "json"):
        try:
            observed = json.loads(observed) if isinstance(observed, str) else observed
        except ValueError:
            return False
        return _norm_json(declared) == _norm_json(observed)
    if type_name == "inet":  # a host address is read back as an address or an interface (/32, /128)
        try:
            return ipaddress.ip_interface(str(declared)) == ipaddress.ip_interface(str(observed))
        except ValueError:
            return False
    if isinstance(declared, float) and math.isnan(declared):
        return isinstance(observed, float) and math.isnan(observed)
    if isinstance(declared, Decimal) and declared.is_nan():
        return isinstance(observed, Decimal) and observed.is_nan()
    if isinstance(declared, bool) != isinstance(observed, bool):
        return False
    return observed == declared


def _has_unique(table, columns: tuple[str, ...]) -> bool:
    return any(c.kind in ("u", "p") and c.columns == columns for c in table.constraints) or any(
        i.unique and i.columns == columns for i in table.indexes)


def check_catalog(tables: Sequence[ExpectedTable], catalog: Catalog,
                  defaults: Mapping[tuple[str, str], DefaultValue], ctx: Context) -> list[Finding]:
    """The catalog holds exactly the declared objects (see :mod:`fuzz.oracles.migrations_expected` for readings)."""
    judged(property_catalog.MIGRATIONS_CATALOG_MATCHES)
    findings: list[Finding] = []

    def add(problem: str, message: str, name: str = "", **facts: Any) -> None:
        findings.append(ctx.finding(property_catalog.MIGRATIONS_CATALOG_MATCHES, message, stage="catalog", problem=problem,
                                    identifier_class=primary_class(name) if name else "plain", name=name, **facts))

    by_stored: dict[str, list[ExpectedTable]] = {}
    for table in tables:
        by_stored.setdefault(table.stored_name, []).append(table)
    for stored, group in by_stored.items():
        if len(group) > 1:
            kinds = "+".join(sorted({"junction" if "." in t.model else "model" for t in group}))
            add("truncation_collision", f"{len(group)} declared tables are stored as one: {stored!r}",
                group[0].name, object="table", table_kind=kinds, declared=[t.name for t in group])
    for table in tables:
        if len(by_stored[table.stored_name]) > 1:
            continue  # one stored table stands for several declared ones: the collision says it all
        actual = catalog.tables.get(table.stored_name)
        kind = "junction" if "." in table.model else "model"
        if actual is None:
            add("missing_table", f"declared {kind} table {table.name!r} is not in the catalog", table.name,
                table_kind=kind)
            continue
        wanted: dict[str, list] = {}
        for column in table.columns:
            wanted.setdefault(pg_truncate(column.name), []).append(column)
        for stored, group in wanted.items():
            if len(group) > 1:
                add("truncation_collision", f"declared columns {[c.name for c in group]} are stored as {stored!r}",
                    group[0].name, object="column")
        for stored, group in wanted.items():
            column = group[0]
            got = actual.columns.get(stored)
            facts = {"field_kind": column.field_kind, "table_kind": kind}
            if got is None:
                add("missing_column", f"{table.name!r}.{column.name!r} is not in the catalog", column.name, **facts)
                continue
            if got.type != column.type:
                add("type", f"{table.name!r}.{column.name!r} is {got.type}, declared {column.type}", column.name,
                    observed_type=got.type, declared_type=column.type, **facts)
            if got.not_null != column.not_null:
                add("nullability", f"{table.name!r}.{column.name!r} NOT NULL={got.not_null}, declared "
                    f"{column.not_null}", column.name, **facts)
            if column.default_mode == "value":
                vclass = value_class(column.default)
                if got.default is None:
                    add("default_missing", f"{table.name!r}.{column.name!r} has no database default; declared "
                        f"{column.default!r}", column.name, default_class=vclass, **facts)
                else:
                    evaluated = defaults.get((table.stored_name, stored))
                    if evaluated is not None and evaluated.error is not None:
                        add("default_unusable", f"{table.name!r}.{column.name!r} default {got.default} cannot be "
                            f"evaluated: {evaluated.error}", column.name, default_class=vclass, **facts)
                    elif evaluated is not None and not same_value(column.default, evaluated.value, got.type):
                        add("default_value", f"{table.name!r}.{column.name!r} default is {evaluated.text!r}, "
                            f"declared {column.default!r}", column.name, default_class=vclass, **facts)
            elif column.default_mode == "none" and got.default not in (None, "NULL") and not got.default.startswith("NULL::"):
                add("default_unexpected", f"{table.name!r}.{column.name!r} has default {got.default}, none declared",
                    column.name, **facts)
        declared_cols = set(wanted)
        for extra in sorted(set(actual.columns) - declared_cols):
            add("extra_column", f"{table.name!r} has undeclared column {extra!r}", extra, table_kind=kind)
        for column in table.unique:
            if not _has_unique(actual, (pg_truncate(column),)):
                field_kind = next((c.field_kind for c in table.columns if c.name == column), "")
                add("missing_unique", f"{table.name!r}.{column!r} is declared unique but has no unique constraint",
                    column, field_kind=field_kind, table_kind=kind)
        for columns in table.unique_sets:
            if not _has_unique(actual, tuple(pg_truncate(c) for c in columns)):
                add("missing_unique", f"{table.name!r} lacks unique {columns}", columns[0], table_kind=kind)
        for column in table.indexes:
            if not any(i.columns == (pg_truncate(column),) for i in actual.indexes):
                field_kind = next((c.field_kind for c in table.columns if c.name == column), "")
                add("missing_index", f"{table.name!r}.{column!r} is declared db_index but has no index", column,
                    field_kind=field_kind, table_kind=kind)
        expected_fks = {(pg_truncate(c), pg_truncate(ref)): action for c, ref, action in table.fks}
        actual_fks = {(c.columns[0] if len(c.columns) == 1 else c.columns, c.ref_table): c
                      for c in actual.constraints if c.kind == "f"}
        for (column, ref), action in expected_fks.items():
            got = actual_fks.get((column, ref))
            if got is None:
                add("missing_fk", f"{table.name!r}.{column!r} has no foreign key to {ref!r}", column, table_kind=kind)
            elif got.ref_columns != ("id",) or (action and got.on_delete != action):
                add("fk_mismatch", f"{table.name!r}.{column!r} references {got.ref_table}{got.ref_columns} "
                    f"ON DELETE {got.on_delete}, declared {ref}(id) ON DELETE {action}", column, table_kind=kind)
        for key in sorted(set(actual_fks) - set(expected_fks), key=str):
            add("extra_fk", f"{table.name!r} has an undeclared foreign key {key}", str(key[0]), table_kind=kind)
        for name, columns, unique in table.named_indexes:
            stored_columns = tuple(pg_truncate(c) for c in columns)
            got_index = next((i for i in actual.indexes if i.name == pg_truncate(name)), None)
            if got_index is None:
                add("missing_named_index", f"{table.name!r} has no index named {name!r}", name, table_kind=kind)
            elif got_index.columns != stored_columns or got_index.unique != unique:
                add("index_mismatch", f"index {name!r} is on {got_index.columns} unique={got_index.unique}, "
                    f"declared {stored_columns} unique={unique}", name, table_kind=kind)
        explained = {(pg_truncate(c),) for c in table.unique + table.indexes}
        explained |= {tuple(pg_truncate(c) for c in s) for s in table.unique_sets}
        explained |= {tuple(pg_truncate(c) for c in cols) for _, cols, _ in table.named_indexes}
        for index in actual.indexes:
            if not index.primary and index.columns not in explained:
                add("extra_index", f"{table.name!r} has an undeclared index on {index.columns}", index.name,
                    table_kind=kind)
    for extra in sorted(set(catalog.tables) - set(by_stored)):
        add("extra_table", f"undeclared table {extra!r} is in the catalog", extra)
    for relkind, name in catalog.other_objects:
        add("extra_object", f"undeclared relation {name!r} (relkind {relkind}) is in the catalog", name)
    return findings


# --------------------------------------------------------------------------- convergence and reversal

def check_idempotent(operations: Sequence[Any], ctx: Context, column_kinds: str = "") -> list[Finding]:
    """Detecting changes right after applying the generated migrations yields nothing.

    ``column_kinds`` names the runtime field classes of the columns the operations touch (a fact only).
    """
    judged(property_catalog.MIGRATIONS_IDEMPOTENT)
    if not operations:
        return []
    described = [op.describe() for op in operations]
    return [ctx.finding(
        property_catalog.MIGRATIONS_IDEMPOTENT, f"change detection is not idempotent: {len(operations)} operation(s) again",
        observed=described[:5], expected=[], stage="idempotence",
        operations=",".join(sorted({type(op).__name__ for op in operations})), column_kinds=column_kinds,
    )]


def _catalog_diff(before: Catalog, after: Catalog) -> list[str]:
    lines = []
    for name in sorted(set(before.tables) | set(after.tables)):
        a, b = before.tables.get(name), after.tables.get(name)
        if a is None or b is None:
            lines.append(f"table {name!r}: {'missing' if b is None else 'extra'}")
        elif a.key() != b.key():
            lines.append(f"table {name!r} differs")
    if before.other_objects != after.other_objects:
        lines.append(f"other objects {before.other_objects} -> {after.other_objects}")
    return lines


def check_reverse(before: Catalog, restored: Catalog | None, error: BaseException | None,
                  ctx: Context, operations: str = "") -> list[Finding]:
    """Applying every operation's ``reverse()`` in reverse order restores the previous catalog."""
    judged(property_catalog.MIGRATIONS_REVERSE_RESTORES)
    if error is not None:
        return [ctx.finding(property_catalog.MIGRATIONS_REVERSE_RESTORES, f"reversing the migration fails: {_exc_text(error)}",
                            observed=_exc_text(error), stage="reverse", problem="reverse_error",
                            exception=type(error).__name__, error=str(error)[:300], operations=operations)]
    if restored is not None and restored.key() != before.key():
        return [ctx.finding(property_catalog.MIGRATIONS_REVERSE_RESTORES, "reversing the migration does not restore the catalog",
                            observed=_catalog_diff(before, restored), expected="the previous catalog",
                            stage="reverse", problem="not_restored", operations=operations)]
    return []


# --------------------------------------------------------------------------- hand-written migrations

def check_handwritten(stage_findings: Sequence[Finding]) -> list[Finding]:
    """A hand-written migration passes every stage oracle (apply, canary, catalog, reverse); each violation
    keeps its stage's property, so a known defect is recognised whoever wrote the operations."""
    judged(property_catalog.MIGRATIONS_HANDWRITTEN_ROUND_TRIP)
    return list(stage_findings)


# --------------------------------------------------------------------------- RunSQL guardrail

@dataclass(frozen=True)
class GuardrailOutcome:
    statement: str       # which claimed statement the variant spells (e.g. "DROP TABLE")
    variant: str
    blocked: bool        # RunSQL refused to run it
    effective: bool      # PostgreSQL accepted it and it did its damage (or would have: DROP DATABASE)
    canonical_blocked: bool


def check_guardrail(outcome: GuardrailOutcome, ctx: Context) -> list[Finding]:
    """A variant PostgreSQL treats like a blocked statement must be blocked like its canonical spelling."""
    judged(property_catalog.MIGRATIONS_GUARDRAIL_BLOCKS)
    findings = []
    if not outcome.canonical_blocked:
        findings.append(ctx.finding(property_catalog.MIGRATIONS_GUARDRAIL_BLOCKS, f"the canonical {outcome.statement} is not blocked",
                                    observed="ran", expected="blocked", stage="guardrail",
                                    statement=outcome.statement, variant="canonical"))
    if outcome.effective and not outcome.blocked:  # judged whether or not the canonical spelling is blocked
        findings.append(ctx.finding(
            property_catalog.MIGRATIONS_GUARDRAIL_BLOCKS,
            f"RunSQL ran a {outcome.statement} spelled {outcome.variant!r} without "
            "AKSARA_ALLOW_DANGEROUS_MIGRATIONS",
            observed="executed", expected="DANGEROUS MIGRATION BLOCKED", stage="guardrail",
            statement=outcome.statement, variant=outcome.variant,
        ))
    return findings

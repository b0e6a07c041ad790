"""The hand-written migration property catches planted faults in real Aksara and is quiet on correct ones.

A fixed migration history a team could write (every operation shape, plain names, defaults Aksara renders)
runs clean on the real PostgreSQL; a planted fault (a unique index created plain, a reverse that does not
undo, a default written without escaping) is caught by the stage oracle it breaks. The strategy is checked
for what it reaches and for operations that always refer to what exists.
"""

from __future__ import annotations

import datetime
import decimal

import pytest
from aksara.migrations import operations as aksara_ops

from fuzz import catalog
from fuzz.oracles import migrations_handwritten as handwritten
from fuzz.properties.migrations_lab import MigrationLab
from strategies.handwritten import (
    FieldDef, HandMigrations, IndexDef, OpDef, build_operations, hand_migrations, lit,
)
from targets.pg_identifiers import CANARY_TABLE
from tests.support.plants import handwritten as handwritten_plant


@pytest.fixture(scope="module")
def lab(pg_server):
    lab = MigrationLab.on_server(pg_server)
    yield lab
    lab.close()


def op(kind: str, /, **kwargs) -> OpDef:
    return OpDef(kind, tuple((k, lit(v)) for k, v in kwargs.items()))


def field(cls: str, *args, **options) -> FieldDef:
    return FieldDef(cls, args, tuple((k, lit(v)) for k, v in options.items()))


ID = ("id", field("UUIDField", primary_key=True))
AUTHORS = op("CreateTable", name="authors", fields=(
    ID, ("name", field("StringField", max_length=80, unique=True)), ("bio", field("TextField", nullable=True)),
    ("rank", field("SmallIntegerField", default=3)), ("score", field("DecimalField", 8, 3, default=decimal.Decimal("1.250"))),
    ("joined", field("DateField", default=datetime.date(2020, 1, 2))), ("seen", field("DateTimeField", auto_now_add=True)),
    ("meta", field("JSONField", default={"a": ["x'y", 1]})), ("tags", field("ArrayField", "TEXT[]", default=["o'k", "$$"])),
))
BOOKS = op("CreateTable", name="books", fields=(
    ID, ("author_id", field("ForeignKeyField", "authors", on_delete="CASCADE")),
    ("title", field("StringField", max_length=200, default="it's")), ("pages", field("IntegerField", nullable=True)),
    ("ip", field("IPAddressField", nullable=True, default="10.0.0.1")), ("took", field("DurationField", nullable=True)),
), indexes=(IndexDef("books_title_pages", "books", ("title", "pages"), unique=True),))
CLEAN = HandMigrations((
    (AUTHORS, BOOKS),
    (op("AddField", table="books", name="isbn", field=field("SlugField", nullable=True, unique=True)),
     op("AlterFieldNull", table="books", name="pages", nullable=False),
     op("RenameField", table="books", old_name="took", new_name="duration"),
     op("AddIndex", index=IndexDef("books_isbn", "books", ("isbn",), where='"isbn" IS NOT NULL')),
     OpDef("RunSQL", (("sql", "ALTER TABLE \"books\" ADD COLUMN \"note\" TEXT DEFAULT 'a''b'"),
                      ("reverse_sql", "ALTER TABLE \"books\" DROP COLUMN \"note\"")),
           effect=op("AddField", table="books", name="note",
                     field=field("TextField", nullable=True, default="a'b"))),
     op("CreateManyToManyTable", source_table="books", target_table="authors", field_name="editors")),
    (op("AlterFieldDefault", table="books", name="pages", new_default=100),
     op("AlterFieldType", table="books", name="pages", new_field=field("BigIntegerField"), using='"pages"::bigint'),
     op("RemoveIndex", name="books_isbn", table="books"),
     op("RenameTable", old_name="authors", new_name="writers"),
     op("RemoveField", table="books", name="ip")),
))


def test_correct_handwritten_migrations_are_quiet(lab):
    assert lab.run_handwritten(CLEAN) == []


def test_a_unique_index_created_plain_is_caught_by_the_catalog(lab, monkeypatch):
    handwritten_plant.plant(monkeypatch)
    findings = lab.run_handwritten(CLEAN)
    assert {(f.property_id, f.facts["problem"], f.facts["name"]) for f in findings} == {
        (catalog.MIGRATIONS_CATALOG_MATCHES, "index_mismatch", "books_title_pages")}
    assert "op.IndexOp('books_title_pages', 'books', ['title', 'pages'], unique=True)" in findings[0].reproducer


def test_a_reverse_that_does_not_undo_is_caught(lab, monkeypatch):
    monkeypatch.setattr(aksara_ops.AlterFieldNull, "reverse",
                        lambda self: aksara_ops.AlterFieldNull(self.table, self.name, self.nullable))
    findings = lab.run_handwritten(CLEAN)
    assert [(f.property_id, f.facts["problem"], f.facts["step"]) for f in findings] == [
        (catalog.MIGRATIONS_REVERSE_RESTORES, "not_restored", "1")]


def test_an_unescaped_default_is_caught_by_the_canary(lab, monkeypatch):
    monkeypatch.setattr(aksara_ops, "_escape_sql_string", lambda value: value)
    monkeypatch.setattr(aksara_ops.TextField, "to_sql", lambda self: "TEXT" + (
        "" if self.nullable else " NOT NULL") + (f" DEFAULT '{self.default}'" if self.default is not None else ""))
    payload = f"x'); DROP TABLE public.{CANARY_TABLE}; SELECT ('"  # the statement stays valid SQL
    migrations = HandMigrations(((op("CreateTable", name="notes", fields=(
        ID, ("body", field("TextField", default=payload)))),),))
    findings = lab.run_handwritten(migrations)
    assert catalog.MIGRATIONS_QUOTING_HOLDS in {f.property_id for f in findings}, [f.describe() for f in findings]
    monkeypatch.undo()
    assert lab.run_handwritten(migrations) == []


def test_the_expected_schema_follows_every_operation():
    schema = handwritten.Schema()
    for migration in CLEAN.migrations:
        for operation, effect in zip(build_operations(migration), handwritten.effects(migration)):
            schema.apply(operation, effect)
    books = schema.tables["books"]
    assert set(schema.tables) == {"writers", "books", "books_editors"}
    assert [(c.name, c.type, c.not_null) for c in books.columns if c.name == "pages"] == [("pages", "bigint", True)]
    assert ("author_id", "writers", "CASCADE") in books.fks and "ip" not in {c.name for c in books.columns}
    assert books.named_indexes == [("books_title_pages", ("title", "pages"), True)]


def _walk(migrations: HandMigrations) -> set[str]:
    """What ``migrations`` reach; raises when an operation names a table or column that does not exist."""
    schema = handwritten.Schema()
    reached = set()
    for migration in migrations.migrations:
        for operation, effect in zip(build_operations(migration), handwritten.effects(migration)):
            schema.apply(operation, effect)  # KeyError: an operation names a table that does not exist
        for o in migration:
            reached.add(o.op)
            if o.op == "CreateTable":
                reached.update(f.cls for _, f in o.arg("fields"))
                reached.update("hostile_column" for n, _ in o.arg("fields") if '"' in n)
            if o.op in ("AddField", "AlterFieldType"):
                reached.add((o.arg("field") or o.arg("new_field")).cls)
            if o.op == "AddIndex" and o.arg("index").unique and len(o.arg("index").columns) > 1:
                reached.add("unique_multicolumn_index")
            if o.op == "AlterFieldDefault" and o.arg("field") is not None:
                reached.add("default_with_field")
    return reached


def test_generated_sequences_refer_to_what_exists_and_reach_every_shape():
    from hypothesis import HealthCheck, Phase, given, settings

    from strategies.handwritten import FIELD_CLASSES

    wanted = set(FIELD_CLASSES) | {"CreateTable", "AddField", "RemoveField", "RenameField", "AlterFieldType",
                                   "AlterFieldNull", "AlterFieldDefault", "RenameTable", "DropTable", "AddIndex",
                                   "RemoveIndex", "RunSQL", "CreateManyToManyTable", "AddConstraint",
                                   "RemoveConstraint", "unique_multicolumn_index",
                                   "default_with_field", "hostile_column"}
    reached: set[str] = set()

    class EveryShapeReached(Exception):
        pass

    # stops at the first example that completes the set (no shrinking: the stop is not a failure)
    @settings(max_examples=400, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(hand_migrations())
    def walk(migrations):
        reached.update(_walk(migrations))
        if wanted <= reached:
            raise EveryShapeReached

    try:
        walk()
    except EveryShapeReached:
        pass
    assert wanted <= reached, sorted(wanted - reached)


def test_a_swallowed_error_is_blamed_on_the_operation_that_swallowed_it(lab):
    """An operation that swallows PostgreSQL's error leaves the transaction aborted; the apply then fails on
    whatever the next statement meets (here a syntax error, which PostgreSQL reports before it looks at the
    transaction), and the finding still names the operation that swallowed it (seed 402 of the ci profile)."""
    from fuzz.ledger import active_ledger

    fk_quote = op("CreateTable", name="a", fields=(ID, ('a"', field("ForeignKeyField", "a0", on_delete="CASCADE"))))
    history = HandMigrations(((op("CreateTable", name="a0", fields=(ID,)),
                               op("RemoveConstraint", table="a0", name="ck_a"), fk_quote),))
    failed = [f for f in lab.run_handwritten(history) if f.property_id == "migrations.apply_succeeds"]
    assert len(failed) == 1, [f.describe() for f in failed]
    facts = failed[0].facts
    assert (facts["failed_operation"], facts["failed_how"], facts["sqlstate"]) == (
        "RemoveConstraint", "swallowed", "42601")
    assert active_ledger().match(failed[0]).id == "AKSARA-MIGRATE-029"
    # the same syntax error raised by the operation itself is the FK quoting defect, not this one
    alone = [f for f in lab.run_handwritten(HandMigrations(((op("CreateTable", name="a0", fields=(ID,)), fk_quote),)))
             if f.property_id == "migrations.apply_succeeds"]
    assert [(f.facts["failed_operation"], f.facts["failed_how"]) for f in alone] == [("CreateTable", "raised")]
    assert active_ledger().match(alone[0]).id != "AKSARA-MIGRATE-029"

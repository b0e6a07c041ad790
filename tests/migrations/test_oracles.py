"""Each migration oracle catches a planted fault in real Aksara and stays quiet on correct DDL.

Faults are planted by monkeypatching Aksara's own migration code (an identifier quoter that does not quote
or that truncates, a default that is not escaped, a reverse that forgets its work, a broken state replay,
a disabled guardrail); the round trip then runs on the real PostgreSQL.
"""

from __future__ import annotations

import datetime
import decimal

import pytest
from aksara.migrations import autodetector
from aksara.migrations import operations as aksara_ops

from fuzz.oracles import migrations as oracles
from fuzz.properties.migrations_lab import MigrationLab
from targets.pg_identifiers import CANARY_TABLE
from strategies.models import FieldSpec, ModelSpec, SchemaHistory, SchemaSpec


@pytest.fixture(scope="module")
def lab(pg_server):
    lab = MigrationLab.on_server(pg_server)
    yield lab
    lab.close()


def history(*states: SchemaSpec) -> SchemaHistory:
    return SchemaHistory(tuple(states), tuple(f"change{i}" for i in range(1, len(states))))


def model(index: int, *fields: FieldSpec, table: str | None = None) -> ModelSpec:
    return ModelSpec(f"FuzzModel{index}", table, tuple(fields))


# A schema free of the known Aksara defects: plain names, defaults Aksara renders, FK, unique, nullable.
CLEAN = SchemaSpec((
    model(0, FieldSpec("title", "String", max_length=40, unique=True, default="o'neil \\ $$ -- /* ; */"),
          FieldSpec("hits", "Integer", default=-2147483648), FieldSpec("ratio", "Float", default=-1.5e300),
          FieldSpec("flag", "Boolean", nullable=True, default=False), table="authors"),
    model(1, FieldSpec("writer", "ForeignKey", target=0, on_delete="RESTRICT"),
          FieldSpec("tags", "ArrayText", default=["a'b", "\\", "$x$"]), table="books"),
))
CLEAN_NEXT = SchemaSpec((CLEAN.models[0], model(1, *CLEAN.models[1].fields, FieldSpec("note", "Slug", nullable=True),
                                                  table="books")))


def properties(findings) -> set[str]:
    return {f.property_id for f in findings}


def problems(findings) -> set[str]:
    return {f.facts.get("problem", f.facts.get("stage")) for f in findings}


# ----------------------------------------------------------------------------- quiet on correct DDL

def test_round_trip_is_quiet_on_a_correct_history(lab):
    findings = lab.run(history(CLEAN, CLEAN_NEXT))
    assert findings == [], [f.describe() for f in findings]


# ----------------------------------------------------------------------------- unquoted identifier

def test_unquoted_identifier_is_caught_by_apply_and_ddl_oracles(lab, monkeypatch):
    monkeypatch.setattr(aksara_ops, "_quote_ident", lambda name: name)
    findings = lab.run(history(SchemaSpec((model(0, FieldSpec("title", "String", max_length=5),
                                                 table="Order Lines"),))))
    assert "migrations.apply_succeeds" in properties(findings) or "ddl_parse" in problems(findings)


def test_unquoted_identifier_injection_is_caught_by_the_canary(lab, monkeypatch):
    monkeypatch.setattr(aksara_ops, "_quote_ident", lambda name: name)
    table = f"t1 (id int); DROP TABLE {CANARY_TABLE}; CREATE TABLE t2"
    findings = lab.run(history(SchemaSpec((model(0, FieldSpec("title", "String", max_length=5), table=table),))))
    assert {"canary", "multi_statement"} <= problems(findings)
    assert lab.run(history(CLEAN)) == []  # the example's rollback restored the canary


# ----------------------------------------------------------------------------- unescaped default

def test_unescaped_default_is_caught(lab, monkeypatch):
    def unescaped(self):
        return f"VARCHAR({self.max_length}) NOT NULL DEFAULT '{self.default}'"

    monkeypatch.setattr(aksara_ops.StringField, "to_sql", unescaped)
    spec = SchemaSpec((model(0, FieldSpec("title", "String", max_length=40, default="it's"), table="notes"),))
    findings = lab.run(history(spec))
    assert properties(findings) & {"migrations.apply_succeeds", "migrations.generation_valid"}


def test_default_escaped_to_a_different_value_is_caught_by_the_catalog(lab, monkeypatch):
    def lossy(self):
        return f"VARCHAR({self.max_length}) NOT NULL DEFAULT '{str(self.default).replace(chr(39), '')}'"

    monkeypatch.setattr(aksara_ops.StringField, "to_sql", lossy)
    spec = SchemaSpec((model(0, FieldSpec("title", "String", max_length=40, default="it's"), table="notes"),))
    findings = lab.run(history(spec))
    assert "default_value" in problems(findings)


# ----------------------------------------------------------------------------- truncation collision

def test_truncation_collision_is_caught(lab, monkeypatch):
    real = aksara_ops._quote_ident
    monkeypatch.setattr(aksara_ops, "_quote_ident", lambda name: real(name[:12]))
    spec = SchemaSpec((model(0, FieldSpec("a", "Integer"), table="collision_one"),
                       model(1, FieldSpec("b", "Integer"), table="collision_two")))
    findings = lab.run(history(spec))
    assert {"missing_table", "extra_table"} <= problems(findings)


def test_declared_names_colliding_after_63_bytes_are_reported():
    from targets.pg_catalog import Catalog
    from fuzz.oracles.migrations_expected import ExpectedTable

    stem = "é" * 31 + "x"  # 63 bytes
    tables = [ExpectedTable(stem + "_one", "A"), ExpectedTable(stem + "_two", "B")]
    findings = oracles.check_catalog(tables, Catalog(), {}, oracles.Context())
    assert problems(findings) == {"truncation_collision"}
    distinct = [ExpectedTable("é" * 29 + "_one", "A"), ExpectedTable("é" * 29 + "_two", "B")]  # 62 bytes
    assert "truncation_collision" not in problems(oracles.check_catalog(distinct, Catalog(), {}, oracles.Context()))


# ----------------------------------------------------------------------------- idempotence

def test_broken_state_replay_is_caught_by_idempotence(lab, monkeypatch):
    real = autodetector._field_op_to_state

    def forgets_nullability(name, field_op):
        state = real(name, field_op)
        state.nullable = False
        return state

    monkeypatch.setattr(autodetector, "_field_op_to_state", forgets_nullability)
    spec = SchemaSpec((model(0, FieldSpec("title", "String", max_length=5, nullable=True), table="notes"),))
    findings = lab.run(history(spec))
    assert "migrations.idempotent" in properties(findings)


# ----------------------------------------------------------------------------- reverse

def test_reverse_that_forgets_its_work_is_caught(lab, monkeypatch):
    monkeypatch.setattr(aksara_ops.AddField, "reverse",
                        lambda self: aksara_ops.RemoveField(table=self.table, name="not_" + self.name))
    findings = lab.run(history(CLEAN, CLEAN_NEXT))
    assert "migrations.reverse_restores" in properties(findings)


# ----------------------------------------------------------------------------- generation

def test_unloadable_source_is_caught(lab, monkeypatch):
    real = autodetector.operations_to_code
    monkeypatch.setattr(autodetector, "operations_to_code", lambda ops: real(ops) + ",\n        (")
    import fuzz.properties.migrations_lab as pipeline

    monkeypatch.setattr(pipeline, "operations_to_code", autodetector.operations_to_code)
    findings = lab.run(history(CLEAN))
    assert "source_syntax" in problems(findings)


def test_source_that_drops_a_default_is_caught_and_named(lab, monkeypatch):
    """A migration file that loses one column's DEFAULT (as 0.5.47-0.5.52 wrote SmallInteger defaults) is a
    source mismatch naming the column type and the lost clause; the correct source is quiet."""
    spec = SchemaSpec((model(0, FieldSpec("rank", "SmallInteger", default=7), table="ranks"),))
    assert "source_mismatch" not in problems(lab.run(history(spec)))
    real = autodetector.operations_to_code
    monkeypatch.setattr(autodetector, "operations_to_code", lambda ops: real(ops).replace("(default=7)", "()"))
    import fuzz.properties.migrations_lab as pipeline

    monkeypatch.setattr(pipeline, "operations_to_code", autodetector.operations_to_code)
    mismatch = [f for f in lab.run(history(spec)) if f.facts.get("problem") == "source_mismatch"]
    assert mismatch, "the dropped default went unnoticed"
    assert {(f.facts["column_type"], f.facts["clause_lost"], f.facts["type_changed"], f.facts["explained"])
            for f in mismatch} == {("SMALLINT", "DEFAULT", "no", "yes")}


def test_ddl_difference_names_type_and_clauses_never_names_or_values():
    want = 'CREATE TABLE "t" (\n    "x" VARCHAR(5) NOT NULL DEFAULT \'UNIQUE\',\n    "y" INTEGER\n)'
    assert oracles.ddl_difference(want, want.replace("VARCHAR(5)", "TEXT")) == {
        "column_type": "VARCHAR", "type_changed": "yes", "clause_lost": "-", "clause_added": "-", "explained": "yes"}
    assert oracles.ddl_difference(want, want.replace("VARCHAR(5)", "VARCHAR(50)")) == {
        "column_type": "VARCHAR", "type_changed": "args", "clause_lost": "-", "clause_added": "-", "explained": "yes"}
    assert oracles.ddl_difference(want, want.replace('"y" INTEGER', '"y" INTEGER UNIQUE')) == {
        "column_type": "INTEGER", "type_changed": "no", "clause_lost": "-", "clause_added": "UNIQUE", "explained": "yes"}
    assert oracles.ddl_difference(want, want.replace("'UNIQUE'", "'other'")) == {
        "column_type": "VARCHAR", "type_changed": "no", "clause_lost": "-", "clause_added": "-", "explained": "no"}
    assert oracles.ddl_difference(want, want) == {}


def test_an_executor_that_opens_no_transaction_leaves_the_lab_judging(lab, monkeypatch):
    """An apply that fails outside any transaction of its own (the executor of 0.5.47) is a finding of the
    example, not an aborted lab: the lab applies each migration file in a savepoint of its own."""
    import fuzz.properties.migrations_lab as pipeline

    async def no_transaction(conn, name, path, verbose=False):
        await conn.execute("SELECT 1/0")  # fails, and no savepoint of the executor's catches it

    monkeypatch.setattr(pipeline, "apply_migration", no_transaction)
    findings = lab.run(history(CLEAN))
    assert "migrations.apply_succeeds" in properties(findings)


def test_crash_is_a_finding_and_a_clear_rejection_is_not():
    ctx = oracles.Context()
    assert oracles.check_rejection(KeyError("id"), ctx, "generate")[0].facts["problem"] == "crash"
    assert oracles.check_rejection(ValueError("on_delete=SET NULL requires nullable=True"), ctx, "define") == []


def test_real_rejection_by_aksara_is_accepted(lab):
    spec = SchemaSpec((model(0, FieldSpec("owner", "ForeignKey", target=0, nullable=False, on_delete="SET NULL")),))
    assert lab.run(history(spec)) == []


def test_ddl_parse_oracle_on_recorded_ddl():
    from targets.migration_ddl import parse_statement

    good = parse_statement('CREATE TABLE "a""b" ("c" NUMERIC(5, 2) NOT NULL DEFAULT 1.25)')
    bad = parse_statement("CREATE TABLE t (c int DEFAULT 'x)")
    two = parse_statement(f'CREATE TABLE "a" (c int); DROP TABLE {CANARY_TABLE}; --")')
    ctx = oracles.Context()
    assert oracles.check_ddl_parses([good], ctx) == []
    assert problems(oracles.check_ddl_parses([bad, two], ctx)) == {"ddl_parse", "multi_statement"}


def test_same_value_compares_by_value():
    assert oracles.same_value(float("nan"), float("nan"), "double precision")
    assert oracles.same_value(decimal.Decimal("NaN"), decimal.Decimal("NaN"), "numeric(5,2)")
    assert oracles.same_value({"a": 1e308, "b": [True]}, '{"a": 1e308, "b": [true]}', "jsonb")
    assert not oracles.same_value(1, True, "integer")
    assert not oracles.same_value("it's", "its", "character varying(9)")


# ----------------------------------------------------------------------------- guardrail

def test_guardrail_oracle_catches_a_disabled_guard(lab, monkeypatch):
    monkeypatch.setattr(aksara_ops.RunSQL, "DANGEROUS_KEYWORDS", [])
    outcome = lab.guardrail("DROP TABLE", "DROP TABLE victim", "DROP TABLE victim")
    assert not outcome.canonical_blocked and outcome.effective
    assert oracles.check_guardrail(outcome, oracles.Context())


def test_guardrail_oracle_is_quiet_on_a_whitespace_proof_guard(lab, monkeypatch):
    import re

    real_init = aksara_ops.RunSQL.__init__

    def normalising_init(self, sql, **kwargs):
        real_init(self, sql, **kwargs)
        flat = re.sub(r"(/\*.*?\*/|--[^\n]*\n|\s)+", " ", sql, flags=re.S).upper()
        self.dangerous = self.dangerous or any(k in flat for k in self.DANGEROUS_KEYWORDS)

    monkeypatch.setattr(aksara_ops.RunSQL, "__init__", normalising_init)
    outcome = lab.guardrail("DROP TABLE", "drop/**/\n table victim", "DROP TABLE victim")
    assert outcome.blocked
    assert oracles.check_guardrail(outcome, oracles.Context()) == []


def test_guardrail_oracle_catches_the_real_whitespace_bypass(lab):
    outcome = lab.guardrail("DELETE FROM", "DELETE  FROM victim", "DELETE FROM victim")
    assert outcome.canonical_blocked and outcome.effective and not outcome.blocked
    assert oracles.check_guardrail(outcome, oracles.Context())[0].facts["statement"] == "DELETE FROM"


# ----------------------------------------------------------------------------- the cause of a failed apply

def test_a_failed_apply_names_the_operation_that_failed(lab):
    """A Date default dropped by CreateTable comes back as an AlterFieldDefault PostgreSQL rejects."""
    from fuzz.ledger import active_ledger

    dated = SchemaSpec((model(0, FieldSpec("due", "Date", default=datetime.date(2020, 1, 2)), table="events"),))
    failed = [f for f in lab.run(history(dated, dated)) if f.property_id == "migrations.apply_succeeds"]
    assert len(failed) == 1, [f.describe() for f in failed]
    facts = failed[0].facts
    assert (facts["failed_operation"], facts["failed_field_kind"], facts["failed_default_type"]) == (
        "AlterFieldDefault", "DateField", "date")
    assert facts["failed_statement"].endswith('ALTER COLUMN "due" SET DEFAULT 2020-01-02')
    assert active_ledger().match(failed[0]).id == "AKSARA-MIGRATE-007"


def test_a_step_that_contains_an_alter_default_but_fails_elsewhere_is_not_that_defect(lab):
    """A new table whose FK column collides fails in CreateTable, before the step's AlterFieldDefault runs."""
    from fuzz.ledger import active_ledger

    events = model(0, FieldSpec("due", "Date", default=datetime.date(2020, 1, 2)), table="events")
    books = model(2, FieldSpec("author", "ForeignKey", target=1), FieldSpec("author_id", "String", max_length=10),
                  table="books")
    after = SchemaSpec((events, model(1, FieldSpec("name", "String", max_length=20), table="authors"), books))
    failed = [f for f in lab.run(history(SchemaSpec((events,)), after))
              if f.property_id == "migrations.apply_succeeds"]
    assert len(failed) == 1, [f.describe() for f in failed]
    facts = failed[0].facts
    # the step contains the AlterFieldDefault of a date that AKSARA-MIGRATE-007 is about ...
    assert "AlterFieldDefault" in facts["operations"].split(",")
    # ... but what PostgreSQL rejected is the new table's duplicate column
    assert (facts["failed_operation"], facts["exception"], facts["sqlstate"]) == (
        "CreateTable", "DuplicateColumnError", "42701")
    assert active_ledger().match(failed[0]).id == "AKSARA-MIGRATE-014"


def test_the_identifier_sweep_meets_an_unquoted_identifier_in_every_class_quoting_matters_for(lab, monkeypatch):
    from strategies.identifiers import IDENTIFIER_SWEEP
    from strategies.models import identifier_sweep

    monkeypatch.setattr(aksara_ops, "_quote_ident", lambda name: name)
    caught = {label for (label, _), swept in zip(IDENTIFIER_SWEEP, identifier_sweep()) if lab.run(swept)}
    assert caught >= {"quoting", "reserved", "mixed_case", "leading_digit", "whitespace"}

"""The ORM family's oracles: the three-valued model on its own, then on a real lab with planted faults.

Pure tests judge hand-made rows and answers. Live tests run the family's own programs on a real PostgreSQL
against unmodified Aksara (quiet) and against one fault planted in Aksara's QuerySet or fields
(:mod:`tests.support.plants.orm`), which the named property must catch; a caught finding replays from the
program it stores.
"""

from __future__ import annotations

import os

import decimal
import uuid

import pytest
from hypothesis import given, settings

from fuzz import catalog
from fuzz.inputs import decode
from fuzz.oracles import orm as oracles
from fuzz.oracles.orm import Model, ReadResult, Row
from strategies.orm import FRef, Leaf, Node, Program, Read, Rel, Write, eval_program, program_source, programs
from tests.support.plants.orm import PLANTS

A, B, C = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)


def _model() -> Model:
    return Model({A: Row({"i": 1, "s": "ab"}), B: Row({"i": None, "s": "a_b"}), C: Row({"i": 3, "s": None})})


# -- pure ----------------------------------------------------------------------------------------------

def test_three_valued_logic_follows_postgresql():
    row = Row({"i": None, "s": "x"})
    assert oracles.evaluate(Leaf("i", "gt", 0), row) is None
    assert oracles.evaluate(Node("not", (Leaf("i", "gt", 0),)), row) is None
    assert oracles.evaluate(Node("or", (Leaf("i", "gt", 0), Leaf("s", "exact", "x"))), row) is True
    assert oracles.evaluate(Node("and", (Leaf("i", "gt", 0), Leaf("s", "exact", "y"))), row) is False
    assert oracles.evaluate(Leaf("i", "exact", None), row) is True  # exact None is IS NULL
    assert oracles.evaluate(Leaf("s", "in", []), row) is False
    assert oracles.evaluate(Leaf("s", "in", ["y", None]), row) is None
    assert oracles.evaluate(FRef("i", "gt", "si"), row) is None


def test_contains_is_a_substring_and_icontains_folds_ascii_only():
    assert oracles.evaluate(Leaf("s", "contains", "_"), Row({"s": "ab"})) is False
    assert oracles.evaluate(Leaf("s", "icontains", "AB"), Row({"s": "xaby"})) is True
    assert oracles.evaluate(Leaf("s", "icontains", "É"), Row({"s": "é"})) is False


def test_ordering_puts_nulls_last_ascending_and_first_descending():
    model = _model()
    asc = sorted(model.rows, key=lambda i: oracles.order_key(("i",), model.rows[i], i))
    desc = sorted(model.rows, key=lambda i: oracles.order_key(("-i",), model.rows[i], i))
    assert asc == [A, C, B] and desc == [B, C, A]


def test_a_read_with_the_model_rows_is_quiet_and_a_wrong_one_is_caught():
    model, read = _model(), Read(kwargs=(Leaf("i", "gte", 1),), order=("-i",))
    values = {i: {"i": r.values.get("i"), "s": r.values.get("s")} for i, r in model.rows.items()}
    right = ReadResult(rows=[(C, values[C], None, None, None), (A, values[A], None, None, None)])
    assert oracles.check_read(read, right, model, {}, "") == []
    wrong_order = ReadResult(rows=[(A, values[A], None, None, None), (C, values[C], None, None, None)])
    assert [f.facts["problem"] for f in oracles.check_read(read, wrong_order, model, {}, "")] == ["order"]
    missing = ReadResult(rows=[(C, values[C], None, None, None)])
    assert [f.facts["problem"] for f in oracles.check_read(read, missing, model, {}, "")] == ["missing"]
    changed = ReadResult(rows=[(C, {**values[C], "i": 4}, None, None, None), (A, values[A], None, None, None)])
    assert [f.property_id for f in oracles.check_read(read, changed, model, {}, "")] == [catalog.ORM_ROUND_TRIP]


def test_aggregates_ignore_nulls():
    rows = list(_model().rows.values())
    assert oracles.expected_aggregate("Count", "*", rows) == 3
    assert oracles.expected_aggregate("Count", "i", rows) == 2
    assert oracles.expected_aggregate("Sum", "i", rows) == 4
    assert oracles.expected_aggregate("Avg", "i", rows) == 2
    assert oracles.expected_aggregate("Max", "i", []) is None


def test_relation_aggregates_count_each_row_once_and_annotations_per_row():
    model = _model()
    model.rows[A].tags, model.rows[B].tags, model.rows[A].owner = {"red", "blue"}, {"red"}, C
    model.owner_names, model.profiles = {C: "ada"}, {uuid.UUID(int=9): [B, "bio"]}
    rows, ids = list(model.rows.values()), list(model.rows)
    assert oracles.expected_aggregate("Count", "tags", rows, model, ids) == 3
    assert oracles.expected_aggregate("Max", "tags__label", rows, model, ids) == "red"
    assert oracles.expected_aggregate("Sum", "i", rows, model, ids) == 4  # once per row, whatever the join
    assert oracles.expected_annotation("Count", "tags", A, model.rows[A], model) == 2
    assert oracles.expected_annotation("Max", "owner__name", A, model.rows[A], model) == "ada"
    assert oracles.expected_annotation("Count", "profile", B, model.rows[B], model) == 1
    assert oracles.expected_annotation("Sum", "i", A, model.rows[A], model) == 1
    assert oracles.fans_out(["i", "tags__label"]) and not oracles.fans_out(["i", "owner__name", "profile"])


def test_owner_conditions_name_the_owner_and_f_operators_compute():
    from strategies.orm import f_value

    row, names = Row({"i": 3, "psi": 2}, owner=A), {A: "ada"}
    assert oracles.evaluate(Leaf("owner", "exact", "ada"), row, names) is True
    assert oracles.evaluate(Leaf("owner__name", "in", ["bob"]), row, names) is False
    assert oracles.evaluate(Leaf("owner", "isnull", True), Row({}), names) is True
    assert [f_value(op, 2, 5) for op in ("+", "-", "*", "k+", "k-")] == [7, -3, 10, 7, 3]
    assert oracles.evaluate(FRef("i", "gt", "psi", 1, "k-"), row) is True  # 3 > 1 - 2
    assert oracles.overflows(FRef("i", "gt", "psi", 0, "k-"), Row({"psi": -(2**15)}))


def test_search_is_an_ilike_pattern_with_backslash_escapes():
    from strategies.orm import Search

    assert oracles.like("%b_c%", "aBxc") is True and oracles.like("%a\\b%", "a\\b") is False
    assert oracles.like("%a\\%%", "xa%") is True and oracles.like("%É%", "é") is False
    assert oracles.like("%x%", None) is None
    row = Row({"s": "abc", "t": None})
    assert oracles.evaluate(Search("B", ("t", "s")), row) is True
    assert oracles.evaluate(Search("z", ("t", "s")), row) is None and oracles.evaluate(Search("", ("t",)), row)


def test_a_relation_manager_answer_is_judged_against_the_model():
    model = _model()
    model.rows[A].owner, model.owner_names = C, {C: "ada"}
    right = ReadResult(rows=[(A, {"i": 1, "s": "ab"}, C, None, None)])
    assert oracles.check_relation(Rel("owner_items", "ada"), right, model, list(model.rows), "") == []
    wrong = ReadResult(rows=right.rows + [(B, {"i": None, "s": "a_b"}, None, None, None)])
    assert [f.facts["problem"] for f in oracles.check_relation(Rel("owner_items", "ada"), wrong, model,
                                                               list(model.rows), "")] == ["rows"]
    none = ReadResult(error="DoesNotExist")
    assert oracles.check_relation(Rel("item_profile_get", 0), none, model, list(model.rows), "") == []


def test_refusal_wants_aksaras_validation_error():
    ok = oracles.Attempt("i", "int_edges", 2**31, error="ValidationError", error_module="aksara.exceptions")
    assert oracles.check_refusal(ok, "") == []
    db = oracles.Attempt("i", "int_edges", 2**31, error="DatabaseError", error_module="aksara.exceptions")
    assert [f.facts["outcome"] for f in oracles.check_refusal(db, "")] == ["DatabaseError"]
    kept = oracles.Attempt("d", "numeric_garbage", "1.5", rows_added=1, accepted=decimal.Decimal("1.50"),
                           stored_raw=decimal.Decimal("1.50"), read_back=decimal.Decimal("1"))
    assert [f.property_id for f in oracles.check_refusal(kept, "")] == [catalog.ORM_ROUND_TRIP]


@settings(max_examples=60, deadline=None)
@given(programs())
def test_a_program_is_stored_as_source_that_evaluates_back(program):
    assert eval_program(program_source(program)) == program


# -- live ----------------------------------------------------------------------------------------------

D = decimal.Decimal
ROWS = ({"i": 1, "d": D("1.25"), "s": "ab"}, {"i": 5, "d": D("-3.50"), "s": "cd", "owner": "ada"}, {})
QUIET = Program(ROWS, (
    Read(kwargs=(Leaf("i", "gte", 1),), order=("-i",)), Read(q=(Node("not", (Leaf("i", "gte", 5),)),)),
    Read(aggregates=(("Sum", "i"), ("Avg", "d"), ("Count", "*")), terminal="aggregate"),
    Write("m2m_add", target=1, tag="red"), Read(select_related=True, prefetch_related=True),
    Write("update", values=(("s", "x"), ("i", ("F", "i", 1))), q=Node("or", (Leaf("i", "lt", 2), Leaf("s", "exact", "cd")))),
    Write("delete", q=Leaf("i", "isnull", True)), Read(terminal="count"),
))
RELATED = Program(ROWS, (  # annotations, relation aggregates and filters, relation managers, upsert
    Write("m2m_add", target=0, tag="red"), Write("m2m_add", target=0, tag="blue"), Write("m2m_add", target=1, tag="red"),
    Write("profile", target=1, tag="bio"), Write("profile", target=1, tag="twice"),
    Read(annotations=(("Count", "tags"), ("Max", "owner__name"), ("Count", "profile"), ("F", "i")), order=("i",)),
    Read(aggregates=(("Count", "tags"), ("Max", "tags__label"), ("Sum", "i")), terminal="aggregate",
         kwargs=(Leaf("i", "gte", 5),)),
    Read(terminal="fetch_with_count", order=("i",), limit=1), Read(terminal="get_or_none", kwargs=(Leaf("s", "exact", "cd"),)),
    Read(kwargs=(Leaf("owner", "exact", "ada"),)), Read(q=(Node("not", (Leaf("owner", "in", ["ada"]),)),)),
    Rel("owner_items", "ada"), Rel("owner_items_count", "ada"), Rel("owner_items_filter", "ada", (Leaf("i", "gt", 9),)),
    Rel("tag_items", "red"), Rel("tag_items_count", "blue"), Rel("item_tags", 0), Rel("item_tag_ids", 1),
    Rel("item_tag_count", 0), Rel("item_profile", 1), Rel("item_profile", 0), Rel("item_profile_get", 0),
    Write("upsert", values=(("s", "up"), ("i", 7)), target=0),
    Write("upsert", values=(("s", "up"),), target=1, fields=("s", "d")),
    Write("upsert", values=(("s", "new"), ("owner", "bob")), target=-1, q=uuid.UUID(int=9)),
    Write("m2m_remove", target=0, tag="blue"), Write("m2m_set", rows=("green",), target=1), Write("m2m_clear", target=0),
    Write("instance_delete", target=1), Read(terminal="count"),
))
CAUGHT = {  # plant -> (what runs, the property that must catch it)
    "gte_as_gt": ("program", catalog.ORM_READ_DIFFERENTIAL),
    "decimal_read_truncated": ("program", catalog.ORM_ROUND_TRIP),
    "update_ignores_q": ("program", catalog.ORM_WRITE_DIFFERENTIAL),
    "integer_range_unchecked": ("attempt", catalog.ORM_INVALID_REFUSED),
    "upsert_keeps_row": ("related", catalog.ORM_ROUND_TRIP),
    "count_off_by_one": ("related", catalog.ORM_READ_DIFFERENTIAL),
    "fetch_with_count_counts_page": ("related", catalog.ORM_READ_DIFFERENTIAL),
    "fk_instance_as_null": ("related", catalog.ORM_READ_DIFFERENTIAL),
    "m2m_remove_noop": ("related", catalog.ORM_WRITE_DIFFERENTIAL),
    "m2m_clear_noop": ("related", catalog.ORM_WRITE_DIFFERENTIAL),
    "reverse_fk_every_row": ("related", catalog.ORM_READ_DIFFERENTIAL),
    "reverse_o2o_any_row": ("related", catalog.ORM_READ_DIFFERENTIAL),
    "instance_delete_noop": ("related", catalog.ORM_WRITE_DIFFERENTIAL),
    "post_delete_not_sent": ("related", catalog.ORM_WRITE_DIFFERENTIAL),
    "trace_skips_fetchval": ("related", catalog.ORM_TRACE_COMPLETE),
}


@pytest.fixture(scope="module")
def lab(pg_server):
    from fuzz.properties.orm import OrmLab

    lab = OrmLab(pg_server, database=f"fuzz_orm_selftest_{os.getpid()}")  # one per xdist worker
    yield lab
    lab.close()


def _run(lab, what: str) -> list:
    if what == "related":
        return lab.run(RELATED)
    return lab.run(QUIET) if what == "program" else lab.attempt("i", "int_edges", 2**31)


def test_unmodified_aksara_is_quiet(lab):
    assert lab.run(QUIET) == []
    assert lab.run(RELATED) == [], [f.message for f in lab.run(RELATED)]
    assert lab.attempt("i", "int_edges", 2**31) == []
    assert lab.attempt("d", "numeric", "1.5") == []


@pytest.mark.parametrize("plant", sorted(CAUGHT))
def test_planted_fault_is_caught(lab, plant, monkeypatch):
    what, property_id = CAUGHT[plant]
    PLANTS[plant](monkeypatch)
    found = _run(lab, what)
    assert property_id in {f.property_id for f in found}, [f.message for f in found]


def test_a_finding_replays_from_its_stored_program(lab, monkeypatch):
    from fuzz.properties.orm import replay_input

    with monkeypatch.context() as patch:
        PLANTS["gte_as_gt"](patch)
        found = [f for f in lab.run(QUIET) if f.property_id == catalog.ORM_READ_DIFFERENTIAL]
        assert found and found[0].replay["area"] == "orm"
        stored = found[0].replay
        again = replay_input(lab, stored["call"], decode(stored["args"]))
        assert catalog.ORM_READ_DIFFERENTIAL in {f.property_id for f in again}
    assert replay_input(lab, stored["call"], decode(stored["args"])) == []


# -- crashes -------------------------------------------------------------------------------------------

def test_a_step_that_raises_is_a_finding_of_its_property_with_its_crash_facts():
    crash = {"exception": "KeyError", "crash_frames": "aksara.manager:_build", "crash_state": "KeyError @ x",
             "crash_message": "<q>", "sqlstate": "", "sql_operation": "", "crash_stack": "", "crash_wrapper": ""}
    read = Read(kwargs=(Leaf("i", "gte", 1),), order=("i",))
    [found] = oracles.check_step_raised(read, "KeyError", "'i__gte'", crash, "src")
    assert found.property_id == catalog.ORM_READ_DIFFERENTIAL and found.facts["problem"] == "raised"
    assert found.facts["terminal"] == "all" and found.facts["leaves"] == "Integer:gte:value"
    assert found.crash_facts()["crash_state"] == "KeyError @ x" and "crash: KeyError @ x" in found.describe()
    [written] = oracles.check_step_raised(Write("update", values=(("s", "x"),), q=Leaf("i", "gt", 0)), "KeyError",
                                          "", crash, "src")
    assert written.property_id == catalog.ORM_WRITE_DIFFERENTIAL and written.facts["write"] == "update"
    [rel] = oracles.check_step_raised(Rel("tag_items", "red"), "KeyError", "", crash, "src")
    assert rel.property_id == catalog.ORM_READ_DIFFERENTIAL and rel.facts["terminal"] == "tag_items"
    judged = oracles.check_read(read, ReadResult(error="KeyError", message="x", crash=crash), _model(), {}, "")
    assert [f.facts["exception"] for f in judged] == ["KeyError"]
    expected = oracles.check_read(Read(kwargs=(Leaf("i", "exact", 9),), terminal="get"),
                                  ReadResult(error="DoesNotExist", crash=crash), _model(), {}, "")
    assert expected == []  # the model's own answer stays an answer, whatever its crash state


CRASHES = {  # plant -> (the property, the exception, a frame inside Aksara the crash state must name)
    "gte_crashes": (catalog.ORM_READ_DIFFERENTIAL, "KeyError", "aksara.manager:"),
    "update_crashes": (catalog.ORM_WRITE_DIFFERENTIAL, "RuntimeError", "aksara.manager:update"),
}


@pytest.mark.parametrize("plant", sorted(CRASHES))
def test_an_unexpected_exception_is_a_crash_finding_that_replays_by_its_crash_state(lab, plant, monkeypatch):
    from fuzz.properties.orm import replay_input
    from fuzz.replay import judge

    property_id, exception, frame = CRASHES[plant]
    with monkeypatch.context() as patch:
        PLANTS[plant](patch)
        found = [f for f in lab.run(QUIET) if f.facts.get("exception") == exception]
        assert found, [f.message for f in lab.run(QUIET)]
        crash = found[0]
        assert crash.property_id == property_id and crash.facts["problem"] == "raised"
        assert crash.facts["crash_frames"].startswith(frame) and crash.crash_facts()["crash_state"].startswith(
            f"{exception} @ aksara."), crash.facts
        assert crash.facts["crash_message"]
        stored = crash.replay
        assert judge(crash, replay_input(lab, stored["call"], decode(stored["args"]))) is not None
    assert judge(crash, replay_input(lab, stored["call"], decode(stored["args"]))) is None


def test_a_crashed_read_does_not_hide_a_wrong_answer_later_in_the_program(lab, monkeypatch):
    PLANTS["gte_crashes"](monkeypatch)
    PLANTS["count_off_by_one"](monkeypatch)
    found = lab.run(Program(ROWS, (Read(kwargs=(Leaf("i", "gte", 1),)),
                                   Read(aggregates=(("Count", "*"),), terminal="aggregate"))))
    assert sorted(f.facts["problem"] for f in found) == ["aggregate", "raised"], [f.message for f in found]


def test_a_crashed_seed_falls_back_to_create_and_does_not_hide_a_later_finding(lab, monkeypatch):
    """The program's rows are created with create() when the seed's bulk_create crashes (a known defect of older
    releases, often), so the program's later writes and reads are still judged; a row whose create() crashes
    too is a finding of its own and is left out, with whatever it left in the table."""
    PLANTS["insert_crashes"](monkeypatch)
    [seed] = lab.run(QUIET)  # every later write and read of the program agrees with the model
    assert seed.facts["write"] == "bulk_create" and seed.facts["problem"] == "raised", seed.facts
    assert seed.facts["exception"] == "RuntimeError" and "aksara.manager:bulk_create" in seed.facts["crash_frames"]
    PLANTS["update_ignores_q"](monkeypatch)  # a write after the fallback is judged
    found = lab.run(QUIET)
    assert [(f.facts.get("write"), f.facts.get("problem")) for f in found][:1] == [("bulk_create", "raised")], [(f.property_id, f.message, f.facts) for f in found]
    assert "update" in {f.facts.get("write") for f in found[1:]}, [f.message for f in found]
    PLANTS["count_off_by_one"](monkeypatch)  # and a read
    PLANTS["insert_of_cd_crashes"](monkeypatch)
    found = lab.run(Program(ROWS, (Read(aggregates=(("Count", "*"),), terminal="aggregate"), Read(terminal="count"))))
    assert sorted((f.facts.get("write", ""), f.facts["problem"]) for f in found) == [
        ("", "aggregate"), ("bulk_create", "raised"), ("create", "raised")], [f.message for f in found]
    [row] = [f for f in found if f.facts.get("write") == "create"]  # its own crash state, not the seed's
    assert "bulk_create" not in row.facts["crash_stack"] and "aksara.model.base:" in row.facts["crash_frames"], row.facts


def test_an_error_of_the_lab_itself_is_no_finding_but_an_error_of_the_suite(lab, monkeypatch):
    monkeypatch.setattr(lab, "owners", {})  # the lab can no longer name the owner "ada" of a row: its own KeyError
    with pytest.raises(KeyError):
        lab.run(QUIET)

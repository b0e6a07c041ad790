"""The hostile identifier strategies reach every class they claim (Hypothesis ``find``)."""

from __future__ import annotations

import pytest
from hypothesis import Phase, find, settings

from strategies.identifiers import (
    case_fold_pairs,
    hostile_identifiers,
    identifier_classes,
    python_identifiers,
    truncation_collision_pairs,
)
from targets.pg_identifiers import PG_IDENTIFIER_LIMIT, byte_length, pg_truncate

# Reaching a class is the point, not the minimal example: no shrinking.
FIND = settings(max_examples=2000, database=None, phases=[Phase.generate], derandomize=True)


@pytest.mark.parametrize("klass", [
    "double_quote", "single_quote", "backslash", "dollar", "semicolon", "comment", "mixed_case", "multibyte",
    "reserved", "leading_digit", "whitespace", "at_limit", "over_limit", "long",
])
def test_hostile_identifiers_reach_class(klass):
    found = find(hostile_identifiers(), lambda name: klass in identifier_classes(name), settings=FIND)
    assert klass in identifier_classes(found)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("target", [PG_IDENTIFIER_LIMIT - 1, PG_IDENTIFIER_LIMIT, PG_IDENTIFIER_LIMIT + 1])
def test_boundary_names_of_every_utf8_width_sit_on_the_63_byte_limit(width, target):
    def predicate(name: str) -> bool:
        return byte_length(name) == target and any(len(c.encode()) == width for c in name)

    found = find(hostile_identifiers(), predicate, settings=FIND)
    assert byte_length(found) == target


def test_multibyte_name_over_limit_truncates_on_a_character_boundary():
    found = find(hostile_identifiers(),
                 lambda n: byte_length(n) > PG_IDENTIFIER_LIMIT and any(len(c.encode()) > 2 for c in n[:21]),
                 settings=FIND)
    stored = pg_truncate(found)
    assert byte_length(stored) <= PG_IDENTIFIER_LIMIT
    assert found.startswith(stored)
    assert byte_length(stored + found[len(stored)]) > PG_IDENTIFIER_LIMIT


def test_injection_payload_naming_the_canary_is_generated():
    found = find(hostile_identifiers(), lambda n: "DROP TABLE aksara_fuzz_canary" in n, settings=FIND)
    assert "DROP TABLE" in found


def test_python_identifiers_are_attribute_names_and_still_hostile():
    found = find(python_identifiers(), lambda n: {"multibyte", "over_limit"} <= identifier_classes(n), settings=FIND)
    assert found.isidentifier()
    reserved = find(python_identifiers(), lambda n: "reserved" in identifier_classes(n), settings=FIND)
    assert reserved.isidentifier()


def test_truncation_pairs_collide_only_after_truncation():
    a, b = find(truncation_collision_pairs(), lambda p: "multibyte" in identifier_classes(p[0]), settings=FIND)
    assert a != b
    assert pg_truncate(a) == pg_truncate(b)


def test_case_fold_pairs_differ_only_in_case():
    a, b = find(case_fold_pairs(), lambda p: True, settings=FIND)
    assert a != b and a.lower() == b.lower()


def test_plain_names_have_no_hostile_class():
    assert identifier_classes("tickets") == frozenset()
    assert identifier_classes('Ti"ck') >= {"double_quote", "mixed_case"}


def test_the_identifier_sweep_names_one_member_of_every_class():
    from strategies.identifiers import IDENTIFIER_CLASSES, IDENTIFIER_SWEEP
    from strategies.models import identifier_sweep

    labels = [label for label, _ in IDENTIFIER_SWEEP]
    assert [f"{label}_identifiers" for label in labels] == [cls.__name__ for cls in IDENTIFIER_CLASSES]
    expected = {"quoting": "double_quote", "reserved": "reserved", "mixed_case": "mixed_case",
                "leading_digit": "leading_digit", "whitespace": "whitespace", "boundary": "at_limit",
                "multibyte": "multibyte", "long": "long"}
    for label, name in IDENTIFIER_SWEEP:
        assert identifier_classes(name) >= {expected[label]} if label in expected else identifier_classes(name) == set()
    histories = identifier_sweep()
    assert len(histories) == len(IDENTIFIER_SWEEP)
    for (_, name), history in zip(IDENTIFIER_SWEEP, histories):
        owner, child = history.states[0].models
        assert owner.table_name == name and owner.fields[0].name == name and child.fields[1].column_name == name

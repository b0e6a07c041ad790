"""Steering: examples that only show a saturated known defect stop consuming a test's budget.

A pure test (no app) declares a property and reports, for a third of its inputs, a violation that a
planted ledger entry knows. Steering must re-spend those examples on others (more distinct inputs
judged than without it), never reject an example with a new violation, and never cost more than
twice the budget.
"""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings, strategies as st

from fuzz import catalog
from fuzz import judging
from fuzz.findings import Finding, NewFinding
from fuzz.judging import judge, judged, judges
from fuzz.run import current_run
from tests.support.ledgers import planted_ledger as planted_ledger_of

PROPERTY = catalog.TOKENS_SCOPE_ALGEBRA
LEDGER = textwrap.dedent(f"""
    defects:
      - id: PLANTED-STEER
        title: multiples of three are refused
        owner: app
        property: {PROPERTY}
        affected: ">=0.1"
        signature: {{residue: "^0$"}}
        examples: {{match: {{residue: "0"}}, no_match: {{residue: "1"}}}}
        reproducer: any multiple of three
""")


@pytest.fixture
def planted_ledger(tmp_path):
    with planted_ledger_of(tmp_path, LEDGER) as collector:
        yield collector


def _violations(n: int, new_at: int | None = None) -> list[Finding]:
    judged(PROPERTY)
    if n == new_at:
        return [Finding(PROPERTY, "planted new", facts={"residue": "new"})]
    return [Finding(PROPERTY, "known", facts={"residue": "0"})] if n % 3 == 0 else []


def _run(budget: int, new_at: int | None = None) -> tuple[set[int], int]:
    seen: set[int] = set()

    @judges(PROPERTY)
    @settings(max_examples=budget, database=None, derandomize=True)
    @given(st.integers(0, 10_000))
    def property_test(n):
        seen.add(n)
        judge(_violations(n, new_at))

    before = current_run().counts.snapshot()[2].get(PROPERTY, 0)
    property_test()
    return seen, current_run().counts.snapshot()[2].get(PROPERTY, 0) - before


def test_saturated_known_examples_are_steered_away_within_twice_the_budget(planted_ledger, monkeypatch):
    budget = 60
    seen, steered = _run(budget)
    assert steered > 0
    assert steered <= budget  # a test costs at most twice its budget
    assert planted_ledger.known["PLANTED-STEER"].count > judging.SATURATION
    monkeypatch.setattr(judging, "SATURATION", 10**9)  # steering off
    unsteered, none = _run(budget)
    assert none == 0
    non_known = lambda xs: {x for x in xs if x % 3}  # noqa: E731
    assert len(non_known(seen)) > len(non_known(unsteered))


def test_an_example_with_a_new_violation_is_never_steered(planted_ledger):
    with pytest.raises(NewFinding, match="planted new"):
        _run(200, new_at=0)  # 0 is also a multiple of three: the new violation still fails the test


def test_the_known_budget_counts_a_steered_example_only_under_the_properties_it_violated():
    from fuzz.reporting import RunRecord, TestRecord, property_rows

    other = catalog.TOKENS_AGENT_TOKEN_LIFETIME
    run = RunRecord(aksara_version="0.7.2", target="t", fuzz_profile="ci", max_examples=10)
    # 30 examples judged both properties; 12 of them only violated PROPERTY with known defects, and 8 of
    # those 12 were steered away
    run.tests = [TestRecord("fuzz/test_x.py::test_x", "passed", 1.0, {PROPERTY: 30, other: 30},
                            known_examples={PROPERTY: 12}, steered={PROPERTY: 8, other: 8},
                            steered_known={PROPERTY: 8}, declared=[PROPERTY, other])]
    rows = {r["property"]: r for r in property_rows(run)}
    assert rows[PROPERTY]["known_budget"] == round(4 / 22, 3)
    assert rows[other]["known_budget"] == 0.0  # never negative: it was judged, not violated

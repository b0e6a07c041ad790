"""Ledger matching: a known signature is recorded and the run goes on; anything else fails."""

from __future__ import annotations

import textwrap

import pytest

from fuzz import findings as findings_module
from fuzz.findings import Finding, NewFinding, report
from fuzz.ledger import DEFAULT_LEDGER, LedgerError, load_ledger, set_active_ledger, active_ledger
from fuzz.transcript import Exchange

LEDGER = textwrap.dedent("""
    defects:
      - id: TEST-001
        title: planted defect
        property: http.no_server_error
        affected: ">=0.1"
        signature:
          route: "^/tickets/$"
          query_shape: "filter:integer:exact:uncoercible"
        reproducer: GET /tickets/?priority=abc
      - id: TEST-OLD
        title: fixed long ago
        property: http.no_server_error
        affected: "<0.1"
        signature: {route: "^/comments/$"}
        reproducer: GET /comments/
""")


def _finding(route: str, shape: str) -> Finding:
    exchange = Exchange("GET", route, status=500, route=route, response_text="{}")
    return Finding("http.no_server_error", "500", exchanges=(exchange,), facts={"query_shape": shape})


@pytest.fixture
def isolated_ledger(tmp_path):
    path = tmp_path / "ledger.yaml"
    path.write_text(LEDGER)
    saved = active_ledger()
    set_active_ledger(load_ledger([path], "0.7.2"))
    collector = findings_module.FindingsCollector()
    saved_collector, findings_module.COLLECTOR = findings_module.COLLECTOR, collector
    yield collector
    set_active_ledger(saved)
    findings_module.COLLECTOR = saved_collector


def test_known_signature_is_recorded_and_does_not_fail(isolated_ledger):
    known = report([_finding("/tickets/", "filter:integer:exact:uncoercible search")])
    assert len(known) == 1
    assert isolated_ledger.known["TEST-001"].count == 1


def test_smallest_example_of_a_known_defect_is_kept(isolated_ledger):
    big = _finding("/tickets/", "filter:integer:exact:uncoercible " + "ordering " * 50)
    small = _finding("/tickets/", "filter:integer:exact:uncoercible")
    report([big])
    report([small])
    assert isolated_ledger.known["TEST-001"].count == 2
    assert isolated_ledger.known["TEST-001"].finding is small


def test_unmatched_finding_raises(isolated_ledger):
    with pytest.raises(NewFinding) as info:
        report([_finding("/tickets/", "filter:uuid:exact:uncoercible")])
    assert info.value.finding.facts["query_shape"] == "filter:uuid:exact:uncoercible"


def test_entries_outside_their_affected_range_are_inactive(isolated_ledger):
    with pytest.raises(NewFinding):
        report([_finding("/comments/", "")])


@pytest.mark.parametrize("body, message", [
    ("defects:\n  - id: X\n", "lacks"),
    ("defects:\n  - {id: X, title: t, property: p, affected: 'nonsense', signature: {a: b}, reproducer: r}\n",
     "bad affected"),
    ("defects:\n  - {id: X, title: t, property: p, affected: '>1', signature: {a: '('}, reproducer: r}\n",
     "bad signature regex"),
    ("defects: [\n", "not valid YAML"),
])
def test_malformed_ledgers_are_one_line_errors(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(LedgerError, match=message):
        load_ledger([path], "0.7.2")


def test_the_shipped_ledger_is_valid_and_every_entry_is_complete():
    ledger = load_ledger([DEFAULT_LEDGER], "0.7.2")
    assert ledger.defects, "the shipped ledger lists the defects the suite found"
    for defect in ledger.defects:
        assert defect.reproducer.strip() and defect.signature and defect.title

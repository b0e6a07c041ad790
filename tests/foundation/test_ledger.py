"""Ledger matching: a known signature is recorded and the run goes on; anything else fails."""

from __future__ import annotations

import textwrap

import pytest

from fuzz.findings import Finding, NewFinding, report
from fuzz.ledger import DEFAULT_LEDGER, OWNERS, LedgerError, load_ledger
from fuzz.run import using_run
from targets.transcript import Exchange

LEDGER = textwrap.dedent("""
    defects:
      - id: TEST-001
        title: planted defect
        owner: aksara
        property: http.no_server_error
        affected: ">=0.1"
        signature:
          route: "^/tickets/$"
          query_shape: "filter:integer:exact:uncoercible"
        examples:
          match: {route: /tickets/, query_shape: "filter:integer:exact:uncoercible"}
          no_match: {route: /tickets/, query_shape: "filter:uuid:exact:uncoercible"}
        reproducer: GET /tickets/?priority=abc
      - id: TEST-OLD
        title: fixed long ago
        owner: aksara
        property: http.no_server_error
        affected: "<0.1"
        signature: {route: "^/comments/$"}
        examples: {match: {route: /comments/}, no_match: {route: /tickets/}}
        reproducer: GET /comments/
""")


def _finding(route: str, shape: str) -> Finding:
    exchange = Exchange("GET", route, status=500, route=route, response_text="{}")
    return Finding("http.no_server_error", "500", exchanges=(exchange,), facts={"query_shape": shape})


@pytest.fixture
def isolated_ledger(tmp_path):
    path = tmp_path / "ledger.yaml"
    path.write_text(LEDGER)
    with using_run(ledger=load_ledger([path], "0.7.2")) as run:
        yield run


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


EXAMPLES = "examples: {match: {a: x}, no_match: {a: y}}"


def _entry(**changes: str) -> str:
    """One ledger entry in flow style, with ``changes`` replacing or (value None) removing keys."""
    keys = {"id": "X", "title": "t", "owner": "aksara", "property": "p", "affected": "'>1'",
            "signature": "{a: '^x$'}", "examples": "{match: {a: x}, no_match: {a: y}}", "reproducer": "r"}
    keys.update(changes)
    return "defects:\n  - {" + ", ".join(f"{k}: {v}" for k, v in keys.items() if v is not None) + "}\n"


@pytest.mark.parametrize("body, message", [
    ("defects:\n  - id: X\n", "lacks"),
    (_entry(affected="'nonsense'"), "bad affected"),
    (_entry(signature="{a: '('}"), "bad signature regex"),
    ("defects: [\n", "not valid YAML"),
    (_entry(owner=None), r"\(X\) lacks owner"),
    (_entry(examples=None), r"\(X\) lacks examples"),
    (_entry(owner="framework"), "owner must be one of aksara, app, documented"),
    (_entry(owner="documented"), "owner documented needs a doc reference"),
    (_entry(examples="{match: {a: x}}"), "exactly 'match' and 'no_match'"),
    (_entry(examples="{match: {}, no_match: {a: y}}"), "examples.match must be a non-empty mapping"),
    (_entry(examples="{match: {a: 5}, no_match: {a: y}}"), "values must be strings"),
])
def test_malformed_ledgers_are_one_line_errors(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(LedgerError, match=message) as info:
        load_ledger([path], "0.7.2")
    assert "\n" not in str(info.value)


def test_an_application_teams_ledger_follows_the_same_rules(tmp_path):
    good = tmp_path / "team.yaml"
    good.write_text(_entry(id="TEAM-1", owner="app", doc="'our runbook'"))
    ledger = load_ledger([DEFAULT_LEDGER, good], "0.7.2")
    team = ledger.by_id("TEAM-1")
    assert (team.owner, team.doc, team.examples) == ("app", "our runbook", {"match": {"a": "x"}, "no_match": {"a": "y"}})
    bad = tmp_path / "team-bad.yaml"
    bad.write_text(_entry(id="TEAM-2", examples=None))
    with pytest.raises(LedgerError, match="TEAM-2"):
        load_ledger([DEFAULT_LEDGER, bad], "0.7.2")


def test_the_shipped_ledger_is_valid_and_every_entry_is_complete():
    ledger = load_ledger([DEFAULT_LEDGER], "0.7.2")
    assert ledger.defects, "the shipped ledger lists the defects the suite found"
    for defect in ledger.defects:
        assert defect.reproducer.strip() and defect.signature and defect.title
        assert defect.owner in OWNERS, defect.id
        if defect.owner == "documented":
            assert defect.doc, f"{defect.id} is documented behaviour but names no doc"


class _Facts:
    """A finding-like object: ``signature_facts()`` is the mapping plus the property."""

    def __init__(self, property_id: str, facts: dict[str, str]):
        self.property_id = property_id
        self._facts = facts

    def signature_facts(self) -> dict[str, str]:
        return {"property": self.property_id, **self._facts}


SHIPPED = load_ledger([DEFAULT_LEDGER], "0.7.2").defects


@pytest.mark.parametrize("defect", SHIPPED, ids=[d.id for d in SHIPPED])
def test_every_signature_matches_its_example_and_not_its_neighbour(defect):
    assert defect.examples, f"{defect.id} has no examples"
    assert defect.matches(_Facts(defect.property_id, defect.examples["match"])), (
        f"{defect.id}: the signature does not match its own example")
    assert not defect.matches(_Facts(defect.property_id, defect.examples["no_match"])), (
        f"{defect.id}: the signature also matches the neighbouring example (too wide)")


#: Releases the suite has been run on (docs/release-triage.md); entries of older releases are active there.
TRIAGED_RELEASES = ("0.5.47", "0.5.50", "0.5.52", "0.5.54", "0.6.1", "0.7.1", "0.7.2")


@pytest.mark.parametrize("version", TRIAGED_RELEASES)
def test_every_example_is_claimed_by_its_own_entry_under_first_match(version):
    """No earlier entry shadows a later one: on every triaged release the ledger gives each active entry's example to it."""
    ledger = load_ledger([DEFAULT_LEDGER], version)
    for defect in ledger.active():
        matched = ledger.match(_Facts(defect.property_id, defect.examples["match"]))
        assert matched is not None and matched.id == defect.id, (
            f"{defect.id}'s example is claimed by {matched.id if matched else 'nothing'} on {version}")


def _example_ledgers() -> list:
    from targets.examples import EXAMPLES, ledger_path

    return [(name, d) for name in EXAMPLES if ledger_path(name).exists()
            for d in load_ledger([ledger_path(name)], "0.7.2").defects]


EXAMPLE_ENTRIES = _example_ledgers()


@pytest.mark.parametrize("name, defect", EXAMPLE_ENTRIES, ids=[d.id for _, d in EXAMPLE_ENTRIES])
def test_every_example_apps_entry_is_complete_and_claims_its_own_example(name, defect):
    """An example app's ledger follows the built-in rules, and is loaded after the built-in ledger: no
    built-in entry (an Aksara defect) claims the example app's own defect, nor the other way round."""
    from targets.examples import ledger_path

    assert defect.owner in OWNERS and defect.reproducer.strip() and defect.examples, defect.id
    assert not defect.matches(_Facts(defect.property_id, defect.examples["no_match"])), (
        f"{defect.id}: the signature also matches the neighbouring example (too wide)")
    ledger = load_ledger([DEFAULT_LEDGER, ledger_path(name)], "0.7.2")
    matched = ledger.match(_Facts(defect.property_id, defect.examples["match"]))
    assert matched is not None and matched.id == defect.id, (
        f"{defect.id}'s example is claimed by {matched.id if matched else 'nothing'}")

"""The findings flow: one run per session emits events, and its subscribers receive every one, in order."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judge, judged, judges
from fuzz.run import ArtifactWritten, Judged, Known, Run, Skipped, SweepDeclared, Swept, current_run, using_run
from fuzz.sweep import count

ROOT = Path(__file__).resolve().parents[2]


def test_subscribers_receive_every_event_in_the_order_emitted():
    run, seen = Run(), []
    run.subscribe(seen.append)
    events = [Judged(frozenset({"a"})), Known("D-1", Finding("a", "m")), ArtifactWritten("a", "t::x", Path("/d"))]
    for event in events:
        run.emit(event)
    assert seen == events


def test_a_subscriber_may_emit_and_every_subscriber_sees_the_follow_up():
    run = Run()

    def writer(event):
        if isinstance(event, Known):
            run.emit(ArtifactWritten(event.finding.property_id, "t::x", Path("/d")))

    run.subscribe(writer)
    with run.listening(ArtifactWritten) as written:
        run.emit(Known("D-1", Finding("a", "m")))
    assert [e.directory for e in written] == [Path("/d")] and run.artifacts == [("a", "t::x", Path("/d"))]


def test_the_run_keeps_the_smallest_example_of_each_known_defect_and_its_count():
    run = Run()
    big, small = Finding("a", "m" * 40), Finding("a", "m")
    for finding in (big, small, big):
        run.emit(Known("D-1", finding))
    assert run.known["D-1"].count == 3 and run.known["D-1"].finding is small


def test_a_worker_output_gives_the_controller_the_same_known_defects_and_artifacts():
    worker, controller = Run(), Run()
    finding = Finding("a", "m", facts={"k": "v"}, observed={"x": [1, 2]})
    for _ in range(3):
        worker.emit(Known("D-1", finding))
    worker.emit(ArtifactWritten("a", "t::x", Path("/d")))
    controller.merge_worker_output(worker.worker_output())
    assert controller.known["D-1"].count == 3
    assert controller.known["D-1"].finding.to_json() == finding.to_json()
    assert controller.artifacts == [("a", "t::x", Path("/d"))]


def test_a_known_defect_names_every_target_it_was_seen_on_across_workers():
    worker, controller = Run(), Run()
    worker.emit(Known("D-1", Finding("a", "m" * 40, facts={"target": "refapp"})))
    worker.emit(Known("D-1", Finding("a", "m", facts={"target": "platform"})))
    controller.emit(Known("D-1", Finding("a", "mm", facts={"target": "example:blog"})))
    controller.merge_worker_output(worker.worker_output())
    record = controller.known["D-1"]
    assert record.count == 3 and record.targets == {"refapp", "platform", "example:blog"}
    assert record.finding.facts["target"] == "platform"  # the smallest example, with its own target


def test_a_reported_finding_names_the_target_of_the_test_that_reported_it(tmp_path):
    from fuzz.findings import NewFinding, report
    from fuzz.ledger import load_ledger

    path = tmp_path / "ledger.yaml"
    path.write_text("defects:\n  - id: D-1\n    title: t\n    owner: aksara\n    property: a\n"
                    "    affected: '>=0.5.47'\n    signature: {k: '^known$'}\n"
                    "    examples: {match: {k: known}, no_match: {k: other}}\n    reproducer: r\n")
    with using_run(ledger=load_ledger([path], "0.7.2")) as run:
        run.target = "platform"
        known = report([Finding("a", "m", facts={"k": "known"})])
        with pytest.raises(NewFinding) as new:
            report([Finding("a", "n", facts={"k": "other"})])
        run.target = None
        untargeted = report([Finding("a", "m", facts={"k": "known"})])
    assert known[0].facts["target"] == "platform" and run.known["D-1"].targets == {"platform"}
    assert new.value.findings[0].facts["target"] == "platform"
    assert "target" not in untargeted[0].facts


def test_target_lists_split_in_order_once_each():
    from targets.loader import split_targets

    assert split_targets("refapp,platform") == ["refapp", "platform"]
    assert split_targets(" platform , refapp,platform,") == ["platform", "refapp"]
    assert split_targets("") == split_targets(None) == ["refapp"]


def test_a_target_that_fails_beside_another_names_the_model_names_they_share():
    from targets.loader import name_clash_hint

    owners = {"a.models.Post": "example:a", "b.models.Post": "example:b", "b.models.Tag": "example:b",
              "c.models.Tag2": "example:c"}
    hint = name_clash_hint(owners, "example:b")
    assert "Post" in hint and "example:a" in hint and "Tag" not in hint.replace("Tag2", "")
    assert name_clash_hint(owners, "example:c") == ""


def test_judge_and_sweeps_emit_into_the_current_run():
    prop = catalog.TOKENS_SCOPE_ALGEBRA

    @judges(prop)
    def judged_once():
        judged(prop)
        judge([])

    @judges(prop)
    def judged_nothing():
        judge([])

    with using_run() as run:
        seen = []
        run.subscribe(seen.append)
        judged_once()
        with pytest.raises(pytest.skip.Exception, match="judged no example"):
            judged_nothing()
        count(prop, 4, 3)
    assert current_run() is not run
    assert run.counts.examples == {prop: 1}
    assert [type(e) for e in seen] == [Judged, Judged, Skipped, SweepDeclared, Swept]
    assert run.counts.sweep_snapshot() == ({prop: 3}, {prop: 4})


def test_the_two_plugins_do_not_import_each_other():
    for name, other in (("plugin", "fuzz.reporting_plugin"), ("reporting_plugin", "fuzz.plugin")):
        tree = ast.parse((ROOT / "fuzz" / f"{name}.py").read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert other not in modules, f"fuzz/{name}.py imports {other}"


def test_no_module_keeps_findings_or_counts_of_its_own():
    """Findings and counts live in the run: the old module singletons are gone."""
    import fuzz.findings
    import fuzz.judging
    import fuzz.sweep

    for module, name in ((fuzz.findings, "COLLECTOR"), (fuzz.judging, "TALLY"), (fuzz.sweep, "SWEEP_TALLY")):
        assert not hasattr(module, name), f"{module.__name__}.{name}"


def test_the_findings_flow_keeps_no_module_state():
    """The ledger and the running test's judging and sweep state are held by the run (a context variable), not by
    module globals or thread-locals of the flow's modules."""
    for name in ("findings", "judging", "sweep", "ledger", "run", "reporting_plugin"):
        tree = ast.parse((ROOT / "fuzz" / f"{name}.py").read_text(encoding="utf-8"))
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Global)], f"fuzz/{name}.py assigns a global"
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "threading" not in imported, f"fuzz/{name}.py keeps thread-local state"


def test_a_run_judges_by_its_own_ledger_and_a_nested_run_inherits_it(tmp_path):
    from fuzz.ledger import active_ledger, load_ledger

    path = tmp_path / "empty.yaml"
    path.write_text("defects: []\n")
    empty = load_ledger([path], "0.7.2")
    outer = current_run().ledger
    with using_run(ledger=empty) as run:
        assert active_ledger() is empty and run.ledger is empty
        with using_run() as inner:
            assert inner is not run and active_ledger() is empty
    assert current_run().ledger is outer


def test_the_running_judges_scope_is_the_runs_and_ends_with_the_test():
    prop = catalog.TOKENS_SCOPE_ALGEBRA
    scopes = []

    @judges(prop)
    def body():
        scopes.append(current_run().scope)
        judged(prop)
        assert current_run().marks == {prop}
        judge([])

    with using_run() as run:
        body()
        assert scopes[0] is not None and scopes[0].own == (prop,) and scopes[0].counted == {prop: 1}
        assert run.scope is None and run.marks == set()

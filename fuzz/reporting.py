"""The findings report (Markdown, JSON, SARIF) and the security-matrix evidence of one fuzz run.

:class:`RunRecord` is what a session leaves behind: one :class:`TestRecord` per property
test (outcome, seconds, the catalogue properties it declares, the examples it judged of each
and how many of those only known defects violated, its principal and resource parameters),
the known-defect hits, the new findings with their artifact directories, and the active
ledger. The writers are pure functions of it and read surfaces and risks from
:mod:`fuzz.catalog`:

- :func:`write_markdown` / :func:`write_json` — per catalogue property: judged examples, the
  budget known defects consumed, time, findings new and known with their artifacts; per
  active ledger defect: whether this run reproduced it (``reproduced``) or never hit it
  (``not seen in this run``).
- :func:`write_sarif` — one SARIF 2.1.0 result per finding, for code-scanning dashboards.
- :func:`matrix_evidence` — a document in Aksara's security-matrix format: one scenario per
  catalogue property (× principal for per-principal properties), with a stable id from the
  property id; see :func:`matrix_evidence` for the statuses.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fuzz import catalog

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass
class TestRecord:
    """One property test of the session."""

    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: str = "passed"  # passed | failed | skipped
    seconds: float = 0.0
    examples: dict[str, int] = field(default_factory=dict)  # judged examples per property id
    principal: str | None = None
    resource: str | None = None
    skip_reason: str = ""
    known_examples: dict[str, int] = field(default_factory=dict)  # of those, every violation known
    steered: dict[str, int] = field(default_factory=dict)  # of those, rejected by steering (fuzz.judging)
    steered_known: dict[str, int] = field(default_factory=dict)  # ... and only known defects violated it
    declared: list[str] = field(default_factory=list)  # the property ids its @judges declares
    swept: dict[str, int] = field(default_factory=dict)  # sweep combinations run (fuzz.sweep)
    sweep_size: dict[str, int] = field(default_factory=dict)  # sweep combinations declared
    target: str | None = None  # the target it ran against (target-bound tests)


@dataclass
class NewRecord:
    property_id: str
    nodeid: str
    artifact: str
    message: str = ""
    crash_state: str = ""
    target: str = ""  # the target the finding was made on


@dataclass
class KnownHit:
    defect_id: str
    property_id: str
    count: int
    title: str = ""
    example: str = ""
    owner: str = ""
    crash_state: str = ""
    targets: list[str] = field(default_factory=list)  # the targets it was seen on


@dataclass
class RunRecord:
    """Everything the reports are made of."""

    aksara_version: str
    target: str
    fuzz_profile: str
    max_examples: int
    tests: list[TestRecord] = field(default_factory=list)
    known: list[KnownHit] = field(default_factory=list)
    new: list[NewRecord] = field(default_factory=list)
    ledger: list[dict[str, str]] = field(default_factory=list)  # id, title, property, owner
    started: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    seconds: float = 0.0
    aksara_coverage: dict[str, Any] | None = None  # fuzz.aksara_coverage summary, with --aksara-coverage


def properties_of(test: TestRecord) -> list[str]:
    """The property ids a test stands for: those it declares, and any it judged."""
    return list(dict.fromkeys([*test.declared, *test.examples]))


def property_rows(run: RunRecord) -> list[dict[str, Any]]:
    """Per catalogue property (and any other id seen): tests, judged examples, known-defect budget, findings."""
    rows: dict[str, dict[str, Any]] = {}

    def row(pid: str) -> dict[str, Any]:
        entry = catalog.PROPERTIES.get(pid)
        return rows.setdefault(pid, {
            "property": pid, "in_catalogue": entry is not None,
            "surface": entry.surface if entry else None, "risk": entry.risk if entry else None,
            "tests": [], "examples": 0, "known_examples": 0, "known_budget": 0.0, "steered": 0, "steered_known": 0,
            "swept": 0, "sweep_size": 0,
            "seconds": 0.0,
            "failed": 0, "skipped": 0, "skip_reasons": [], "new": [], "known": []})

    for pid in catalog.PROPERTIES:
        row(pid)
    for test in run.tests:
        pids = properties_of(test)
        share = test.seconds / max(1, len(pids))
        for pid in pids:
            r = row(pid)
            r["tests"].append(test.nodeid)
            r["examples"] += test.examples.get(pid, 0)
            r["known_examples"] += test.known_examples.get(pid, 0)
            r["steered"] += test.steered.get(pid, 0)
            r["steered_known"] += test.steered_known.get(pid, 0)
            r["swept"] += test.swept.get(pid, 0)
            r["sweep_size"] += test.sweep_size.get(pid, 0)
            r["seconds"] += share
            r["failed"] += test.outcome == "failed"
            r["skipped"] += test.outcome == "skipped"
            if test.outcome == "skipped" and test.skip_reason not in r["skip_reasons"]:
                r["skip_reasons"].append(test.skip_reason)
    for new in run.new:
        crash = {"crash_state": new.crash_state} if new.crash_state else {}
        row(new.property_id)["new"].append({"artifact": new.artifact, "test": new.nodeid, "message": new.message,
                                            "target": new.target, **crash})
    for hit in run.known:
        crash = {"crash_state": hit.crash_state} if hit.crash_state else {}
        row(hit.property_id)["known"].append({"defect": hit.defect_id, "count": hit.count, "title": hit.title,
                                              "owner": hit.owner, "targets": list(hit.targets), **crash})
    for r in rows.values():
        r["seconds"] = round(r["seconds"], 3)
        # the share of the budget known defects consumed: steered examples did not count toward it
        budget = r["examples"] - r["steered"]
        spent = r["known_examples"] - r["steered_known"]
        r["known_budget"] = round(spent / budget, 3) if budget > 0 else 0.0
    return sorted(rows.values(), key=lambda r: r["property"])


def defect_rows(run: RunRecord) -> list[dict[str, Any]]:
    """Every active ledger defect and whether it reproduced in this run."""
    hits = {h.defect_id: h for h in run.known}
    rows = []
    for defect in run.ledger:
        hit = hits.get(defect["id"])
        status = "reproduced" if hit is not None else "not seen in this run"
        rows.append({**defect, "status": status, "count": hit.count if hit else 0,
                     "targets": list(hit.targets) if hit else []})
    return rows


def to_json(run: RunRecord) -> dict[str, Any]:
    return {
        "aksara_version": run.aksara_version, "target": run.target, "fuzz_profile": run.fuzz_profile,
        "max_examples": run.max_examples, "started": run.started, "seconds": round(run.seconds, 3),
        "properties": property_rows(run),
        "defects": defect_rows(run),
        "new_findings": [vars(n) for n in run.new],
        "tests": [vars(t) for t in run.tests],
    }


def write_json(run: RunRecord, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(run), indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(run: RunRecord) -> str:
    props = property_rows(run)
    lines = [
        "# aksara-fuzz findings report", "",
        f"aksara-framework {run.aksara_version}, target {run.target}, fuzz profile {run.fuzz_profile} "
        f"({run.max_examples} examples/property), started {run.started}, {run.seconds:.1f} s.", "",
        f"New findings: **{len(run.new)}**; known defects hit: **{len(run.known)}**.", "",
        "## Properties", "",
        "Examples are those the property's oracle judged; *known budget* is the share of the budget spent on "
        "examples whose every violation was a known defect. Examples *steered away* showed only known defects "
        "the test had already seen enough of, and did not count toward the budget. *Swept* is how many of the "
        "combinations the target declares for the property (field × lookup, principal × route × method, ...) "
        "ran in its sweep phase.", "",
        "| property | surface | risk | examples | swept | known budget | time (s) | tests | new | known |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in props:
        new = "<br>".join(f"`{n['artifact']}`" for n in r["new"]) or "—"
        known = "<br>".join(f"{k['defect']} ×{k['count']}" for k in r["known"]) or "—"
        tests = f"{len(r['tests'])}" + (f" ({r['skipped']} skipped)" if r["skipped"] else "")
        budget = f"{r['known_examples'] - r['steered_known']} ({r['known_budget']:.0%})" if r["examples"] else "—"
        if r["steered"]:
            budget += f", {r['steered']} steered away"
        name = r["property"] if r["in_catalogue"] else f"{r['property']} (not in the catalogue)"
        swept = f"{r['swept']}/{r['sweep_size']}" if r["sweep_size"] else "—"
        lines.append(f"| {_cell(name)} | {r['surface'] or '—'} | {r['risk'] or '—'} | {r['examples']} | {swept} | {budget} "
                     f"| {r['seconds']:.1f} | {tests} | {new} | {known} |")
    skipped = [t for t in run.tests if t.outcome == "skipped"]
    if skipped:
        lines += ["", "## Skipped", ""]
        lines += [f"- `{t.nodeid}`: {_cell(t.skip_reason)}" for t in skipped]
    if run.new:
        lines += ["", "## New findings", ""]
        for n in run.new:
            on = f" on target {n.target}" if n.target else ""
            lines.append(f"- **{n.property_id}** in `{n.nodeid}`{on}: {_cell(n.message)}  \n"
                         f"  artifact `{n.artifact}` — replay: `pytest fuzz/ --replay {n.artifact}`")
    lines += ["", "## Known defects", "",
              "Owner: `aksara` a framework defect, `app` the target's own choice, `documented` behaviour "
              "Aksara's docs describe.", "",
              "| defect | owner | property | this run | hits | title |", "|---|---|---|---|---:|---|"]
    for d in defect_rows(run):
        status = d["status"] + (f" on {', '.join(d['targets'])}" if d.get("targets") else "")
        lines.append(f"| {d['id']} | {d.get('owner') or '—'} | {_cell(d['property'])} | {status} | {d['count']} "
                     f"| {_cell(d['title'])} |")
    if run.aksara_coverage is not None:
        lines += ["", *coverage_section(run.aksara_coverage)]
    return "\n".join(lines) + "\n"


def coverage_section(cov: dict[str, Any]) -> list[str]:
    """The *Aksara coverage* section: line and branch coverage of the installed Aksara per attack-surface area."""
    lines = ["## Aksara coverage", ""]
    if "error" in cov:
        return [*lines, f"Not measured: {_cell(cov['error'])}"]
    lines += [f"aksara-framework {cov['aksara_version']}, Python {cov['python']}, coverage.py {cov['coverage']} "
              f"({cov['core']} core), {cov['processes']} measured processes; details in `aksara-coverage.json`.", "",
              "| area | files | statements | lines | branches | branches covered | total |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for area, a in [*cov["areas"].items(), ("**all of aksara**", {**cov["total"], "files": len(cov["files"])})]:
        lines.append(f"| {area} | {a['files']} | {a['statements']} | {a['line_percent']:.1f}% | {a['branches']} "
                     f"| {a['branch_percent']:.1f}% | {a['percent']:.1f}% |")
    return lines


def write_markdown(run: RunRecord, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(run), encoding="utf-8")
    return path


def _rule_id(property_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", property_id)


def to_sarif(run: RunRecord) -> dict[str, Any]:
    """SARIF 2.1.0: new findings are errors, known-defect hits warnings; the location is the test file."""
    results, rules = [], {}
    for n in run.new:
        rules.setdefault(n.property_id, {"id": _rule_id(n.property_id), "name": n.property_id})
        results.append({
            "ruleId": _rule_id(n.property_id), "level": "error",
            "message": {"text": f"{n.message or n.property_id} (artifact {n.artifact})"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": n.nodeid.split("::", 1)[0]}}}],
            "partialFingerprints": {"artifact": Path(n.artifact).name},
        })
    for hit in run.known:
        rules.setdefault(hit.property_id, {"id": _rule_id(hit.property_id), "name": hit.property_id})
        results.append({
            "ruleId": _rule_id(hit.property_id), "level": "warning",
            "message": {"text": f"known defect {hit.defect_id}: {hit.title} ({hit.count} hits)"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "fuzz/ledger.yaml"}}}],
            "partialFingerprints": {"defect": hit.defect_id},
        })
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "aksara-fuzz", "informationUri": "https://pypi.org/project/aksara-framework/",
                                "rules": sorted(rules.values(), key=lambda r: r["id"])}},
            "results": results,
        }],
    }


def write_sarif(run: RunRecord, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_sarif(run), indent=2) + "\n", encoding="utf-8")
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def _scenario_status(cell: dict[str, Any], min_examples: int, applies: str = "") -> tuple[str, str]:
    """(status, why) of one property × principal from what its tests did."""
    outcomes = set(cell["outcomes"])
    if not outcomes:
        return "planned", "no test of it ran in this session"
    if cell["unknown"] or "failed" in outcomes:
        return "partial", "a new finding or a failed test"
    if cell["examples"] == 0:
        reasons = "; ".join(sorted(set(cell["reasons"]))) or (
            "its tests passed, but no example reached a case its oracle applies to"
            + (f": {applies}" if applies else ""))
        return "not_applicable", f"no example was judged ({reasons})"
    if cell["examples"] < min_examples:
        return "partial", f"{cell['examples']} judged examples, fewer than the {min_examples} required"
    return "covered", "no new finding"


def matrix_evidence(run: RunRecord, min_examples: int) -> dict[str, Any]:
    """The run as a security matrix (Aksara's format): one scenario per catalogue property (× principal).

    Surfaces and risks are the catalogue's (the Threat Model's trust boundaries and primary risks).
    A scenario is ``covered`` when its tests passed, found nothing new and judged at least
    ``min_examples`` examples; ``partial`` when a test failed or found something new (or judged too
    few); ``not_applicable`` when its tests ran (or skipped with a reason) but no example reached
    what its oracle needs; ``planned`` when none of its tests ran in this session.
    """
    new = {(n.nodeid, n.property_id) for n in run.new}
    cells: dict[tuple[str, str], dict[str, Any]] = {}

    def cell(pid: str, actor: str) -> dict[str, Any]:
        return cells.setdefault((pid, actor), {"examples": 0, "known_examples": 0, "outcomes": [],
                                               "unknown": False, "reasons": [], "tests": []})

    for test in run.tests:
        for pid in properties_of(test):
            entry = catalog.PROPERTIES.get(pid)
            if entry is None:
                continue  # not a catalogue property: listed in report.json, no scenario
            actor = test.principal if entry.per_principal and test.principal else "any"
            c = cell(pid, actor)
            c["examples"] += test.examples.get(pid, 0)
            c["known_examples"] += test.known_examples.get(pid, 0)
            c["outcomes"].append(test.outcome)
            c["unknown"] = c["unknown"] or (test.nodeid, pid) in new
            if test.outcome == "skipped" and test.skip_reason:
                c["reasons"].append(test.skip_reason)
            c["tests"].append(test.nodeid)
    for pid in catalog.PROPERTIES:
        if not any(key[0] == pid for key in cells):
            cell(pid, "any")

    scenarios, reached, used_risks, actors = [], {}, set(), {}
    for (pid, actor), c in sorted(cells.items()):
        entry = catalog.PROPERTIES[pid]
        status, why = _scenario_status(c, min_examples, entry.applies)
        reached.setdefault(entry.surface, False)
        reached[entry.surface] = reached[entry.surface] or status != "not_applicable"
        used_risks.add(entry.risk)
        actors.setdefault(actor, {"id": actor, "description": (
            f"principal {actor} of the fuzzed target" if actor != "any" else "every principal the property draws")})
        scenarios.append({
            "id": _slug(pid) if actor == "any" else f"{_slug(pid)}__{_slug(actor)}",
            "surface": entry.surface, "actor": actor, "risk": entry.risk, "expected": entry.expected,
            "status": status,
            "description": (f"{pid}: {entry.claim} {c['examples']} judged examples "
                            f"({c['known_examples']} only known defects), {why}."),
            "property": pid,
            "examples": c["examples"],
            "tests": sorted(set(c["tests"])),
        })
    surfaces = []
    for sid, is_reached in sorted(reached.items()):
        name, category, boundary = catalog.SURFACES[sid]
        surfaces.append({"id": sid, "name": name, "category": category, "implemented": is_reached,
                         "description": (f"{boundary}; fuzzed by aksara-fuzz" if is_reached else
                                         f"{boundary}; not served by this target (every property not applicable)")})
    risks = [{"id": rid, "severity": catalog.RISKS[rid][1], "description": catalog.RISKS[rid][0]}
             for rid in sorted(used_risks)]
    return {
        "version": 1,
        "metadata": {
            "name": f"aksara-fuzz evidence for {run.target}",
            "description": (f"Scenarios exercised by aksara-fuzz ({run.fuzz_profile} profile) against "
                            f"aksara-framework {run.aksara_version} on {run.started}"),
            "owner": "aksara-fuzz",
            "status": "generated",
            "round": 1,
            "min_examples": min_examples,
        },
        "surfaces": surfaces,
        "actors": sorted(actors.values(), key=lambda a: a["id"]),
        "risks": risks,
        "scenarios": scenarios,
    }


def write_matrix(run: RunRecord, path: Path, min_examples: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(matrix_evidence(run, min_examples), sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path

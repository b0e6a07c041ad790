"""The findings report (Markdown, JSON, SARIF) and the security-matrix evidence of one fuzz run.

:class:`RunRecord` is what a session leaves behind: one :class:`TestRecord` per property
test (outcome, seconds, examples counted per property id, its principal and resource
parameters), the known-defect hits, the new findings with their artifact directories,
and the active ledger. The writers are pure functions of it:

- :func:`write_markdown` / :func:`write_json` — per property: examples, time, findings
  new and known with their artifacts; per active ledger defect: whether this run reproduced
  it (``reproduced``) or never hit it (``not seen in this run``).
- :func:`write_sarif` — one SARIF 2.1.0 result per finding, for code-scanning dashboards.
- :func:`matrix_evidence` — a document in Aksara's security-matrix format: one scenario per
  property × principal × surface, ``covered`` only when it ran at least ``min_examples``
  examples and found nothing unknown (``partial`` otherwise, ``planned`` when skipped).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# property family (id prefix) -> (surface id, surface name, category)
SURFACES = {
    "http": ("rest", "Generated REST API", "api"),
    "writes": ("rest", "Generated REST API", "api"),
    "queries": ("rest", "Generated REST API", "api"),
    "tenancy": ("rest", "Generated REST API", "api"),
    "authz": ("rest", "Generated REST API", "api"),
    "openapi": ("openapi", "Generated OpenAPI contract", "api"),
    "mcp": ("mcp", "MCP tools", "ai"),
    "tokens": ("mcp", "MCP tools", "ai"),
    "doctor": ("doctor", "aksara doctor production checks", "operations"),
    "migration": ("migrations", "Generated migrations", "database"),
    "migrations": ("migrations", "Generated migrations", "database"),
}
# property family -> (risk id, severity, description) from the Threat Model's primary risks
RISKS = {
    "http": ("malformed_input", "high", "Malformed payloads and hostile parameters crash or confuse the app"),
    "queries": ("query_injection", "critical", "SQL and identifier handling of filters, ordering and search"),
    "writes": ("field_policy_bypass", "high", "Writes of read-only, tenant or AI-denied fields"),
    "tenancy": ("cross_tenant_access", "critical", "One tenant reads or changes another tenant's data"),
    "authz": ("cross_tenant_access", "critical", "One tenant reads or changes another tenant's data"),
    "openapi": ("contract_drift", "medium", "The generated API contract and the app's behaviour disagree"),
    "mcp": ("agent_overreach", "critical", "AI agents act beyond their scopes, tenant or audience"),
    "tokens": ("agent_overreach", "critical", "AI agents act beyond their scopes, tenant or audience"),
    "doctor": ("insecure_configuration", "high", "A production deployment with insecure settings passes its checks"),
    "migration": ("unsafe_ddl", "high", "Unsafe identifier or default handling in generated DDL"),
    "migrations": ("unsafe_ddl", "high", "Unsafe identifier or default handling in generated DDL"),
}
OTHER_SURFACE = ("other", "Other properties", "other")
OTHER_RISK = ("other", "medium", "Properties outside the Threat Model's named risks")


@dataclass
class TestRecord:
    """One property test of the session."""

    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: str = "passed"  # passed | failed | skipped
    seconds: float = 0.0
    examples: dict[str, int] = field(default_factory=dict)
    principal: str | None = None
    resource: str | None = None
    skip_reason: str = ""


@dataclass
class NewRecord:
    property_id: str
    nodeid: str
    artifact: str
    message: str = ""
    crash_state: str = ""


@dataclass
class KnownHit:
    defect_id: str
    property_id: str
    count: int
    title: str = ""
    example: str = ""
    crash_state: str = ""


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
    ledger: list[dict[str, str]] = field(default_factory=list)  # id, title, property
    started: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    seconds: float = 0.0


def family(property_id: str) -> str:
    return property_id.split(".", 1)[0]


def property_of_test(test: TestRecord) -> str:
    """The property a test that counted no example stands for: its test function."""
    name = test.nodeid.split("[", 1)[0]
    return "test:" + Path(name.rsplit("::", 1)[-1]).name


def property_rows(run: RunRecord) -> list[dict[str, Any]]:
    """Per property id: tests, examples, seconds, outcome, new and known findings."""
    rows: dict[str, dict[str, Any]] = {}

    def row(pid: str) -> dict[str, Any]:
        return rows.setdefault(pid, {"property": pid, "tests": [], "examples": 0, "seconds": 0.0,
                                     "failed": 0, "skipped": 0, "new": [], "known": []})

    for test in run.tests:
        counted = test.examples or {property_of_test(test): 0}
        share = test.seconds / max(1, len(counted))
        for pid, n in counted.items():
            r = row(pid)
            r["tests"].append(test.nodeid)
            r["examples"] += n
            r["seconds"] += share
            r["failed"] += test.outcome == "failed"
            r["skipped"] += test.outcome == "skipped"
    for new in run.new:
        crash = {"crash_state": new.crash_state} if new.crash_state else {}
        row(new.property_id)["new"].append({"artifact": new.artifact, "test": new.nodeid, "message": new.message,
                                            **crash})
    for hit in run.known:
        crash = {"crash_state": hit.crash_state} if hit.crash_state else {}
        row(hit.property_id)["known"].append({"defect": hit.defect_id, "count": hit.count, "title": hit.title,
                                              **crash})
    for r in rows.values():
        r["seconds"] = round(r["seconds"], 3)
    return sorted(rows.values(), key=lambda r: r["property"])


def defect_rows(run: RunRecord) -> list[dict[str, Any]]:
    """Every active ledger defect and whether it reproduced in this run."""
    hits = {h.defect_id: h for h in run.known}
    rows = []
    for defect in run.ledger:
        hit = hits.get(defect["id"])
        status = "reproduced" if hit is not None else "not seen in this run"
        rows.append({**defect, "status": status, "count": hit.count if hit else 0})
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
        "| property | examples | time (s) | tests | new | known |",
        "|---|---:|---:|---:|---|---|",
    ]
    for r in props:
        new = "<br>".join(f"`{n['artifact']}`" for n in r["new"]) or "—"
        known = "<br>".join(f"{k['defect']} ×{k['count']}" for k in r["known"]) or "—"
        tests = f"{len(r['tests'])}" + (f" ({r['skipped']} skipped)" if r["skipped"] else "")
        lines.append(f"| {_cell(r['property'])} | {r['examples']} | {r['seconds']:.1f} | {tests} | {new} | {known} |")
    skipped = [t for t in run.tests if t.outcome == "skipped"]
    if skipped:
        lines += ["", "## Skipped", ""]
        lines += [f"- `{t.nodeid}`: {_cell(t.skip_reason)}" for t in skipped]
    if run.new:
        lines += ["", "## New findings", ""]
        for n in run.new:
            lines.append(f"- **{n.property_id}** in `{n.nodeid}`: {_cell(n.message)}  \n"
                         f"  artifact `{n.artifact}` — replay: `pytest fuzz/ --replay {n.artifact}`")
    lines += ["", "## Known defects", "", "| defect | property | this run | hits | title |", "|---|---|---|---:|---|"]
    for d in defect_rows(run):
        lines.append(f"| {d['id']} | {_cell(d['property'])} | {d['status']} | {d['count']} | {_cell(d['title'])} |")
    return "\n".join(lines) + "\n"


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


def matrix_evidence(run: RunRecord, min_examples: int) -> dict[str, Any]:
    """The run as a security matrix (Aksara's format): one scenario per property × principal × surface."""
    new_by_test = {(n.nodeid, n.property_id) for n in run.new}
    failed_tests = {t.nodeid for t in run.tests if t.outcome == "failed"}
    cells: dict[tuple[str, str, str], dict[str, Any]] = {}
    surfaces: dict[str, dict[str, Any]] = {}
    risks: dict[str, dict[str, Any]] = {}
    actors: dict[str, dict[str, Any]] = {}
    for test in run.tests:
        for pid, n in (test.examples or {property_of_test(test): 0}).items():
            fam = family(pid) if not pid.startswith("test:") else "other"
            sid, sname, category = SURFACES.get(fam, OTHER_SURFACE)
            if test.resource:
                sid, sname = f"{sid}.{_slug(test.resource)}", f"{sname}: {test.resource}"
            surfaces.setdefault(sid, {"id": sid, "name": sname, "category": category, "implemented": True,
                                      "description": f"{sname}, fuzzed by aksara-fuzz"})
            rid, severity, rdesc = RISKS.get(fam, OTHER_RISK)
            risks.setdefault(rid, {"id": rid, "severity": severity, "description": rdesc})
            actor = test.principal or "any"
            actors.setdefault(actor, {"id": actor, "description": (
                f"principal {actor} of the fuzzed target" if actor != "any" else "every principal the property draws")})
            cell = cells.setdefault((pid, actor, sid), {"examples": 0, "skipped": True, "unknown": False,
                                                        "risk": rid, "tests": []})
            cell["examples"] += n
            cell["skipped"] = cell["skipped"] and test.outcome == "skipped"
            cell["unknown"] = cell["unknown"] or (test.nodeid, pid) in new_by_test or (
                test.nodeid in failed_tests and not test.examples)
            cell["tests"].append(test.nodeid)
    scenarios = []
    for (pid, actor, sid), cell in sorted(cells.items()):
        if cell["skipped"]:
            status = "planned"
        elif cell["examples"] >= min_examples and not cell["unknown"]:
            status = "covered"
        else:
            status = "partial"
        scenarios.append({
            "id": f"{_slug(pid)}__{_slug(actor)}__{_slug(sid)}",
            "surface": sid, "actor": actor, "risk": cell["risk"],
            "expected": "block" if family(pid) == "doctor" else "deny",
            "status": status,
            "description": (f"{pid} as {actor} on {sid}: {cell['examples']} examples "
                            f"(needed {min_examples}), {'an unknown finding' if cell['unknown'] else 'no unknown finding'}"),
            "examples": cell["examples"],
            "tests": sorted(set(cell["tests"])),
        })
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
        "surfaces": sorted(surfaces.values(), key=lambda s: s["id"]),
        "actors": sorted(actors.values(), key=lambda a: a["id"]),
        "risks": sorted(risks.values(), key=lambda r: r["id"]),
        "scenarios": scenarios,
    }


def write_matrix(run: RunRecord, path: Path, min_examples: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(matrix_evidence(run, min_examples), sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path

"""Stability of the verdict: run the fuzz suite several times with different seeds and list what went red.

A release gate is useful only when red means a new defect. On the pinned release every run
should be green; this script measures it instead of arguing it::

    python bench/stability.py --runs 20                  # ci profile, seeds 1..20, -n 2
    python bench/stability.py --runs 5 --seed-base 100 -- fuzz/test_writes.py

Each run gets its own seed, a fresh example database (so no run replays another's failures)
and its own report and artifact directories under ``--keep`` (default a temporary directory).
It prints one line per run, then every unclassified finding (property and message, with the
runs and artifacts that showed it) and every error that was not a finding (Hypothesis errors
such as ``FlakyStrategyDefinition``, set-up errors). Exit status: 0 when every run was green.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEW_LINE = re.compile(r"(NewFinding: .*)$", re.M)  # a finding that failed the test but got no artifact
ERROR_LINE = re.compile(r"^E\s+(\w+(?:\.\w+)*(?:Error|Exception|Definition|Flaky\w*)\b.*)$", re.M)


def run_once(index: int, seed: int, args: argparse.Namespace, base: Path) -> dict:
    """One fuzz run with ``seed``; what it found, from its report and JUnit XML."""
    where = base / f"run{index:02d}-seed{seed}"
    where.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pytest", *(args.paths or ["fuzz/"]), "-p", "no:cacheprovider", "-q",
        f"--fuzz-profile={args.profile}", f"--hypothesis-seed={seed}",
        "--example-db", str(where / "examples"), "--report-dir", str(where / "report"),
        "--artifacts-dir", str(where / "artifacts"), "--junitxml", str(where / "junit.xml"),
        *(["-n", str(args.workers)] if args.workers else []), *args.pytest_args,
    ]
    started = time.perf_counter()
    with open(where / "output.txt", "w", encoding="utf-8") as out:
        code = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                              timeout=args.timeout).returncode
    seconds = time.perf_counter() - started
    new, errors = [], []
    report = where / "report" / "report.json"
    if report.is_file():
        data = json.loads(report.read_text(encoding="utf-8"))
        new = [(f.get("property_id") or f.get("property", "?"), f.get("message", ""), f.get("artifact", ""),
                f.get("nodeid", "")) for f in data.get("new_findings", [])]
    new_tests = {n.split("::")[-1] for *_, n in new}
    junit = where / "junit.xml"
    if junit.is_file():
        for case in ET.parse(junit).getroot().iter("testcase"):
            for problem in list(case.findall("failure")) + list(case.findall("error")):
                name = f"{case.get('classname')}.{case.get('name')}"
                text = (problem.get("message") or "") + "\n" + (problem.text or "")
                if any(t and t in name for t in new_tests):
                    continue  # a finding the report lists with its artifact
                match = NEW_LINE.search(text) or ERROR_LINE.search(text)
                first = (text.strip().splitlines() or ["?"])[0]
                errors.append((name, (match.group(1) if match else first)[:200]))
    return {"seed": seed, "code": code, "seconds": seconds, "new": new, "errors": errors, "dir": str(where)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed-base", type=int, default=1, help="run i uses seed base+i")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--workers", "-n", type=int, default=2, help="pytest-xdist workers (0: one process)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds one run may take")
    parser.add_argument("--keep", type=Path, default=None, help="keep every run's reports and artifacts here")
    parser.add_argument("paths", nargs="*", help="test paths (default fuzz/); after --, extra pytest arguments")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.pytest_args = [a for a in extra if a.startswith("-")]
    args.paths = args.paths + [a for a in extra if not a.startswith("-")]
    base = args.keep or Path(tempfile.mkdtemp(prefix="aksara-fuzz-stability-"))
    results = []
    print(f"{'run':>3} {'seed':>6} {'exit':>4} {'seconds':>8}  verdict")
    for index in range(args.runs):
        try:
            result = run_once(index, args.seed_base + index, args, base)
        except subprocess.TimeoutExpired:
            result = {"seed": args.seed_base + index, "code": "timeout", "seconds": float(args.timeout),
                      "new": [], "errors": [("run", f"over {args.timeout}s")], "dir": ""}
        results.append(result)
        verdict = "green" if result["code"] == 0 else (
            f"{len(result['new'])} new finding(s), {len(result['errors'])} error(s)")
        print(f"{index:>3} {result['seed']:>6} {result['code']!s:>4} {result['seconds']:>8.1f}  {verdict}", flush=True)
    green = sum(1 for r in results if r["code"] == 0)
    print(f"\n{green}/{len(results)} runs green; runs kept in {base}")
    findings: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in results:
        for prop, message, artifact, _ in r["new"]:
            findings[(prop, message)].append(f"seed {r['seed']} {artifact}")
    if findings:
        print("\nUnclassified findings:")
        for (prop, message), where in sorted(findings.items()):
            print(f"  [{prop}] {message}\n    " + "\n    ".join(where))
    errors = [(r["seed"], name, text) for r in results for name, text in r["errors"]]
    if errors:
        print("\nErrors that are not findings:")
        for seed, name, text in errors:
            print(f"  seed {seed}: {name}: {text}")
    for r in results:
        if r["code"] not in (0, 1) and not r["new"] and not r["errors"]:
            print(f"  seed {r['seed']}: exit {r['code']} without a finding; see {r['dir']}/output.txt")
    return 0 if green == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())

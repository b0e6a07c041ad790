"""Throughput of the suite, and the suite against plain Schemathesis on the same target and budget.

    python bench/compare_schemathesis.py [--seconds 60] [--profile hardened] [--skip-ci-run]

Prints:
1. per-example reset cost (after a write, and with nothing to restore);
2. plain Schemathesis (its positive and negative cases of every operation, its own checks
   only, anonymous caller) and the suite's OpenAPI property (the same cases as every
   principal, Schemathesis' checks plus the suite's oracles, reset per case) for the same
   wall-clock budget each: cases, requests per second, failures, distinct causes (failure
   kind × operation × status; for the suite also the defect-ledger id) and how many causes
   the defect ledger already knows;
3. unless ``--skip-ci-run``: the wall time of ``pytest fuzz/ --fuzz-profile=ci -n 2`` and,
   from its JSON report, examples per second per property family.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def start_target(profile: str, run_id: str):
    """Start PostgreSQL and the reference app; a one-line error and ``None`` when either fails."""
    from targets.loader import TargetError, load_target, start_live_target
    from targets.postgres import ProviderUnavailable, start_server

    try:
        server = start_server("auto")
    except ProviderUnavailable as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return None
    try:
        return server, start_live_target(server, load_target("refapp", profile), run_id, "main")
    except TargetError as exc:
        server.stop()
        print(f"bench: {exc}", file=sys.stderr)
        return None


def reset_cost(live) -> None:
    timings = []
    for i in range(50):
        live.request("user_a", "POST", "/tickets/", json_body={"title": f"bench {i}"})
        t0 = time.perf_counter()
        live.reset()
        timings.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(200):
        live.reset()
    clean = (time.perf_counter() - t0) / 200
    print(f"reset after a write: median {statistics.median(timings) * 1000:.2f} ms; "
          f"with nothing to restore: {clean * 1000:.3f} ms")


def run_for(seconds: float, strategy, body) -> int:
    """Run ``body`` on examples of ``strategy`` until ``seconds`` have passed; return the count."""
    from hypothesis import HealthCheck, Phase, given, settings

    deadline = time.perf_counter() + seconds
    count = 0

    class Done(Exception):
        pass

    @settings(max_examples=10**9, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def loop(value):
        nonlocal count
        if time.perf_counter() > deadline:
            raise Done
        count += 1
        body(value)

    try:
        loop()
    except Done:
        pass
    return count


def plain_schemathesis(live, seconds: float) -> None:
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.core.failures import FailureGroup

    from fuzz.properties.openapi import SUITE_CHECK_NAMES, send_case
    from strategies.openapi import load_schema
    from schemathesis.checks import CHECKS

    schema = load_schema(live)
    suite_checks = [c for c in CHECKS.get_all() if getattr(c, "__name__", "") in SUITE_CHECK_NAMES]
    strategy = st.one_of([schema.as_strategy(generation_mode=m) for m in GenerationMode])
    causes: Counter = Counter()
    failures = 0
    requests_before, t0 = live.requests, time.perf_counter()

    def one(case):
        nonlocal failures
        _, response = send_case(live, "anonymous", case)
        try:
            case.validate_response(response, excluded_checks=suite_checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                failures += 1
                causes[(type(failure).__name__, case.operation.label, response.status_code)] += 1

    cases = run_for(seconds, strategy, one)
    elapsed = time.perf_counter() - t0
    live.reset()
    print(f"plain Schemathesis : {cases:6d} cases, {(live.requests - requests_before) / elapsed:6.1f} req/s, "
          f"{failures} failures, {len(causes)} distinct causes (kind × operation × status)")


def suite_openapi(live, seconds: float) -> None:
    from hypothesis import strategies as st

    from fuzz.ledger import active_ledger
    from fuzz.properties.openapi import OpenApiRunner
    from strategies.openapi import cases as openapi_cases

    runner = OpenApiRunner(live)
    principals = [p.name for p in live.info.principals]
    strategy = st.tuples(st.sampled_from(principals), st.sampled_from(runner.operations)).flatmap(
        lambda pair: st.tuples(st.just(pair[0]), openapi_cases(pair[1])))
    ledger = active_ledger()
    causes: Counter = Counter()
    known_causes: set = set()
    findings = 0
    requests_before, t0 = live.requests, time.perf_counter()

    def one(pair):
        nonlocal findings
        principal, case = pair
        live.reset()
        for finding in runner.judge(principal, case):
            findings += 1
            defect = ledger.match(finding)
            key = (finding.property_id, finding.facts.get("openapi_operation"), finding.facts.get("status"),
                   defect.id if defect else "new")
            causes[key] += 1
            if defect:
                known_causes.add(key)

    cases = run_for(seconds, strategy, one)
    elapsed = time.perf_counter() - t0
    live.reset()
    print(f"suite (OpenAPI)    : {cases:6d} cases, {(live.requests - requests_before) / elapsed:6.1f} req/s, "
          f"{findings} failures, {len(causes)} distinct causes ({len(known_causes)} of them known defects); "
          f"properties: {', '.join(sorted({k[0] for k in causes}))}")
    for key in sorted(set(causes) - known_causes, key=str):
        print(f"  not in the ledger: {key[0]} on {key[1]} -> {key[2]}")


def ci_run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "fuzz/", "-q", "-p", "no:cacheprovider", "--fuzz-profile=ci", "-n", "2",
             "--report-dir", tmp, "--artifacts-dir", str(Path(tmp) / "artifacts")],
            cwd=ROOT, capture_output=True, text=True,
        )
        wall = time.perf_counter() - t0
        tail = (result.stdout.strip().splitlines() or [""])[-1]
        print(f"ci profile, pytest fuzz/ -n 2: {wall:.0f} s wall ({tail})")
        try:
            report = json.loads((Path(tmp) / "report.json").read_text())
        except OSError:
            print("  (no report written)")
            return
        families: dict[str, list[float]] = {}
        for row in report["properties"]:
            if row["examples"]:
                fam = families.setdefault(row["property"].split(".")[0], [0, 0.0])
                fam[0] += row["examples"]
                fam[1] += row["seconds"]
        for fam, (examples, seconds) in sorted(families.items()):
            print(f"  {fam:10} {examples:6d} examples in {seconds:6.1f} s test time: "
                  f"{examples / max(seconds, 1e-9):7.1f} examples/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="budget of each OpenAPI side")
    parser.add_argument("--profile", choices=("hardened", "defaults"), default="hardened")
    parser.add_argument("--skip-ci-run", action="store_true", help="do not time the ci profile of pytest fuzz/")
    args = parser.parse_args()

    from strategies.openapi import schemathesis_missing

    missing = schemathesis_missing()
    if missing:
        print(f"bench: {missing}", file=sys.stderr)
        return 3
    started = start_target(args.profile, "benchcmp")
    if started is None:
        return 3
    server, live = started
    try:
        print(f"PostgreSQL: {server.provider}, started in {server.start_seconds:.2f} s; "
              f"budget {args.seconds:.0f} s per side")
        reset_cost(live)
        plain_schemathesis(live, args.seconds)
        suite_openapi(live, args.seconds)
    finally:
        live.run(live.stop())
        live.loop.close()
        server.stop()
    if not args.skip_ci_run:
        ci_run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

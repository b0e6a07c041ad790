"""Time to detect: how long a `pytest fuzz/ -x` run of the ci profile takes to its first finding of a planted fault.

Each fault of ``tests/support/plants/`` (a real Aksara function broken in place for the run) is
planted with ``-p tests.support.plants.<name>``; the run stops at its first failure (``-x``), and
the script prints, per fault and seed, the seconds to that failure and whether the failing finding
was new, then the median and the worst time over all runs::

    python bench/time_to_detect.py                       # every plant, seeds 1..3, -n 2
    python bench/time_to_detect.py --plants query writes --seeds 5 -- -k "not openapi"

A fault that goes undetected is reported as ``missed`` (counted as the run's whole time in the worst
figure). Numbers depend on the machine; they are printed, never asserted. The runs write Python's bytecode
cache even where ``PYTHONDONTWRITEBYTECODE`` is set (``--as-is`` keeps the environment): without it every
process of every run compiles Aksara, Hypothesis and the suite again, ~25 s of each run on 2 cores, which is
the interpreter's time, not the suite's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLANTS = ("query", "writes", "tokens", "migrations", "doctor")


def run(plant: str, seed: int, args: argparse.Namespace, where: Path) -> tuple[float, bool, str]:
    """One `-x` run with ``plant``: seconds, whether a new finding failed it, and the property that did."""
    where.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pytest", *(args.paths or ["fuzz/"]), "-x", "-q", "-p", "no:cacheprovider",
               "-p", f"tests.support.plants.{plant}", f"--fuzz-profile={args.profile}",
               f"--hypothesis-seed={seed}", "--example-db", str(where / "examples"),
               "--report-dir", str(where / "report"), "--artifacts-dir", str(where / "artifacts"),
               *(["-n", str(args.workers)] if args.workers else []), *args.pytest_args]
    started = time.perf_counter()
    env = dict(os.environ)
    if not args.as_is:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    with open(where / "output.txt", "w", encoding="utf-8") as out:
        code = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                              timeout=args.timeout).returncode
    seconds = time.perf_counter() - started
    new = []
    report = where / "report" / "report.json"
    if report.is_file():
        new = [f.get("property_id") or f.get("property", "?")
               for f in json.loads(report.read_text(encoding="utf-8")).get("new_findings", [])]
    if not new:  # an -x stop under xdist interrupts the session (exit 2), sometimes before the report is written
        new = NEW_ROW.findall((where / "output.txt").read_text(encoding="utf-8", errors="replace"))
    return seconds, code in (1, 2) and bool(new), new[0] if new else ""


NEW_ROW = re.compile(r"^(\S+)\s+NEW\s+\d+\s", re.M)  # a row of the run's findings table


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    extra = raw[raw.index("--") + 1:] if "--" in raw else []
    raw = raw[: raw.index("--")] if "--" in raw else raw
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plants", nargs="+", default=list(PLANTS), choices=PLANTS)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per plant: FIRST..FIRST+N-1")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--workers", "-n", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--as-is", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if the environment sets it")
    parser.add_argument("--keep", type=Path, default=None, help="keep each run's output and reports here")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args(raw)
    args.pytest_args = extra
    base = args.keep or Path(tempfile.mkdtemp(prefix="aksara-fuzz-ttd-"))
    print(f"{'plant':<11} {'seed':>4} {'seconds':>8}  detected by")
    times, missed = [], 0
    for plant in args.plants:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            seconds, detected, prop = run(plant, seed, args, base / f"{plant}-seed{seed}")
            times.append(seconds)
            missed += not detected
            print(f"{plant:<11} {seed:>4} {seconds:>8.1f}  {prop if detected else 'missed'}", flush=True)
    print(f"\nruns {len(times)}, detected {len(times) - missed}, median {statistics.median(times):.1f} s, "
          f"worst {max(times):.1f} s  (outputs under {base})")
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())

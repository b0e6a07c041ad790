"""Keep the trend of Aksara coverage across runs.

    python bench/coverage_trend.py HISTORY.{csv,json} REPORT.json [REPORT.json ...] [--label L] [--plot PNG]

Each REPORT.json is an ``aksara-coverage.json`` of ``pytest fuzz/ --aksara-coverage``. Several
reports of one run (the shards of a nightly run) are merged by the union of their executed lines
and branches per file, so the appended row is the coverage of the whole run, not of a shard.
One row per run is appended to HISTORY (CSV or JSON by its extension): date, label, Aksara
release, and the total and per-area percentages (lines and branches together, as coverage.py
counts). The trend is printed as a table with a sparkline per area; with matplotlib importable a
PNG plot is written too (``--plot``, default HISTORY with ``.png``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

SPARKS = "▁▂▃▄▅▆▇█"


def _percent(hit: int, total: int) -> float:
    return round(100.0 * hit / total, 2) if total else 100.0


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-area percentages of the union of several reports of one Aksara release."""
    releases = {r["aksara_version"] for r in reports}
    if len(releases) != 1:
        raise SystemExit(f"coverage_trend: reports of different Aksara releases: {sorted(releases)}")
    files: dict[str, dict[str, Any]] = {}
    for report in reports:
        for name, entry in report["files"].items():
            f = files.setdefault(name, {"area": entry["area"], "statements": entry["statements"],
                                        "branches": entry["branches"], "lines": set(), "arcs": set()})
            f["lines"] |= set(entry.get("executed_lines", []))
            f["arcs"] |= {tuple(a) for a in entry.get("executed_branches", [])}
    areas: dict[str, list[int]] = {}
    for f in files.values():
        a = areas.setdefault(f["area"], [0, 0, 0, 0])
        a[0] += f["statements"]
        a[1] += min(len(f["lines"]), f["statements"])
        a[2] += f["branches"]
        a[3] += min(len(f["arcs"]), f["branches"])
    total = [sum(a[i] for a in areas.values()) for i in range(4)]
    row = {"total": _percent(total[1] + total[3], total[0] + total[2])}
    order = list(dict.fromkeys(a for r in reports for a in r.get("areas", {})))  # the reports' area order
    row.update({area: _percent(areas[area][1] + areas[area][3], areas[area][0] + areas[area][2])
                for area in sorted(areas, key=lambda a: (order.index(a) if a in order else len(order), a))})
    return {"aksara_version": releases.pop(), "percent": row}


def load_history(path: Path) -> list[dict[str, Any]]:
    """The history rows: date, label, aksara_version and one percentage per column."""
    if not path.exists():
        return []
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8") or "[]")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fixed = ("date", "label", "aksara_version")
    return [{**{k: r[k] for k in fixed},
             "percent": {k: float(v) for k, v in r.items() if k not in fixed and v not in ("", None)}} for r in rows]


def save_history(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        return
    columns = list(dict.fromkeys(c for r in rows for c in r["percent"]))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["date", "label", "aksara_version", *columns])
        writer.writeheader()
        for r in rows:
            writer.writerow({"date": r["date"], "label": r["label"], "aksara_version": r["aksara_version"],
                             **r["percent"]})


def sparkline(values: list[float]) -> str:
    """One block character per value, scaled between the series' minimum and maximum."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(SPARKS[min(len(SPARKS) - 1, int((v - low) / span * (len(SPARKS) - 1) + 0.5))] for v in values)


def print_trend(rows: list[dict[str, Any]], last: int = 30) -> None:
    recent = rows[-last:]
    columns = list(dict.fromkeys(c for r in recent for c in r["percent"]))
    print(f"Aksara coverage, {len(rows)} runs ({recent[0]['date']} .. {recent[-1]['date']}, "
          f"latest aksara {recent[-1]['aksara_version']})")
    print(f"{'area':40} {'first':>7} {'latest':>7} {'change':>7}  trend")
    for column in columns:
        series = [r["percent"][column] for r in recent if column in r["percent"]]
        print(f"{column:40} {series[0]:6.1f}% {series[-1]:6.1f}% {series[-1] - series[0]:+6.1f}  {sparkline(series)}")


def plot(rows: list[dict[str, Any]], path: Path) -> bool:
    """A PNG of every column over the runs, if matplotlib is importable."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    columns = list(dict.fromkeys(c for r in rows for c in r["percent"]))
    fig, ax = plt.subplots(figsize=(10, 5))
    for column in columns:
        points = [(i, r["percent"][column]) for i, r in enumerate(rows) if column in r["percent"]]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker=".", label=column,
                linewidth=2.5 if column == "total" else 1)
    ax.set_xticks(range(len(rows)), [r["date"][:10] for r in rows], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("coverage (lines + branches) %")
    ax.set_title("Aksara coverage by attack-surface area")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("history", type=Path, help="history file (.csv or .json), created if missing")
    parser.add_argument("reports", type=Path, nargs="+", help="aksara-coverage.json of one run (one per shard)")
    parser.add_argument("--label", default="", help="label of the run (e.g. the commit or the workflow run)")
    parser.add_argument("--plot", type=Path, default=None, help="PNG path (default: HISTORY with .png)")
    args = parser.parse_args(argv)
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in args.reports]
    usable = [r for r in reports if "files" in r]
    if not usable:
        print("coverage_trend: no report with coverage data", file=sys.stderr)
        return 1
    merged = merge(usable)
    rows = load_history(args.history)
    rows.append({"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "label": args.label,
                 "aksara_version": merged["aksara_version"], "percent": merged["percent"]})
    save_history(args.history, rows)
    print_trend(rows)
    png = args.plot or args.history.with_suffix(".png")
    if plot(rows, png):
        print(f"plot: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

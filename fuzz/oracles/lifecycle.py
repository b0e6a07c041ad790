"""Oracles for an app's database lifecycle: start-up, serving and shutdown.

- ``lifecycle.pool_released``: once an app's lifespan has ended (normally, or because start-up or the
  application's own lifespan failed), no connection of its pool is left open on the server; while it runs its
  pool holds at most ``max_pool_size`` connections, and concurrent requests that need a connection all get one
  (they wait for it, none fails). Aksara's lifespan (app.py ``_startup_runtime`` / ``_shutdown_runtime`` /
  ``_cleanup_runtime_after_error``: "Release partial runtime state") and ``aksara.fastapi``'s
  ``create_lifespan``/``init_aksara`` ("registers startup/shutdown handlers for proper lifecycle management")
  promise it; a leaked pool on every reload or failed deploy exhausts the server's connections.
- ``lifecycle.fails_fast``: an app whose database refuses connections does not start: its start-up raises
  (Aksara's ``ConnectionError``), so the process manager sees the failure instead of an app that answers 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from strategies.lifecycle import LifecycleCase


@dataclass(frozen=True)
class LifecycleRun:
    """What one start, serve and stop of an app showed (the property records it, the oracle judges)."""

    started: bool  # the start-up completed and the app served
    start_error: str | None = None  # the exception type the start-up (or the application's lifespan) raised
    during: int | None = None  # the server's connections to the app's database while it ran, after its requests
    statuses: tuple[int, ...] = ()  # answers to the concurrent requests
    after: int = 0  # connections to the app's database once its lifespan ended
    crash: Mapping[str, str] = field(default_factory=dict)  # crash facts of what the start-up raised


def _finding(pid: str, case: LifecycleCase, problem: str, message: str, observed: object, expected: object,
             **facts: str) -> Finding:
    return Finding(pid, f"{case.kind} ({case.fault}, {case.requests} requests, pool {case.max_pool}): {message}",
                   observed=observed, expected=expected,
                   facts={"problem": problem, "kind": case.kind, "fault": case.fault, **facts})


def check_pool_released(case: LifecycleCase, run: LifecycleRun) -> list[Finding]:
    """No connection outlives the app's lifespan; while it runs the pool stays within its size and serves every
    concurrent request."""
    if case.fault == "unreachable":
        return []
    pid = catalog.LIFECYCLE_POOL_RELEASED
    judged(pid)
    findings = []
    if run.after:
        findings.append(_finding(pid, case, "connections_left", f"{run.after} connection(s) left open after shutdown",
                                 run.after, 0))
    if run.start_error == "TimeoutError" and not run.started:
        findings.append(_finding(pid, case, "hung", "start-up, the requests or shutdown did not end in time",
                                 "no end", "an ended lifespan"))
    elif case.fault == "none" and not run.started:
        findings.append(_finding(pid, case, "start_failed", f"start-up raised {run.start_error}", run.start_error,
                                 "a started app", **run.crash))
    if run.during is not None and run.during > case.max_pool:
        findings.append(_finding(pid, case, "pool_over_size", f"{run.during} connections for a pool of at most "
                                 f"{case.max_pool}", run.during, case.max_pool))
    failed = [s for s in run.statuses if s != 200]
    if failed:
        findings.append(_finding(pid, case, "request_failed", f"concurrent requests answered {list(run.statuses)}",
                                 list(run.statuses), "200 each", status=str(failed[0])))
    return findings


def check_fails_fast(case: LifecycleCase, run: LifecycleRun) -> list[Finding]:
    """An app whose database refuses connections does not start."""
    if case.fault != "unreachable":
        return []
    pid = catalog.LIFECYCLE_FAILS_FAST
    judged(pid)
    if run.started:
        return [_finding(pid, case, "started_without_database", "started although its database refuses connections",
                         "started", "start-up raises")]
    return []

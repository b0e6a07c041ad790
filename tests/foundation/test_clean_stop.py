"""Stopping a run: SIGTERM or SIGINT stops every PostgreSQL server the suite started (one line, non-zero
exit, no traceback), with and without xdist; after a ``kill -9`` the next run stops the orphan."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.live  # every test here runs the suite in a subprocess

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_tmp():
    """A private, short temp directory for the runs' servers (unix socket paths are short)."""
    path = Path(tempfile.mkdtemp(prefix="akstop-", dir="/tmp"))
    path.chmod(0o755)  # as root the server runs under a service account that must reach its socket
    yield path
    from targets.postgres import reap_orphans

    reap_orphans(str(path))
    shutil.rmtree(path, ignore_errors=True)


def start_run(tmp: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AKSARA_FUZZ_"))}
    env["TMPDIR"] = str(tmp)
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "fuzz/test_http.py", "-q", "-p", "no:cacheprovider",
         "--example-db", str(tmp / "examples"), "--artifacts-dir", str(tmp / "art"),
         "--report-dir", str(tmp / "rep"), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait_for_server(tmp: Path, proc: subprocess.Popen, known: set[Path] = frozenset(), timeout: float = 60) -> Path:
    """The data directory of the run's server, once it accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        for pid_file in tmp.glob("aksara-fuzz-pg-*/data/postmaster.pid"):
            if pid_file.parent in known:
                continue
            lines = pid_file.read_text().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return pid_file.parent
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the run's PostgreSQL never came up:\n" + proc.communicate()[0])


def server_processes(pgdata: Path) -> list[int]:
    """The postmaster of ``pgdata`` and its children (backends, workers) that still run."""
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def assert_gone(pids: list[int], root: Path, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and (any(alive(p) for p in pids) or root.exists()):
        time.sleep(0.05)
    assert not [p for p in pids if alive(p)], "server processes left running"
    assert not root.exists(), f"{root} left behind"


def stop_and_check(proc: subprocess.Popen, sig: int, pgdata: Path) -> str:
    pids = server_processes(pgdata)
    proc.send_signal(sig)
    output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 128 + sig, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    lines = [line for line in output.splitlines() if "aksara-fuzz: interrupted by" in line]
    assert lines == [f"aksara-fuzz: interrupted by {signal.Signals(sig).name}; "
                     "stopped 1 PostgreSQL server(s) the run started"], output
    assert_gone(pids, pgdata.parent)
    return output


def test_sigterm_stops_the_server(run_tmp):
    proc = start_run(run_tmp)
    stop_and_check(proc, signal.SIGTERM, wait_for_server(run_tmp, proc))


def test_sigint_under_xdist_stops_the_server_and_the_workers(run_tmp):
    proc = start_run(run_tmp, "-n", "2")
    pgdata = wait_for_server(run_tmp, proc)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
                   if b"python" in _cmdline(int(p))]
        time.sleep(0.1)
    assert len(workers) == 2, "the xdist workers never started"
    stop_and_check(proc, signal.SIGINT, pgdata)
    assert_gone(workers, pgdata.parent)


def test_a_run_after_kill_9_stops_the_orphaned_server(run_tmp):
    first = start_run(run_tmp)
    orphan = wait_for_server(run_tmp, first)
    orphan_pids = server_processes(orphan)
    first.kill()
    first.communicate()
    assert alive(orphan_pids[0])  # kill -9 leaves the server running
    second = start_run(run_tmp)
    pgdata = wait_for_server(run_tmp, second, known={orphan})
    assert_gone(orphan_pids, orphan.parent)
    stop_and_check(second, signal.SIGTERM, pgdata)

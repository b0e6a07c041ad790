"""Run the real doctor on one deployment configuration, isolated from the rest of the process.

Settings are process-global: the in-process runner replaces every variable the doctor
could read, changes into a fresh temporary directory (the matrix search and ``.env``
loading look at the working directory), reloads ``aksara.conf.settings`` from that
environment, applies ``aksara.configure`` and restores environment, directory and
settings afterwards. The CLI runner starts ``aksara doctor ...`` in a subprocess with a
clean environment and a clean temporary working directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Protocol

#: the doctor commands a configuration is judged by
COMMANDS = ("security-check", "production-check", "production-check --release")


class DoctorConfig(Protocol):
    """One deployment configuration as the doctor would see it (strategies/doctor.py generates them)."""

    env: Mapping[str, str]
    configure: Mapping[str, Any]
    matrix_text: str | None
    matrix_placement: str

AKSARA_BIN = Path(sys.executable).with_name("aksara")
_AMBIENT_PREFIXES = ("AKSARA_",)
_AMBIENT_NAMES = ("SECRET_KEY", "CORS_ALLOW_ALL_ORIGINS", "CORS_ALLOW_CREDENTIALS", "ENV", "APP_ENV", "NODE_ENV",
                  "DATABASE_URL")


@dataclass(frozen=True)
class DoctorRun:
    """What one doctor command produced: per-check statuses, exit code, release_ready, or an error."""

    command: str
    statuses: dict[str, str]
    exit_code: int | None
    release_ready: bool | None = None
    error: str | None = None      # an exception (in-process) or a crash (CLI)
    config_rejected: str | None = None  # settings could not be loaded from this configuration
    via: str = "api"
    titles: dict[str, str] | None = None


def _ambient(name: str) -> bool:
    return name.startswith(_AMBIENT_PREFIXES) or name in _AMBIENT_NAMES


def _place_matrix(inp: DoctorConfig, workdir: Path, env: dict[str, str]) -> None:
    if inp.matrix_placement == "dangling":
        env["AKSARA_SECURITY_MATRIX_PATH"] = str(workdir / "nowhere" / "security_matrix.yml")
        if inp.matrix_text is not None:  # a file in the default place must not be picked up instead
            (workdir / "security").mkdir()
            (workdir / "security" / "security_matrix.yml").write_text(inp.matrix_text, encoding="utf-8")
        return
    if inp.matrix_text is None:
        return
    if inp.matrix_placement == "cwd":
        target = workdir / "security" / "security_matrix.yml"
    else:
        target = workdir / "matrices" / "project_matrix.yml"
        env["AKSARA_SECURITY_MATRIX_PATH"] = str(target)
    target.parent.mkdir(exist_ok=True)
    target.write_text(inp.matrix_text, encoding="utf-8")


@contextmanager
def isolated(inp: DoctorConfig) -> Iterator[str | None]:
    """Apply ``inp`` to this process; yields None, or why Aksara refused to load the settings."""
    import aksara.conf as conf

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    workdir = Path(tempfile.mkdtemp(prefix="doctor-"))
    rejected = None
    try:
        for name in [n for n in os.environ if _ambient(n)]:
            del os.environ[name]
        env = dict(inp.env)
        _place_matrix(inp, workdir, env)
        os.environ.update(env)
        os.chdir(workdir)
        try:
            conf.reset_settings()
            if inp.configure:
                conf.configure(**dict(inp.configure))
        except Exception as exc:  # ImproperlyConfigured, malformed list variables, ...
            rejected = f"{type(exc).__name__}: {exc}"
        yield rejected
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        try:
            conf.reset_settings()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def run_in_process(inp: DoctorConfig, command: str) -> DoctorRun:
    """Run ``aksara.security.checks.run_security_checks`` as the CLI command would."""
    from aksara.security import checks

    if command not in COMMANDS:
        raise ValueError(command)
    release = command.endswith("--release")
    with isolated(inp) as rejected:
        if rejected:
            return DoctorRun(command, {}, None, config_rejected=rejected)
        try:
            report = checks.run_security_checks(is_production=command != "security-check",
                                                release_candidate=release)
            statuses = {r.id: r.status for r in report.results}
            titles = {r.id: r.title for r in report.results}
            exit_code = 1 if report.should_exit_nonzero else 0
        except Exception as exc:
            return DoctorRun(command, {}, None, error=f"{type(exc).__name__}: {exc}")
    return DoctorRun(command, statuses, exit_code, (exit_code == 0) if release else None, titles=titles)


def run_all_in_process(inp: DoctorConfig, commands=COMMANDS) -> dict[str, DoctorRun]:
    """Every command on one configuration (each in its own isolation)."""
    return {command: run_in_process(inp, command) for command in commands}


_CONFIGURE_THEN_CLI = (
    "import ast, sys, aksara\n"
    "aksara.configure(**ast.literal_eval(sys.argv[1]))\n"
    "from aksara.cli import main\n"
    "sys.argv = ['aksara'] + sys.argv[2:]\n"
    "main()\n"
)


def cli_argv(inp: DoctorConfig, command: str) -> list[str]:
    args = ["doctor", *command.split(), "--format", "json"]
    if inp.configure:
        return [sys.executable, "-c", _CONFIGURE_THEN_CLI, repr(dict(inp.configure)), *args]
    return [str(AKSARA_BIN), *args]


def run_cli(inp: DoctorConfig, command: str, timeout: float = 60) -> DoctorRun:
    """Run ``aksara doctor <command> --format json`` in a clean subprocess and parse its report."""
    workdir = Path(tempfile.mkdtemp(prefix="doctor-cli-"))
    try:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir), "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1"}
        extra = dict(inp.env)
        _place_matrix(inp, workdir, extra)
        env.update(extra)
        if os.environ.get("COVERAGE_PROCESS_START"):  # --aksara-coverage measures the CLI process too
            env["COVERAGE_PROCESS_START"] = os.environ["COVERAGE_PROCESS_START"]
        proc = subprocess.run(cli_argv(inp, command), cwd=workdir, env=env, capture_output=True, timeout=timeout,
                              text=True, errors="replace")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    try:
        data: Any = json.loads(proc.stdout)
        statuses = {r["id"]: r["status"] for r in data["results"]}
        titles = {r["id"]: r.get("title", "") for r in data["results"]}
    except (ValueError, KeyError, TypeError):
        tail = (proc.stderr.strip().splitlines() or ["<no output>"])[-1]
        return DoctorRun(command, {}, proc.returncode, error=f"no JSON report (exit {proc.returncode}): {tail}",
                         via="cli")
    error = None
    if "Traceback" in proc.stderr:
        error = "traceback on stderr: " + proc.stderr.strip().splitlines()[-1]
    if command != "security-check" and data.get("exit_code") != proc.returncode:
        error = f"report says exit_code={data.get('exit_code')} but the process exited {proc.returncode}"
    return DoctorRun(command, statuses, proc.returncode, data.get("release_ready"), error=error, via="cli",
                     titles=titles)

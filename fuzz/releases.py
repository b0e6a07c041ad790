"""``--aksara-version X.Y.Z``: run the same pytest command against another Aksara release.

Each release gets its own virtual environment under ``~/.cache/aksara-fuzz/venvs/``
(``AKSARA_FUZZ_VENVS`` overrides), made with ``--system-site-packages`` so it reuses every
other dependency of the running interpreter and installs only ``aksara-framework==X.Y.Z``
(``--no-deps``). The interpreter's own Aksara is never changed. The command is then re-run
inside that environment with the option removed; its exit status is the run's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

VERSION = re.compile(r"^\d+\.\d+\.\d+([.-]?(a|b|rc|post|dev)\d+)?$")
OPTION = "--aksara-version"


class ReleaseError(RuntimeError):
    """The release cannot be installed; the message is one line for the user."""


def venvs_root() -> Path:
    return Path(os.environ.get("AKSARA_FUZZ_VENVS") or Path.home() / ".cache" / "aksara-fuzz" / "venvs")


def installed_version(python: str | Path) -> str | None:
    """The Aksara version importable by ``python`` (``None`` when none is)."""
    probe = subprocess.run([str(python), "-c", "import aksara; print(aksara.__version__)"],
                           capture_output=True, text=True, cwd=str(venvs_root().parent))
    return probe.stdout.strip() if probe.returncode == 0 else None


def ensure_venv(version: str) -> Path:
    """The python of the cached environment holding ``aksara-framework==version``, made when missing."""
    if not VERSION.match(version):
        raise ReleaseError(f"{OPTION} wants a release number like 0.6.1, got {version!r}")
    root = venvs_root()
    venv = root / f"aks-{version}"
    python = venv / "bin" / "python"
    root.mkdir(parents=True, exist_ok=True)
    if python.exists() and installed_version(python) == version:
        return python
    made = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--clear", str(venv)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise ReleaseError(f"cannot create {venv}: {_last_line(made.stderr)}")
    pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
                          f"aksara-framework=={version}"], capture_output=True, text=True)
    if pip.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        raise ReleaseError(f"cannot install aksara-framework=={version}: {_last_line(pip.stderr or pip.stdout)}")
    found = installed_version(python)
    if found != version:
        raise ReleaseError(f"{venv} imports Aksara {found}, not {version}")
    return python


def strip_option(args: list[str]) -> list[str]:
    """``args`` without ``--aksara-version X`` / ``--aksara-version=X``."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == OPTION:
            skip = True
        elif not arg.startswith(OPTION + "="):
            out.append(arg)
    return out


def rerun(version: str, args: list[str], cwd: str | Path) -> int:
    """Run ``python -m pytest args`` in the release's environment; its exit status."""
    python = ensure_venv(version)
    env = dict(os.environ, AKSARA_FUZZ_RELEASE=version)
    print(f"aksara-fuzz: Aksara {version} from {python.parent.parent}", flush=True)
    return subprocess.run([str(python), "-m", "pytest", *strip_option(args)], cwd=str(cwd), env=env).returncode


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"

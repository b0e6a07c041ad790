"""Resolve ``--aksara-target`` into a Target object and start it on a database.

``refapp`` (the default) is the reference app; ``platform`` the platform app (Aksara's own
auth, tenancy, serializer and soft-delete paths, targets/platform/); ``example:<name>`` one of Aksara's
shipped example apps (targets/examples/); ``package.module:attr`` names an Aksara
app, a callable returning one, or a callable taking the profile name and returning
an object following :class:`targets.base.Target` (targets/derive.py derives one
from an app and a small adapter).
"""

from __future__ import annotations

import asyncio
from typing import Any

from targets.base import Target
from targets.client import LiveTarget
from targets.database import WorkerDatabase, clone_database, database_name, ensure_template


def split_targets(option: str | None) -> list[str]:
    """The target specs a comma-separated ``--aksara-target`` names, in order, each once (``refapp`` if none)."""
    specs = [part.strip() for part in str(option or "").split(",")]
    return list(dict.fromkeys(spec for spec in specs if spec)) or ["refapp"]


class TargetError(RuntimeError):
    """The target cannot be loaded or started; the message is one line for the user."""


class TargetUnavailable(TargetError):
    """The installed Aksara lacks a feature the target is built from; the message names it."""


def load_target(spec: str, profile: str) -> Any:
    if spec in ("", "refapp"):
        from targets.refapp.target import RefappTarget

        try:
            return RefappTarget(profile)
        except ValueError as exc:
            raise TargetError(str(exc)) from None
    if spec == "platform":
        from targets import features
        from targets.platform import REQUIRES

        reason = features.first_missing(*REQUIRES)
        if reason:
            raise TargetUnavailable(f"the platform target: {reason}")
        from targets.platform.target import PlatformTarget

        try:
            return PlatformTarget(profile)
        except ValueError as exc:
            raise TargetError(str(exc)) from None
    from targets.derive import DerivedTarget, DeriveError, resolve

    try:
        if spec.startswith("example:"):
            from targets.examples import load_example

            return load_example(spec.partition(":")[2], profile)
        obj, module = resolve(spec, profile)
        if _is_target(obj):
            return obj
        return DerivedTarget(obj, None, name=module.__name__, profile=profile, package=module.__name__)
    except DeriveError as exc:
        raise TargetError(str(exc)) from None


def _is_target(obj: Any) -> bool:
    missing = [n for n in ("info", "build_app", "prepare_database", "app_dsn") if not hasattr(obj, n)]
    if missing and any(hasattr(obj, n) for n in ("build_app", "prepare_database", "app_dsn")):
        raise TargetError(f"target lacks {', '.join(map(repr, missing))} (see targets/base.py: Target)")
    return not missing


def model_identities() -> set[str]:
    """The qualified names (``module.Class``) of every model in Aksara's model registry."""
    try:
        from aksara.registry import ModelRegistry
    except ImportError:  # a release without the registry module
        return set()
    return {f"{m.__module__}.{m.__qualname__}" for m in ModelRegistry.all().values()}


def name_clash_hint(owners: dict[str, str], spec: str) -> str:
    """A hint for a target that failed to start beside others: the model names it shares with another target
    (Aksara's registry holds models of every target the run imported, and looks some up by simple name)."""
    by_name: dict[str, set[str]] = {}
    for identity, owner in owners.items():
        by_name.setdefault(identity.rpartition(".")[2], set()).add(owner)
    shared = sorted(name for name, specs in by_name.items() if spec in specs and len(specs) > 1)
    if not shared:
        return ""
    others = sorted({o for name in shared for o in by_name[name]} - {spec})
    return (f" (it shares model names {', '.join(shared)} with {', '.join(others)} in one process: "
            f"run those targets in separate pytest runs)")


def start_live_target(server: Any, target: Target, run_id: str, worker: str) -> LiveTarget:
    """Template → clone → app → lifespan → snapshot, on a fresh event loop."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        template = loop.run_until_complete(ensure_template(server, target, run_id))
        name = database_name(run_id, f"{target.info.name}_{target.info.profile}_{worker}")
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

"""A Target derived from any Aksara app: the user states only how principals authenticate.

``--aksara-target module:attr`` may name an ``aksara.Aksara`` app, a callable returning
one, or a module that builds its app at import from environment variables (the
suite sets ``DATABASE_URL`` to a placeholder before importing and points the app at
its own database later). Everything else is read from the app and Aksara's registries:

- resources from the viewsets the app routes (:func:`targets.base.describe_viewset`),
  with auto-managed fields (``auto_now``, ``auto_now_add``, ``system_only``) counted as
  server-controlled and viewsets that override ``list`` marked as a custom paginator;
- MCP (``settings.mcp_enabled``/``mcp_path``), the health route, docs routes, and the
  settings' secrets (``secret_key``, ``mcp_approval_secret``, ...);
- the schema: the app's own migrations when it has them (topped up by Aksara's
  autodetector if they lag the models), else the autodetector alone;
- seed rows when the app has none: a few rows per table, generated from the
  PostgreSQL column types and foreign keys, deterministic (:func:`seed_id`).

What cannot be derived is an :class:`Adapter`: the principals (name, kind, tenant,
headers), tenant ids, environment and settings for the run. With no adapter the
target has the anonymous principal only, plus, when the app authenticates with
``aksara.contrib.auth`` sessions (the ``session_token`` cookie its admin session
middleware reads for every route), a signed-in user and a staff user
(:data:`CONTRIB_PRINCIPALS`) whose accounts and sessions the suite creates.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import os
import shutil
import sys
import tempfile
import types
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from targets.base import INTEGER_KINDS, PrincipalSpec, ResourceSpec, TargetInfo, describe_viewset

PLACEHOLDER_DSN = "postgresql://aksara_fuzz@127.0.0.1:9/aksara_fuzz_placeholder"
KINDS = ("anonymous", "user", "staff", "ai_agent", "system")
SEED_NAMESPACE = uuid.UUID("6f1d2c3b-8a4e-4f5d-9c7b-0e1a2b3c4d5e")
SEED_ROWS = 6
DOCS_PATHS = ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect", "/")
HEALTH_CANDIDATES = ("/health", "/health/live", "/healthz", "/health/ready", "/openapi.json")
SECRET_SETTINGS = ("secret_key", "mcp_approval_secret", "studio_secret_token", "media_s3_secret_key", "ai_agent_secret",
                   "jwt_secret", "session_secret")
QUIET_LOGGERS = ("httpx",)  # Aksara's and MCP's loggers are heard at DEBUG instead (targets.logs)


# aksara.contrib.auth accounts the suite creates: principal name -> (kind, e-mail, is_staff, session token)
CONTRIB_PRINCIPALS = {
    "contrib_user": ("user", "aksara-fuzz-user@example.com", False,
                     "aksara-fuzz-contrib-user-session-5b1e9d7c3a2f4e6d8c0b"),
    "contrib_staff": ("staff", "aksara-fuzz-staff@example.com", True,
                      "aksara-fuzz-contrib-staff-session-0c2a4e6f8b1d3f5a7c9e"),
}
CONTRIB_PASSWORD = "aksara-fuzz-contrib-password-4d6f8a0c2e"


class DeriveError(RuntimeError):
    """The app cannot be made a target; the message is one line naming what is missing."""


def seed_id(table: str, index: int) -> str:
    """The primary key the generated seed gives row ``index`` of ``table``."""
    return str(uuid.uuid5(SEED_NAMESPACE, f"{table}:{index}"))


def principal(name: str, kind: str, tenant: str | None = None, headers: Mapping[str, str] | None = None,
              scopes: Sequence[str] = ()) -> PrincipalSpec:
    """A principal the adapter knows how to authenticate as."""
    return PrincipalSpec(name, kind, tenant, tuple((headers or {}).items()), tuple(scopes))


@dataclass
class Adapter:
    """What the suite cannot read from the app: how each kind of principal authenticates.

    ``principals``: callers besides ``anonymous`` (added automatically), each with the
    headers that authenticate it; ``tenants``: tenant label -> tenant id used by the
    principals; ``env``: environment set before the app is imported; ``settings``:
    ``aksara.configure`` overrides for the run; ``secrets``: strings that must never
    appear in a response (the settings' own secrets are added); ``public_routes``:
    (method, path template) the app documents as open to anyone (``["*"]``: every route, an
    app without authentication).
    """

    principals: Sequence[PrincipalSpec] = ()
    tenants: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    secrets: Sequence[str] = ()
    public_routes: Sequence[tuple[str, str]] = ()
    seed: bool | None = None  # None: seed only when the app's tables are empty
    # aksara.contrib.auth session principals (CONTRIB_PRINCIPALS); None: when the app reads contrib.auth
    # sessions and the adapter names no principals of its own
    contrib_auth: bool | None = None

    def check(self) -> None:
        """Raise :class:`DeriveError` naming the first incomplete part."""
        names = set()
        for spec in self.principals:
            if spec.kind not in KINDS:
                raise DeriveError(f"adapter principal {spec.name!r}: kind {spec.kind!r} is not one of {', '.join(KINDS)}")
            if spec.name in names or spec.name == "anonymous":
                raise DeriveError(f"adapter principal name {spec.name!r} is used twice (anonymous is built in)")
            names.add(spec.name)
            if spec.kind != "anonymous" and not spec.headers:
                raise DeriveError(f"adapter principal {spec.name!r} ({spec.kind}) has no headers to authenticate with")
            if spec.tenant is not None and spec.tenant not in self.tenants:
                raise DeriveError(f"adapter principal {spec.name!r}: tenant {spec.tenant!r} is not in adapter.tenants")
            if spec.kind == "ai_agent" and not spec.scopes:
                raise DeriveError(f"adapter principal {spec.name!r} (ai_agent) names no scopes")


# -- finding the app ---------------------------------------------------------------------

def _is_app(obj: Any) -> bool:
    from aksara import Aksara

    return isinstance(obj, Aksara)


def _apply_env(env: Mapping[str, str], fresh: bool) -> None:
    """Set the environment the app module is imported under, and let Aksara's settings see it.

    Aksara reads its environment once, when it is first imported (here: long before the app module),
    and other code of the run may have configured it since. A module that reads ``settings.database_url``
    at import, as ``aksara startproject``'s main.py does, would see that state and build an app with no
    database lifespan. With ``fresh`` the settings become those of a new process started with this
    environment; otherwise (a target module importing the app) each setting nobody configured since takes
    the value the new environment gives.
    """
    from aksara.conf import reset_settings, settings

    before = {} if fresh else _env_settings()
    os.environ.setdefault("DATABASE_URL", PLACEHOLDER_DSN)
    os.environ.setdefault("AKSARA_DATABASE_URL", os.environ["DATABASE_URL"])
    os.environ.setdefault("AKSARA_DEBUG", "false")
    for key, value in env.items():
        os.environ[key] = str(value)
    if fresh:
        reset_settings()
        return
    after = _env_settings()
    current = settings.__dict__
    for key, value in after.items():
        if key in current and current[key] == before.get(key) and value != before.get(key):
            current[key] = value


def _env_settings() -> dict[str, Any]:
    """Aksara's settings as a new process with the current environment would read them."""
    from aksara.conf import settings

    try:
        return dict(type(settings)().__dict__)
    except Exception:  # noqa: BLE001 - an environment Aksara refuses is reported when the app imports
        return {}


def resolve(spec: str, profile: str, env: Mapping[str, str] = ()) -> tuple[Any, types.ModuleType]:
    """Import ``module:attr`` (after setting the environment) and return (app or target, module)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise DeriveError(f"--aksara-target must be 'refapp', 'example:<name>' or 'module:attr', got {spec!r}")
    from aksara.conf import settings

    _apply_env(dict(env or {}), fresh=not _RESOLVING and module_name not in sys.modules)
    if module_name in _IMPORTED_SETTINGS:  # imported before: the settings its import left, not the run's since
        settings.__dict__.clear()
        settings.__dict__.update(_IMPORTED_SETTINGS[module_name])
    _RESOLVING.append(spec)
    try:
        return _resolve(spec, module_name, attr, profile)
    finally:
        _RESOLVING.pop()


_RESOLVING: list[str] = []  # the specs being resolved: a target factory may resolve its app in turn
_IMPORTED_SETTINGS: dict[str, dict[str, Any]] = {}  # module -> Aksara's settings right after its import


def _resolve(spec: str, module_name: str, attr: str, profile: str) -> tuple[Any, types.ModuleType]:
    from aksara.conf import settings

    first_import = module_name not in sys.modules
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - report any import failure in one line
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise DeriveError(f"cannot import target module {module_name!r}: {type(exc).__name__}: {first}") from None
    if first_import:
        _IMPORTED_SETTINGS[module_name] = dict(settings.__dict__)
    if not hasattr(module, attr):
        raise DeriveError(f"module {module_name!r} has no attribute {attr!r}")
    obj = getattr(module, attr)
    if _is_app(obj) or isinstance(obj, Adapter):
        return obj, module
    if not callable(obj):
        raise DeriveError(f"{spec} is neither an Aksara app nor a callable returning an app or a Target")
    try:
        params = [p for p in inspect.signature(obj).parameters.values()
                  if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        result = obj(profile) if params else obj()
    except Exception as exc:  # noqa: BLE001
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise DeriveError(f"target factory {spec} failed: {type(exc).__name__}: {first}") from None
    return result, module


# -- reading the app ---------------------------------------------------------------------

def app_viewsets(app: Any) -> list[type]:
    """The ModelViewSet classes whose generated routes the app serves, in route order."""
    from aksara.api.viewsets import ModelViewSet

    from targets.routes import routes_of

    found: list[type] = []
    for route in routes_of(app):
        for cell in getattr(getattr(route, "endpoint", None), "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, ModelViewSet) and type(value) not in found:
                found.append(type(value))
    return found


def app_paths(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves; a mount is listed with method ``*``."""
    from aksara.routing import iter_routes

    out = []
    for route in iter_routes(app):
        path = getattr(route, "path", None)
        if path:
            for method in sorted(getattr(route, "methods", None) or ["*"]):
                out.append((method, path))
    return out


def _auto_managed(field_obj: Any) -> bool:
    return any(bool(getattr(field_obj, name, False)) for name in ("auto_now", "auto_now_add", "system_only"))


def describe_resource(viewset_cls: type) -> ResourceSpec:
    """:func:`describe_viewset`, plus what the field and method overrides say."""
    from aksara.api.viewsets import ModelViewSet

    spec = describe_viewset(viewset_cls)
    model_fields = viewset_cls.model._fields
    fields = tuple(
        dataclasses.replace(f, server_controlled=True) if _auto_managed(model_fields.get(f.name)) else f
        for f in spec.fields
    )
    changes: dict[str, Any] = {"fields": fields}
    if getattr(viewset_cls, "list", None) is not getattr(ModelViewSet, "list", None):
        # The app wrote its own list handler: Aksara's paginator, filter and ordering contracts do not apply.
        changes.update(paginator="custom", filter_backend=False, filterable_fields=(), router_filter_fields=(),
                       ordering_fields=(), search_fields=())
    return dataclasses.replace(spec, **changes)


def reads_contrib_sessions(app: Any) -> bool:
    """Whether ``app`` attaches ``aksara.contrib.auth`` users from the ``session_token`` cookie to every request,
    with no middleware of its own (which may authenticate otherwise, before the session is read)."""
    try:
        from aksara.contrib.admin.mount import AdminSessionMiddleware
    except ImportError:
        return False
    classes = [getattr(m, "cls", None) for m in getattr(app, "user_middleware", None) or ()]
    own = [c for c in classes if not str(getattr(c, "__module__", "")).startswith("aksara.")
           or str(getattr(c, "__module__", "")).startswith("aksara._examples.")]
    return AdminSessionMiddleware in classes and not own


def contrib_principals() -> tuple[PrincipalSpec, ...]:
    """The principals of :data:`CONTRIB_PRINCIPALS`, each authenticated by its session cookie."""
    return tuple(principal(name, kind, headers={"cookie": f"session_token={token}"})
                 for name, (kind, _, _, token) in CONTRIB_PRINCIPALS.items())


async def insert_contrib_accounts(conn: Any) -> None:
    """Create the :data:`CONTRIB_PRINCIPALS` accounts (a hashed password) and their sessions, as Aksara stores them."""
    from datetime import datetime, timedelta, timezone

    from aksara.contrib.auth import hash_password
    from aksara.contrib.auth import session as contrib_session

    await contrib_session._ensure_sessions_table(conn)  # the table Aksara creates on first use
    columns = await conn.fetch(_COLUMNS_SQL, '"aksara_users"')
    hashed = hash_password(CONTRIB_PASSWORD)
    for index, (name, (_, email, staff, token)) in enumerate(CONTRIB_PRINCIPALS.items()):
        known = {"id": seed_id("aksara-fuzz-contrib-auth", index), "email": email, "hashed_password": hashed,
                 "is_active": "true", "is_staff": str(staff).lower(), "is_superuser": "false", "metadata": "{}"}
        values = [known.get(c["name"], _seed_value("aksara_users", c["name"], c["type"], index, None))
                  if c["name"] in known or not c["nullable"] else None for c in columns]
        names = ", ".join(f'"{c["name"]}"' for c in columns)
        params = ", ".join(f"${i + 1}::text::{c['type']}" for i, c in enumerate(columns))
        await conn.execute(f'INSERT INTO "aksara_users" ({names}) VALUES ({params}) ON CONFLICT DO NOTHING', *values)
        await conn.execute(
            f"INSERT INTO {contrib_session.SESSIONS_TABLE} (token, user_id, expires_at) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING", token, known["id"], datetime.now(timezone.utc) + timedelta(days=2))


def settings_secrets() -> tuple[str, ...]:
    from aksara.conf import settings

    found = []
    for name in SECRET_SETTINGS:
        value = getattr(settings, name, None)
        if isinstance(value, str) and len(value) >= 8:
            found.append(value)
    return tuple(found)


def app_models(app: Any, viewsets: Sequence[type], package: str) -> dict[str, type]:
    """Models of the app: its viewsets' models, every registered model of its package, and their FK targets."""
    from aksara.registry import ModelRegistry

    registered = dict(ModelRegistry._models)
    models: dict[str, type] = {}
    for vs in viewsets:
        models[vs.model.__name__] = vs.model
    root = package.split(".")[0] if not package.startswith("aksara.") else package
    for model in registered.values():
        if (model.__module__ or "").startswith(root):
            models.setdefault(model.__name__, model)
    pending = list(models.values())
    while pending:
        model = pending.pop()
        for field_obj in model._fields.values():
            to = getattr(field_obj, "_to", None) or getattr(field_obj, "to", None)
            target = to if isinstance(to, type) else next(
                (m for m in registered.values() if isinstance(to, str) and m.__name__ == to.split(".")[-1]), None)
            if target is not None and target.__name__ not in models:
                models[target.__name__] = target
                pending.append(target)
    return models


def migrations_dir(package: str) -> Path | None:
    """The app's migrations directory (configured, or next to the app's module) when it holds migrations."""
    from aksara.conf import settings

    candidates = []
    configured = getattr(settings, "migrations_dir", None)
    if configured and Path(configured).is_absolute():
        candidates.append(Path(configured))
    module = sys.modules.get(package)
    if module is not None and getattr(module, "__file__", None):
        candidates.append(Path(module.__file__).parent / "migrations")
    import aksara.migrations as framework_migrations

    framework = Path(framework_migrations.__file__).resolve().parent
    for path in candidates:
        if path.resolve() == framework:
            continue
        if path.is_dir() and any(p.suffix == ".py" and p.stem != "__init__" and "operations" in p.read_text("utf-8", "replace")
                                 for p in path.iterdir()):
            return path
    return None


# -- the derived target ------------------------------------------------------------------

class DerivedTarget:
    """A Target built from an Aksara app object and an :class:`Adapter`."""

    def __init__(self, app: Any, adapter: Adapter | None = None, *, name: str = "app", profile: str = "defaults",
                 package: str = ""):
        adapter = adapter or Adapter()
        adapter.check()
        if not _is_app(app):
            raise DeriveError(f"{name}: {type(app).__name__} is not an Aksara app (aksara.Aksara)")
        from aksara.conf import settings

        self.app = app
        self.adapter = adapter
        # the settings the app module left at import (its own configure() calls): every build starts from them,
        # whatever other families of the run configured since
        self.import_settings = dict(settings.__dict__)
        self.package = package or getattr(app, "__module__", "") or ""
        self.viewsets = app_viewsets(app)
        self.models = app_models(app, self.viewsets, self.package)
        self.migrations = migrations_dir(self.package)
        paths = app_paths(app)
        served = {p for _, p in paths}
        health = next((p for p in HEALTH_CANDIDATES if p in served), "/openapi.json")
        self.contrib_auth = (adapter.contrib_auth if adapter.contrib_auth is not None
                             else not adapter.principals and reads_contrib_sessions(app))
        contrib = contrib_principals() if self.contrib_auth else ()
        mcp_path = None
        if getattr(settings, "mcp_enabled", False):
            mcp_path = "/" + str(getattr(settings, "mcp_path", "/mcp")).strip("/") + "/"
        self.info = TargetInfo(
            name=name,
            # the app connects as the database's owner (no restricted role, no forced RLS): what a new
            # project gets, the reference app's ``defaults`` profile, whichever profile was asked for
            profile="defaults",
            resources=tuple(describe_resource(v) for v in self.viewsets),
            principals=(PrincipalSpec("anonymous", "anonymous"), *contrib, *adapter.principals),
            tenants=dict(adapter.tenants),
            health_path=health,
            mcp_path=mcp_path,
            public_paths=tuple(p for p in dict.fromkeys((*DOCS_PATHS, *HEALTH_CANDIDATES)) if p in served),
            public_routes=tuple(
                (m, p) for m, p in paths if m != "*" and ("*" in adapter.public_routes or (m, p) in adapter.public_routes)
            ),
            secrets=tuple(dict.fromkeys((*settings_secrets(), *adapter.secrets,
                                         *(t for *_, t in CONTRIB_PRINCIPALS.values() if contrib)))),
        )

    def build_app(self, dsn: str) -> Any:
        import aksara
        from aksara.conf import settings

        settings.__dict__.clear()
        settings.__dict__.update(self.import_settings)
        aksara.configure(**{"database_url": dsn, "tasks_enabled": False, "debug": False, **self.adapter.settings})
        for logger in QUIET_LOGGERS:
            logging.getLogger(logger).setLevel(logging.ERROR)
        self.app._database_url = dsn  # the app read a placeholder at import; point it at the suite's database
        return self.app

    def app_dsn(self, server: Any, database: str) -> str:
        return server.dsn(database)

    async def prepare_database(self, conn: Any, server: Any, database: str) -> None:
        """Schema from the app's migrations (topped up by the autodetector), then seed rows if none."""
        from aksara.migrations import apply_migrations, detect_changes, discover_migrations
        from aksara.migrations.autodetector import operations_to_code
        from aksara.migrations.executor import create_migration_file

        with tempfile.TemporaryDirectory(prefix="aksara-fuzz-migrations-") as tmp:
            mig_dir = Path(tmp)
            if self.migrations is not None:
                for path in self.migrations.iterdir():
                    if path.suffix == ".py":
                        shutil.copy(path, mig_dir / path.name)
            _, ops = detect_changes(discover_migrations(mig_dir), dict(self.models))
            if ops:
                create_migration_file(mig_dir, "aksara_fuzz_autodetected", operations_to_code(ops))
            await apply_migrations(conn, mig_dir, include_internal=True, verbose=False)
        tables = [m.__tablename__ for m in self.models.values()]
        counts = [await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables]
        if self.adapter.seed or (self.adapter.seed is None and not any(counts)):
            choices = {(m.__tablename__, n): [c[0] if isinstance(c, (tuple, list)) else c for c in f.choices]
                       for m in self.models.values() for n, f in m._fields.items() if getattr(f, "choices", None)}
            await insert_generated_seed(conn, tables, list(self.adapter.tenants.values()), choices)
        if self.contrib_auth:
            await insert_contrib_accounts(conn)


# -- generated seed ----------------------------------------------------------------------

_COLUMNS_SQL = """
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
       t.typtype AS typtype, a.atttypid AS typid
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      AND a.attidentity = '' ORDER BY a.attnum
"""
_FKS_SQL = """
SELECT a.attname AS column, c.confrelid::regclass::text AS target
FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND c.conrelid = $1::regclass
"""


async def insert_generated_seed(conn: Any, tables: Sequence[str], tenants: Sequence[str],
                                choices: Mapping[tuple[str, str], list] | None = None) -> None:
    """Insert ``SEED_ROWS`` deterministic rows into each table, parents before children."""
    fks = {t: {r["column"]: r["target"].strip('"') for r in await conn.fetch(_FKS_SQL, f'"{t}"')} for t in tables}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered
                 and all(dep in ordered or dep == t or dep not in tables for dep in fks[t].values())]
        ordered.extend(ready or [t for t in tables if t not in ordered])
    tenant_ids = list(tenants) or [seed_id("tenant", 0), seed_id("tenant", 1)]
    for table in ordered:
        columns = await conn.fetch(_COLUMNS_SQL, f'"{table}"')
        enums = {name: [str(c) for c in values] for (t, name), values in (choices or {}).items() if t == table}
        for col in columns:
            if col["typtype"] == "e":
                enums[col["name"]] = [r[0] for r in await conn.fetch(
                    "SELECT enumlabel FROM pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder", col["typid"])]
        names = [c["name"] for c in columns]
        sql = (f'INSERT INTO "{table}" (' + ", ".join(f'"{n}"' for n in names) + ") VALUES ("
               + ", ".join(f"${i + 1}::text::{c['type']}" for i, c in enumerate(columns)) + ")")
        for index in range(SEED_ROWS):
            values = []
            for col in columns:
                target = fks[table].get(col["name"])
                if target is not None:
                    if target == table or target not in tables:
                        values.append(None if col["nullable"] else seed_id(target, 0))
                    else:
                        values.append(seed_id(target, index % SEED_ROWS))
                elif col["name"] == "tenant_id":
                    values.append(tenant_ids[index % len(tenant_ids)])
                else:
                    values.append(_seed_value(table, col["name"], col["type"], index, enums.get(col["name"])))
            await conn.execute(sql, *values)


def _seed_value(table: str, column: str, pg_type: str, index: int, labels: list[str] | None) -> str | None:
    """A deterministic text literal of ``pg_type`` for row ``index``."""
    base = pg_type.split("(")[0].strip()
    if labels:
        return labels[index % len(labels)]
    if pg_type.endswith("[]"):
        return "{}"
    if base == "uuid":
        return seed_id(table, index) if column == "id" else seed_id(f"{table}.{column}", index)
    if base in INTEGER_KINDS:  # the integer field kinds are named as their PostgreSQL types
        return str(index + 1)
    if base in ("numeric", "real", "double precision"):
        return f"{index + 1}.5" if "," not in pg_type or not pg_type.endswith(",0)") else str(index + 1)
    if base == "boolean":
        return "true" if index % 2 else "false"
    if base.startswith("timestamp"):
        return f"2024-01-{index + 1:02d}T12:00:00+00:00"
    if base == "date":
        return f"2024-01-{index + 1:02d}"
    if base.startswith("time"):
        return f"12:{index:02d}:00"
    if base in ("json", "jsonb"):
        return "{}"
    if base in ("inet", "cidr"):
        return f"10.0.0.{index + 1}"
    text = f"{column}-{index + 1}@example.com" if "email" in column else f"{column}-{index + 1}"
    if "(" in pg_type and base in ("character varying", "character"):
        limit = int(pg_type.split("(")[1].rstrip(")"))
        text = text[-limit:]
    return text


def derive(spec: str, adapter: Adapter | None = None, profile: str = "defaults", name: str | None = None) -> DerivedTarget:
    """Import ``module:attr`` and derive a Target from the app it names (``adapter.env`` set first)."""
    adapter = adapter or Adapter()
    obj, module = resolve(spec, profile, adapter.env)
    if not _is_app(obj):
        raise DeriveError(f"{spec} is not an Aksara app (got {type(obj).__name__})")
    return DerivedTarget(obj, adapter, name=name or module.__name__.rpartition(".")[0] or module.__name__,
                         profile=profile, package=module.__name__)

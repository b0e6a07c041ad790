"""What the installed Aksara release offers, found by feature detection (never by version number).

One dependency set serves Aksara 0.5.47 through 0.7.x, but the APIs differ between
releases. Everything the reference target and the properties use from Aksara that is
not in every release is named here, with a probe (an import, an attribute, a keyword
of ``Settings``). ``missing(name)`` gives ``None`` when the feature is there, otherwise
a one-line reason naming what is absent; properties that need it skip with that reason.

Callers go through the module (``features.missing(...)``), so a test can simulate an
older release by replacing :func:`missing` without touching Aksara.
"""

from __future__ import annotations

import importlib
import inspect
from functools import lru_cache
from typing import Any, Callable

# name -> (what is probed, as named in a skip reason; probe returning True when present)
_PROBES: dict[str, tuple[str, Callable[[], bool]]] = {}


def _importable(module: str, attr: str | None = None) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            return False
        return attr is None or hasattr(mod, attr)

    return probe


def _feature(name: str, label: str, probe: Callable[[], bool]) -> None:
    _PROBES[name] = (label, probe)


_feature("mcp", "the MCP server (aksara.mcp)", _importable("aksara.mcp"))
_feature("mcp_approval", "MCP approval tokens (aksara.mcp.approval.ApprovalManager)",
         _importable("aksara.mcp.approval", "ApprovalManager"))
_feature("filter_backend", "AksaraFilterBackend (aksara.api.filters)",
         _importable("aksara.api.filters", "AksaraFilterBackend"))
_feature("django_filter_backend", "DjangoFilterBackend (aksara.api.filters)",
         _importable("aksara.api.filters", "DjangoFilterBackend"))
_feature("principal", "security principals (aksara.security.principal.Principal)",
         _importable("aksara.security.principal", "Principal"))
_feature("mcp_claims", "MCP claim mapping (aksara.security.context.principal_from_mcp_claims)",
         _importable("aksara.security.context", "principal_from_mcp_claims"))
_feature("bulk_payload_policy", "helper-level bulk and upsert payload validation "
         "(aksara.security.enforcement.validate_bulk_payload_policy)",
         _importable("aksara.security.enforcement", "validate_upsert_payload_policy"))
_feature("request_principal", "principal resolution from request state (aksara.security.context.principal_from_request)",
         _importable("aksara.security.adapters", "annotate_request_state"))
_feature("policy_engine", "the field policy engine (aksara.security.policy.PolicyEngine)",
         _importable("aksara.security.policy", "PolicyEngine"))
_feature("scope_check", "MCP scope checks (aksara.security.mcp.require_scope)",
         _importable("aksara.security.mcp", "require_scope"))
_feature("durable", "durable operations linked to tasks (aksara.tasks.enqueue_operation_task)",
         _importable("aksara.tasks", "enqueue_operation_task"))


def _release_checks() -> bool:
    try:
        from aksara.security.checks import run_security_checks
    except ImportError:
        return False
    return "release_candidate" in inspect.signature(run_security_checks).parameters


_feature("doctor", "release-mode security checks (aksara.security.checks.run_security_checks(release_candidate=...))",
         _release_checks)
_feature("security_matrix", "security matrices (aksara.security.matrix)", _importable("aksara.security.matrix"))


def _matrix_path_env() -> bool:
    try:
        import aksara.security.matrix as matrix
    except ImportError:
        return False
    return "AKSARA_SECURITY_MATRIX_PATH" in inspect.getsource(matrix)


_feature("matrix_path_env", "a security matrix path from AKSARA_SECURITY_MATRIX_PATH (aksara.security.matrix)",
         _matrix_path_env)
_feature("agent_tokens", "HMAC agent tokens (aksara.ai.auth.sign_agent_token)",
         _importable("aksara.ai.auth", "sign_agent_token"))
_feature("route_iter", "the routing table iterator (aksara.routing.iter_routes)",
         _importable("aksara.routing", "iter_routes"))
_feature("query_log", "query capture (aksara.db.debug)", _importable("aksara.db.debug"))


def _admin_site() -> bool:
    try:
        from aksara.contrib.admin.mount import include_admin
    except ImportError:
        return False
    return "site" in inspect.signature(include_admin).parameters


_feature("admin_site", "mountable admin sites (aksara.contrib.admin.mount.include_admin(site=...))", _admin_site)
_feature("studio", "Studio with its own authentication (aksara.studio.fastapi.verify_studio_auth)",
         _importable("aksara.studio.fastapi", "verify_studio_auth"))
_feature("model_stream", "server-sent model event streams (aksara.api.streaming)",
         _importable("aksara.api.streaming", "build_model_stream_response"))


def _checks_before_create(func: Any, create_marker: str) -> bool:
    source = inspect.getsource(func)
    check, create = source.find("information_schema"), source.find(create_marker)
    return check != -1 and create != -1 and check < create


def _startup_ddl_guard() -> bool:
    """Whether Aksara's start-up looks for its own tables before it issues CREATE TABLE."""
    import aksara.contenttypes
    from aksara.contrib.auth import session

    ensure_types = getattr(aksara.contenttypes, "ensure_content_types_table", None)
    ensure_sessions = getattr(session, "_ensure_sessions_table", None)
    return (ensure_types is not None and _checks_before_create(ensure_types, "CONTENT_TYPES_TABLE_SQL")
            and (ensure_sessions is None or _checks_before_create(ensure_sessions, "CREATE TABLE")))


_feature("startup_ddl_guard", "a start-up that issues no DDL when its tables exist (aksara.contenttypes)",
         _startup_ddl_guard)
for _cls in ("LimitOffsetPagination", "PageNumberPagination", "CursorPagination"):
    _feature(f"paginator:{_cls}", f"{_cls} (aksara.api.pagination)", _importable("aksara.api.pagination", _cls))


@lru_cache(maxsize=None)
def settings_keywords() -> frozenset[str]:
    """The keywords ``aksara.conf.Settings`` accepts in the installed release."""
    from aksara.conf import Settings

    fields = getattr(Settings, "__dataclass_fields__", None)
    if fields:
        return frozenset(fields)
    params = inspect.signature(Settings).parameters
    return frozenset(n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_KEYWORD)


@lru_cache(maxsize=None)
def _present(name: str) -> bool:
    if name.startswith("setting:"):
        return name.split(":", 1)[1] in settings_keywords()
    if name not in _PROBES:
        raise KeyError(f"unknown Aksara feature {name!r}")
    return _PROBES[name][1]()


def label(name: str) -> str:
    """How a feature is named in a skip reason."""
    if name.startswith("setting:"):
        return f"the Settings keyword {name.split(':', 1)[1]!r} (aksara.conf.Settings)"
    return _PROBES[name][0]


def aksara_version() -> str:
    try:
        from aksara import __version__
    except ImportError:
        return "?"
    return str(__version__)


def missing(name: str) -> str | None:
    """``None`` when the installed Aksara has the feature, else the reason it is absent."""
    if _present(name):
        return None
    return f"Aksara {aksara_version()} lacks {label(name)}"


def has(name: str) -> bool:
    """Whether the installed Aksara has the feature."""
    return missing(name) is None


def first_missing(*names: str) -> str | None:
    """The reason for the first absent feature among ``names``, or ``None`` when all are there."""
    for name in names:
        reason = missing(name)
        if reason:
            return reason
    return None


def supported_settings(wanted: dict[str, Any]) -> dict[str, Any]:
    """``wanted`` without the keywords the installed ``Settings`` would refuse."""
    return {k: v for k, v in wanted.items() if has(f"setting:{k}")}


def known_features() -> list[str]:
    """Every probed feature name, settings keywords excluded."""
    return sorted(_PROBES)

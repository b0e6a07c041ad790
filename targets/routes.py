"""Route inventory: every route the ASGI app actually serves, classified.

Read from the app's routing table (``aksara.routing.iter_routes``), not from
OpenAPI, which hides Aksara's own ``/ai/*`` routes, docs and mounts. Classes:
``crud`` (a generated list/detail route of a described resource), ``action`` (a
viewset ``@action``), ``mcp``, ``admin``, ``studio``, ``docs``, ``ai`` (Aksara's AI
introspection and execution routes), ``health`` and ``other``.

Each route of a viewset carries the permissions Aksara will apply to it (``permissions``: the
viewset's ``permission_classes``, or an ``@action``'s own list when it names one, as
:class:`targets.permissions.PermissionSpec`), whether AI callers may use it (``ai_exposed``) and
the names of the FastAPI ``dependencies`` on the route. Routes Aksara did not generate from a
viewset have ``permissions=None``: nothing is declared there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from targets.base import TargetInfo

DOCS = ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect")


@dataclass(frozen=True)
class RouteInfo:
    """One (method, path template) the app serves."""

    method: str
    path: str
    kind: str
    public: bool
    permissions: tuple[Any, ...] | None = None  # PermissionSpec; None: not a viewset route
    ai_exposed: bool = True
    dependencies: tuple[str, ...] = ()

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)

    def fill(self, values: dict[str, str]) -> str:
        return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m.group(1), "00000000-0000-4000-8000-000000000000"),
                      self.path)


#: A path segment that names a login page: such a page is where a refused caller is sent, so it is
#: public by nature (the oracles also read a redirect to one as a refusal).
LOGIN_SEGMENT = re.compile(r"^(log-?in|sign-?in|auth|authenticate|authorize|sso)$", re.I)


def is_login_path(path: str) -> bool:
    return any(LOGIN_SEGMENT.match(segment) for segment in path.split("/") if segment)


CONSOLE_PREFIXES = (("/admin", "admin"), ("/studio", "studio"), ("/_studio", "studio"))


def console_of(path: str) -> str | None:
    """``admin`` or ``studio`` for a path under a console's prefix, else None."""
    return next((kind for prefix, kind in CONSOLE_PREFIXES if path.startswith(prefix)), None)


def mounted_surfaces(app: Any, mcp_path: str) -> frozenset[str]:
    """The optional surfaces ``app`` routes: ``admin``, ``studio`` (any route under their prefixes) and ``mcp``
    (its mount at ``mcp_path``)."""
    routes = routes_of(app)
    found = set()
    for route in routes:
        path = getattr(route, "path", None) or ""
        kind = console_of(path)
        if kind:
            found.add(kind)
        elif path.rstrip("/") == "/" + mcp_path.strip("/"):
            found.add("mcp")
    return frozenset(found)


#: The ways Aksara's routing guide registers a module's viewsets (docs/api/routing.md): ``discover_viewsets(module)``
#: then ``include_viewset`` each, ``include_app_viewsets``, ``include_all_app_viewsets`` over ``settings.apps``,
#: ``Aksara(auto_discover_views=True, views_module=...)``, and ``include_app_viewsets`` of a module that does not exist.
REGISTRATION_FORMS = ("discover", "include_app", "include_all", "auto_discover", "missing_module")


def routes_of(app: Any) -> Any:
    """The app's routing table: Aksara's ``iter_routes`` where the release has it, else FastAPI's routes."""
    from targets import features

    if features.has("route_iter"):
        from aksara.routing import iter_routes

        return iter_routes(app)
    return _iter_routes(app)


def route_set(app: Any) -> frozenset[tuple[str, str]]:
    """(method, path) of every route ``app`` serves, HEAD and OPTIONS left out, a mount as ``*``."""
    routes = routes_of(app)
    return frozenset((method, getattr(route, "path", "")) for route in routes if getattr(route, "path", None)
                     for method in (sorted(getattr(route, "methods", None) or ["*"]))
                     if method not in ("HEAD", "OPTIONS"))


def classify(path: str, info: TargetInfo) -> str:
    if info.mcp_path and path.rstrip("/") == info.mcp_path.rstrip("/"):
        return "mcp"
    if path in DOCS:
        return "docs"
    if path == info.health_path:
        return "health"
    for resource in info.resources:
        if any(action.path == path for action in resource.actions):
            return "action"
        if path in (resource.list_path, resource.detail_path("{pk}")):
            return "crud"
        if path == resource.list_path + "stream":
            return "stream"  # the list as server-sent events: the list's permissions
    if is_login_path(path):
        return "login"
    if path.startswith("/ai/"):
        return "ai"
    return console_of(path) or "other"


def declared(method: str, path: str, info: TargetInfo) -> tuple[tuple[Any, ...] | None, bool]:
    """The permissions and AI exposure Aksara applies to ``method path``, or (None, True) off viewsets."""
    for resource in info.resources:
        for action in resource.actions:
            if action.path == path and method in action.methods:
                return action.permissions, action.ai_exposed and resource.ai_exposed
        prefix = resource.prefix.rstrip("/")
        if path in (resource.list_path, resource.detail_path("{pk}"), f"{prefix}/stream"):
            return resource.permissions, resource.ai_exposed
    return None, True


def _dependency_names(route: Any) -> tuple[str, ...]:
    names = []
    for dependency in getattr(route, "dependencies", None) or ():
        call = getattr(dependency, "dependency", dependency)
        names.append(getattr(call, "__qualname__", None) or type(call).__name__)
    return tuple(names)


def inventory(app: Any, info: TargetInfo) -> list[RouteInfo]:
    """Every (method, path) the app routes, HEAD and OPTIONS folded into GET."""
    routes: list[RouteInfo] = []
    for route in routes_of(app):
        path = getattr(route, "path", None)
        if not path:
            continue
        methods = sorted(getattr(route, "methods", None) or []) or ["POST"]  # a mount: probe with POST
        for method in methods:
            if method in ("HEAD", "OPTIONS"):
                continue
            kind = classify(path, info)
            public = info.is_public(method, path) or (kind == "login" and method == "GET")
            permissions, ai_exposed = declared(method, path, info)
            routes.append(RouteInfo(method, path, kind, public, permissions, ai_exposed, _dependency_names(route)))
    return sorted(set(routes), key=lambda r: (r.path, r.method))


def _iter_routes(app: Any) -> Any:
    """The routing table as FastAPI exposes it, for releases without ``aksara.routing``."""
    from fastapi import routing

    routes = getattr(app, "routes", ()) or ()
    contexts = getattr(routing, "iter_route_contexts", None)
    return contexts(routes) if contexts is not None else iter(routes)

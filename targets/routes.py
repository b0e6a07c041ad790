"""Route inventory: every route the ASGI app actually serves, classified.

Read from the app's routing table (``aksara.routing.iter_routes``), not from
OpenAPI, which hides Aksara's own ``/ai/*`` routes, docs and mounts. Classes:
``crud`` (a generated list/detail route of a described resource), ``action`` (a
viewset ``@action``), ``mcp``, ``admin``, ``studio``, ``docs``, ``ai`` (Aksara's AI
introspection and execution routes), ``health`` and ``other``.
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
    for prefix, kind in (("/ai/", "ai"), ("/admin", "admin"), ("/studio", "studio"), ("/_studio", "studio")):
        if path.startswith(prefix):
            return kind
    return "other"


def inventory(app: Any, info: TargetInfo) -> list[RouteInfo]:
    """Every (method, path) the app routes, HEAD and OPTIONS folded into GET."""
    from targets import features

    if features.has("route_iter"):
        from aksara.routing import iter_routes
    else:
        iter_routes = _iter_routes

    routes: list[RouteInfo] = []
    for route in iter_routes(app):
        path = getattr(route, "path", None)
        if not path:
            continue
        methods = sorted(getattr(route, "methods", None) or []) or ["POST"]  # a mount: probe with POST
        for method in methods:
            if method in ("HEAD", "OPTIONS"):
                continue
            kind = classify(path, info)
            public = info.is_public(method, path) or (kind == "login" and method == "GET")
            routes.append(RouteInfo(method, path, kind, public))
    return sorted(set(routes), key=lambda r: (r.path, r.method))


def _iter_routes(app: Any) -> Any:
    """The routing table as FastAPI exposes it, for releases without ``aksara.routing``."""
    from fastapi import routing

    routes = getattr(app, "routes", ()) or ()
    contexts = getattr(routing, "iter_route_contexts", None)
    return contexts(routes) if contexts is not None else iter(routes)

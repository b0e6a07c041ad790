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
            routes.append(RouteInfo(method, path, classify(path, info), info.is_public(method, path)))
    return sorted(set(routes), key=lambda r: (r.path, r.method))


def _iter_routes(app: Any) -> Any:
    """The routing table as FastAPI exposes it, for releases without ``aksara.routing``."""
    from fastapi import routing

    routes = getattr(app, "routes", ()) or ()
    contexts = getattr(routing, "iter_route_contexts", None)
    return contexts(routes) if contexts is not None else iter(routes)

"""Which request headers an app's Aksara request-context middleware reads, read from the app itself.

Aksara's middleware package (docs/middleware/) turns request headers into request context: a
correlation id (``RequestIDMiddleware``), a tenant selection (``TenantMiddleware``), a locale
(``LocaleMiddleware``), a timezone (``TimezoneMiddleware``) and a server-side agent token
(``AIAgentMiddleware``). Each reads one header, ``header_name`` (its constructor default unless the
app passed another); a tenant middleware with ``use_subdomain`` reads the ``Host`` header too. :func:`context_headers` lists them from the app's middleware stack, so the
properties that send hostile values of those headers work on any Aksara app.
"""

from __future__ import annotations

import inspect
from typing import Any

#: Aksara's request-context middleware class name -> what its header carries.
CONTEXT_MIDDLEWARE: dict[str, str] = {
    "RequestIDMiddleware": "request_id",
    "TenantMiddleware": "tenant",
    "LocaleMiddleware": "locale",
    "TimezoneMiddleware": "timezone",
    "AIAgentMiddleware": "agent_token",
}


def _header_name(cls: type, kwargs: dict[str, Any]) -> str | None:
    if "header_name" in kwargs:
        return kwargs["header_name"]
    parameter = inspect.signature(cls.__init__).parameters.get("header_name")
    return None if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


def context_headers(app: Any) -> tuple[tuple[str, str], ...]:
    """(kind, header name) of every header the app's Aksara request-context middleware reads, outermost first."""
    found: list[tuple[str, str]] = []
    for entry in getattr(app, "user_middleware", ()) or ():
        cls = getattr(entry, "cls", None)
        if not isinstance(cls, type) or not cls.__module__.startswith("aksara."):
            continue
        kind = CONTEXT_MIDDLEWARE.get(cls.__name__)
        name = _header_name(cls, dict(getattr(entry, "kwargs", {}) or {})) if kind else None
        if kind and name:
            found.append((kind, name.lower()))
        if kind == "tenant" and (getattr(entry, "kwargs", {}) or {}).get("use_subdomain"):
            found.append(("tenant_host", "host"))  # the host's first label selects a tenant when no header does
    return tuple(dict.fromkeys(found))

"""Oracles for the browser consoles: Aksara's admin (``aksara.contrib.admin``) and Studio (``aksara.studio``).

Readings (the Threat Model's "Browser users to Studio/admin surfaces" boundary, its risk "Studio/admin
exposure", and Aksara's docs: admin/admin-site.md "Access Control", admin/admin-permissions.md
"Security Notes", studio/configuration.md "Origin and credential checks", api/authentication.md
"Sessions, registration, and recovery"):

- ``studio.console_requires_staff``: an admin route admits only a staff user (the site's default gate:
  an authenticated ``request.state.user`` with ``is_staff``); a Studio route admits only Studio's own
  bearer token (``studio_auth_token``) or a database-backed staff session cookie. Every other caller
  is refused with 401/403/404/405 or a redirect to a login page, never served, validated or crashed.
  An API token is not a Studio credential (the Studio page lists exactly those two).
- ``studio.cross_origin_refused``: a state-changing console request carried by a browser session
  from another origin (a foreign ``Origin`` or ``Referer``) or without the admin's CSRF token is
  refused (401/403 or a login redirect) and changes no table. Judged only where the same request
  sent same-origin, with its token, got past the gate (so the refusal is the gate's).
- ``studio.redirect_on_site``: no console response redirects off-site, whatever ``next``/``redirect``
  value the request carries: the ``Location`` is resolved as a browser's URL parser resolves it
  (:func:`browser_target`: tab and newline dropped, C0 controls and spaces trimmed, ``\\`` read as ``/``,
  extra slashes before a host, ``https:host``) against the request URL, and its host must be the
  request's host; a non-http(s) scheme (``javascript:``, ``data:``) is off-site.
- ``studio.session_api_boundary``: a console session cookie alone authenticates no REST API route
  that refuses an anonymous caller (the API docs make cookie authentication, and its CSRF
  protection, the application's explicit choice: a session must not leak into the API by default).
- ``studio.no_secret``: no console response, to any caller, contains a configured secret (secret
  key, database password or DSN, agent-token and approval secrets, Studio tokens, session tokens)
  or a settings dump (a secret-bearing setting's name with a value that is not redacted); and no
  Studio response contains a stored value of an ``ai_sensitive`` field. Studio is the AI developer
  console: its answers are "descriptive metadata, not per-record authorization" (studio/api.md) and its
  context, prompt and agent exports are made to be handed to AI agents, from which ``ai_sensitive``
  hides a field; the admin, a staff console over the rows themselves, may show them.
- ``studio.mounted_as_configured``: an app serves each optional surface exactly when its configuration says
  (the Production Hardening posture "Studio exposed in production: false, unless explicitly needed", the
  threat model's "Studio/admin exposure"): Studio "mounts only when enable_studio=True. In production it also
  requires studio_expose_in_production=True" (studio/configuration.md); the admin auto-mounts when debug=True
  and the auth contrib is available, enable_admin=True mounts it outside debug too, enable_admin=False never
  (admin/index.md "Auto-mount in development"); the MCP endpoint is served only with mcp_enabled.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.authz import is_login_redirect
from fuzz.oracles.context import exchange_facts, value_location
from strategies.studio import MountCase
from targets.transcript import Exchange

REFUSED = frozenset({401, 403, 404, 405})
GATE_REFUSED = frozenset({401, 403})
#: Settings whose value is a secret: their name with a clear value in a body is a settings dump.
SECRET_SETTINGS = ("secret_key", "database_url", "studio_secret_token", "studio_auth_token", "mcp_approval_secret",
                   "ai_agent_token", "agent_token_secret", "database_password", "db_password", "password",
                   "hashed_password", "session_token")
REDACTED = re.compile(r"^(|\*+.*|.*\*{3,}.*|<?redacted>?|hidden|masked|set|unset|configured|not configured|none|null"
                      r"|true|false|\[redacted\]|\.\.\.)$", re.I)


def _facts(exchange: Exchange, **more: Any) -> dict[str, str]:
    return exchange_facts(exchange, with_method=True, **more)


def refused(exchange: Exchange) -> bool:
    """401/403/404/405, or a redirect to a login page."""
    return exchange.status in REFUSED or is_login_redirect(exchange)


def check_console_access(exchange: Exchange, kind: str, caller_kind: str, admitted: bool) -> list[Finding]:
    """A console route refuses every caller its docs do not admit, before anything else."""
    judged(catalog.STUDIO_CONSOLE_REQUIRES_STAFF)
    if admitted or refused(exchange):
        return []
    problem = "served" if exchange.status < 400 else "error" if exchange.status >= 500 else "validated_before_auth"
    return [Finding(
        catalog.STUDIO_CONSOLE_REQUIRES_STAFF,
        f"{caller_kind} caller {exchange.principal} {exchange.method} {exchange.route} ({kind}) answered "
        f"{exchange.status} ({problem})",
        observed=exchange.status, expected="401/403/404/405 or a redirect to a login page", exchanges=(exchange,),
        facts=_facts(exchange, problem=problem, route_kind=kind, caller_kind=caller_kind))]


def check_cross_origin_refused(exchange: Exchange, control: Exchange, changed: Sequence[str], kind: str,
                               attack: str) -> list[Finding]:
    """A cross-origin or token-less state-changing request from a browser session is refused and changes nothing.

    ``control`` is the same request sent same-origin with its token: unless it got past the gate (2xx, 3xx
    other than a login redirect, or a 400/422 of the handler's own validation), the attack says nothing
    about the gate and is not judged."""
    if not (control.status < 400 or control.status in (400, 422)) or is_login_redirect(control):
        return []  # the gate (or routing) refused the legitimate request too: the attack says nothing
    judged(catalog.STUDIO_CROSS_ORIGIN_REFUSED)
    findings = []
    if not (exchange.status in GATE_REFUSED or is_login_redirect(exchange)):
        findings.append(Finding(
            catalog.STUDIO_CROSS_ORIGIN_REFUSED,
            f"{attack} {exchange.method} {exchange.route} ({kind}) from a browser session answered {exchange.status}",
            observed=exchange.status, expected="401/403 (the same request same-origin answered "
                                               f"{control.status})",
            exchanges=(control, exchange), facts=_facts(exchange, problem="accepted", route_kind=kind, attack=attack)))
    if changed:
        findings.append(Finding(
            catalog.STUDIO_CROSS_ORIGIN_REFUSED,
            f"{attack} {exchange.method} {exchange.route} ({kind}) changed {', '.join(sorted(changed))}",
            observed=sorted(changed), expected="no table changed", exchanges=(exchange,),
            facts=_facts(exchange, problem="changed", route_kind=kind, attack=attack)))
    return findings


_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.S)


def browser_target(location: str, request_url: str) -> tuple[str, str]:
    """(scheme, host) a browser goes to for ``location`` on ``request_url``, following the WHATWG URL parser's
    rules for http(s): C0 controls and spaces trimmed, tab and newline removed, ``\\`` read as ``/``, any
    number of slashes before an authority, and ``other-scheme:host`` taken as an absolute URL."""
    own = urlsplit(request_url)
    cleaned = location.strip(_C0_AND_SPACE)
    cleaned = cleaned.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    m = _SCHEME.match(cleaned)
    if m:
        scheme, rest = m.group(1).lower(), m.group(2)
        if scheme not in ("http", "https"):
            return scheme, ""
        if scheme == own.scheme and not rest.startswith("/"):
            return scheme, (own.hostname or "").lower()  # "http:path": relative to the base
        return scheme, _authority_host(rest.lstrip("/"))
    if cleaned.startswith("//"):
        return own.scheme, _authority_host(cleaned.lstrip("/"))
    return own.scheme, (own.hostname or "").lower()


def _authority_host(rest: str) -> str:
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].lower()


def location_of(exchange: Exchange) -> str | None:
    return next((v for k, v in exchange.response_headers if k.lower() == "location"), None)


def off_site(location: str, request_url: str) -> str | None:
    """The foreign host (or scheme) a browser would go to for ``location``, or None when it stays on site."""
    scheme, host = browser_target(location, request_url)
    if scheme not in ("http", "https"):
        return f"{scheme}:"
    if host != (urlsplit(request_url).hostname or "").lower():
        return host or "?"
    return None


def check_redirect_on_site(exchange: Exchange, hostile: str, param: str) -> list[Finding]:
    """A console response never redirects to another site, whatever redirect target the request carries."""
    judged(catalog.STUDIO_REDIRECT_ON_SITE)
    location = location_of(exchange)
    if location is None:
        return []
    request_url = "http://testserver" + exchange.path
    foreign = off_site(location, request_url)
    if foreign is None:
        return []
    return [Finding(
        catalog.STUDIO_REDIRECT_ON_SITE,
        f"{exchange.method} {exchange.route} with {param}={hostile!r} redirected to {location!r} (host {foreign})",
        observed=location, expected="a Location on http://testserver", exchanges=(exchange,),
        facts=_facts(exchange, problem="open_redirect", param=param, location=location, foreign=foreign,
                     hostile_class=hostile_class(hostile)))]


def hostile_class(value: str) -> str:
    """A coarse name for the spelling of a hostile redirect target (for signatures, not routes)."""
    stripped = value.lstrip("".join(chr(c) for c in range(0x21)))
    if "\\" in value:
        return "backslash"
    if value != stripped or any(c in value for c in "\t\n\r"):
        return "whitespace"
    if stripped.startswith("//"):
        return "scheme_relative"
    if "%2f" in value.lower() or "%5c" in value.lower():
        return "encoded_slash"
    scheme = urlsplit(stripped).scheme
    if scheme in ("http", "https"):
        return "absolute"
    return scheme or "path"


def check_session_api_boundary(exchange: Exchange, anonymous: Exchange, session_kind: str) -> list[Finding]:
    """A console session cookie alone opens no API route an anonymous caller is refused on."""
    if not refused(anonymous):
        return []
    judged(catalog.STUDIO_SESSION_API_BOUNDARY)
    if refused(exchange):
        return []
    return [Finding(
        catalog.STUDIO_SESSION_API_BOUNDARY,
        f"{session_kind} session cookie alone on {exchange.method} {exchange.route} answered {exchange.status} "
        f"(anonymous: {anonymous.status})",
        observed=exchange.status, expected=f"refused, as for an anonymous caller ({anonymous.status})",
        exchanges=(anonymous, exchange), facts=_facts(exchange, problem="session_authenticates_api",
                                                      caller_kind=session_kind))]


def _setting_dumps(body: Any, path: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(body, dict):
        for key, value in body.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).lower() in SECRET_SETTINGS and isinstance(value, str) and not REDACTED.match(value.strip()):
                yield where, value
            else:
                yield from _setting_dumps(value, where)
    elif isinstance(body, list):
        for i, item in enumerate(body[:1000]):
            yield from _setting_dumps(item, f"{path}[{i}]")


def check_no_secret(exchange: Exchange, secrets: Sequence[str], kind: str,
                    sensitive: Sequence[str] = ()) -> list[Finding]:
    """No console response contains a configured secret or a secret-bearing setting with its value, and no Studio
    response a stored value of an ``ai_sensitive`` field (``sensitive``: those values)."""
    judged(catalog.STUDIO_NO_SECRET)
    text = exchange.response_text + "\n" + "\n".join(f"{k}: {v}" for k, v in exchange.response_headers
                                                     if k.lower() != "set-cookie")
    sent = {v for k, v in exchange.headers}
    sent_text = " ".join(sent) + " " + exchange.path + " " + (exchange.body or b"").decode("utf-8", "replace")
    findings = []
    if kind == "studio":
        for value in sensitive:
            spellings = {value, json.dumps(value)[1:-1]}
            if any(v in text for v in spellings) and value not in sent_text:
                findings.append(Finding(
                    catalog.STUDIO_NO_SECRET, f"{exchange.method} {exchange.route} ({kind}) response contains a "
                                              "stored value of an ai_sensitive field",
                    observed=f"value of length {len(value)} at offset {min(text.find(v) for v in spellings if v in text)}",
                    expected="no ai_sensitive value in any Studio response", exchanges=(exchange,),
                    facts=_facts(exchange, leak="ai_sensitive", route_kind=kind)))
                break  # one finding per response: the cause is the route, not each row
    for secret in secrets:
        if secret in text and not any(secret in value for value in sent):
            findings.append(Finding(
                catalog.STUDIO_NO_SECRET, f"{exchange.method} {exchange.route} ({kind}) response contains a "
                                          "configured secret",
                observed=f"secret of length {len(secret)} at offset {text.find(secret)}",
                expected="no secret in any console response", exchanges=(exchange,),
                facts=_facts(exchange, leak="secret", secret_at=value_location(exchange, secret), route_kind=kind)))
    body = None
    if "json" in (next((v for k, v in exchange.response_headers if k.lower() == "content-type"), "")):
        try:
            body = json.loads(exchange.response_text)
        except ValueError:
            body = None
    for where, _value in _setting_dumps(body):
        findings.append(Finding(
            catalog.STUDIO_NO_SECRET, f"{exchange.method} {exchange.route} ({kind}) shows the setting {where} "
                                      "with its value",
            observed=where, expected="secret-bearing settings redacted or absent", exchanges=(exchange,),
            facts=_facts(exchange, leak="setting", setting=where.rsplit(".", 1)[-1], route_kind=kind)))
    return findings


def expected_surfaces(case: MountCase, auth_available: bool, mcp_available: bool) -> frozenset[str]:
    """The optional surfaces the docs say an app configured by ``case`` serves."""
    surfaces = set()
    if case.enable_studio and (case.debug or case.studio_expose_in_production):
        surfaces.add("studio")
    if case.enable_admin is True or (case.enable_admin is None and case.debug and auth_available):
        surfaces.add("admin")
    if case.mcp_enabled and mcp_available:
        surfaces.add("mcp")
    return frozenset(surfaces)


def check_mounted_as_configured(case: MountCase, served: frozenset[str] | None, expected: frozenset[str],
                                crash: dict[str, str] | None = None) -> list[Finding]:
    """An app serves each optional surface (admin, Studio, MCP) exactly when its configuration says it does."""
    judged(catalog.STUDIO_MOUNTED_AS_CONFIGURED)
    config = {name: str(getattr(case, name)) for name in
              ("debug", "enable_admin", "enable_studio", "studio_expose_in_production", "mcp_enabled")}
    if served is None:
        return [Finding(catalog.STUDIO_MOUNTED_AS_CONFIGURED,
                        f"building the app raised {(crash or {}).get('exception', '?')} for {config}",
                        observed=(crash or {}).get("crash_message"), expected=sorted(expected),
                        facts={"problem": "build_raised", **config, **(crash or {})})]
    findings = []
    for surface in sorted(served ^ expected):
        exposed = surface in served
        findings.append(Finding(
            catalog.STUDIO_MOUNTED_AS_CONFIGURED,
            f"{surface} is {'served' if exposed else 'not served'} by an app configured {config}",
            observed=sorted(served), expected=sorted(expected),
            facts={"problem": "exposed" if exposed else "missing", "surface": surface, **config}))
    return findings

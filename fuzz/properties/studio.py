"""Property bodies for the browser consoles (Aksara's admin and Studio), bound to ``fuzz/oracles/studio.py``.

Everything is read from the app: the console routes from its routing table (``targets.routes.inventory``,
kinds ``admin``, ``studio`` and the ``login`` routes under a console prefix), the values of their path
parameters from the links the consoles themselves render (the admin index and model pages, Studio's UI),
the callers from ``TargetInfo.principals`` (API callers) and ``TargetInfo.console_principals`` (session
cookies, Studio's own token). So the family runs on any target that mounts admin or Studio.

Studio's state-changing routes write files in the working directory (``aksara.ai.json``): the sweeps run
in a temporary directory (:func:`scratch_cwd`).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets as _secrets
import tempfile
from html import unescape
from html.parser import HTMLParser
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterator, Sequence
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fuzz import catalog
from fuzz.findings import Finding, replayable, with_replay
from fuzz.oracles import studio as oracles
from fuzz.oracles.context import OracleContext
from strategies.studio import HOSTILE_ORIGINS, REDIRECT_PARAMS, MountCase
from targets.base import PrincipalSpec
from targets.client import settings_as
from targets.crash import exception_facts, raised_by_suite
from targets.routes import RouteInfo, inventory, mounted_surfaces
from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.client import LiveTarget

CONSOLE_KINDS = ("admin", "studio")
API_SKIPPED_KINDS = ("admin", "studio", "login", "mcp", "docs", "health")
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
CSRF_COOKIE, CSRF_FIELD = "aksara_admin_csrf", "csrf_token"  # aksara.contrib.admin.views (double submit)
FALLBACK = "00000000-0000-4000-8000-000000000000"
FORM = "application/x-www-form-urlencoded"


@contextlib.contextmanager
def scratch_cwd() -> Iterator[str]:
    """Run in a fresh temporary directory (Studio writes its AI hub settings to the working directory)."""
    with tempfile.TemporaryDirectory(prefix="aksara-fuzz-studio-") as tmp, contextlib.chdir(tmp):
        yield tmp


def console_prefixes(live: LiveTarget, routes: Sequence[RouteInfo]) -> tuple[str, ...]:
    """The admin prefixes the target declares and the first segment of every Studio route."""
    studio = {"/" + r.path.strip("/").split("/", 1)[0] for r in routes if r.kind == "studio"}
    return tuple(sorted(set(live.info.admin_prefixes) | studio))


def console_routes(live: LiveTarget) -> list[RouteInfo]:
    """Every admin and Studio route the app serves, and the login routes under their prefixes."""
    routes = inventory(live.app, live.info)
    prefixes = console_prefixes(live, routes)
    return [r for r in routes if r.kind in CONSOLE_KINDS
            or (r.kind == "login" and any(r.path.startswith(p.rstrip("/") + "/") for p in prefixes))]


def kind_of(route: RouteInfo, live: LiveTarget) -> str:
    """``admin`` or ``studio``: the console a route (a login route included) belongs to."""
    if route.kind in CONSOLE_KINDS:
        return route.kind
    return "admin" if any(route.path.startswith(p) for p in live.info.admin_prefixes) else "studio"


def callers(live: LiveTarget) -> list[PrincipalSpec]:
    """Every API principal and every console principal."""
    return list(live.info.principals) + list(live.info.console_principals)


def admitted(spec: PrincipalSpec, console: str, console_principal: bool) -> bool:
    """Whether the docs admit ``spec`` to ``console``: admin, a staff (or system) user, whatever credential
    put it in ``request.state.user``; Studio, a staff session cookie or Studio's own token only."""
    if console == "admin":
        return spec.kind in ("staff", "system")
    return console_principal and spec.kind in ("staff", "console_token")


# -- path parameters from the consoles' own links -------------------------------------------------------

LINK = re.compile(r"""(?:href|src|action)\s*=\s*["']([^"'#]+)["']""", re.I)


def _template_regex(path: str) -> re.Pattern[str]:
    out, last = "", 0
    for m in re.finditer(r"{(\w+)(?::(\w+))?}", path):
        out += re.escape(path[last:m.start()])
        out += f"(?P<{m.group(1)}>.+)" if m.group(2) == "path" else f"(?P<{m.group(1)}>[^/?]+)"
        last = m.end()
    return re.compile("^" + out + re.escape(path[last:]) + "$")


_DISCOVERED: dict[tuple[int, str], dict[str, dict[str, str]]] = {}
_QUERY_LINKS: dict[tuple[int, str], list[str]] = {}
MAX_QUERY_LINKS = 40


def discover_ids(live: LiveTarget, routes: Sequence[RouteInfo]) -> dict[str, dict[str, str]]:
    """Route template -> path parameter values, read from links the consoles render to an admitted caller
    (computed once per started target)."""
    key = (id(live), live.db.name)
    if key not in _DISCOVERED:
        _DISCOVERED[key], _QUERY_LINKS[key] = _discover(live, routes)
    return {path: values for path, values in _DISCOVERED[key].items() if any(r.path == path for r in routes)}


def linked_pages(live: LiveTarget, routes: Sequence[RouteInfo]) -> list[tuple[RouteInfo, str, list[tuple[str, str]]]]:
    """(route, path, query) of every admin link with a query string the consoles render to an admitted caller
    (the change list's search, filter, ordering and page links), up to :data:`MAX_QUERY_LINKS`."""
    discover_ids(live, routes)
    gets = [r for r in routes if r.method == "GET"]
    pages = []
    for link in _QUERY_LINKS.get((id(live), live.db.name), []):
        parts = urlsplit(link)
        route = next((r for r in gets if _template_regex(r.path).match(parts.path)), None)
        if route is not None:
            pages.append((route, parts.path, parse_qsl(parts.query, keep_blank_values=True)))
    return pages


def _discover(live: LiveTarget, routes: Sequence[RouteInfo]) -> tuple[dict[str, dict[str, str]], list[str]]:
    staff = [s for s in callers(live) if s.kind in ("staff", "console_token")]
    routes = console_routes(live)
    admin_first = sorted((r.path for r in routes if r.method == "GET" and not r.params and r.kind != "login"),
                         key=lambda p: (not any(p.startswith(a) for a in live.info.admin_prefixes), p))
    links: list[str] = []
    query_links: list[str] = []
    seen: set[str] = set()
    queue = list(admin_first)
    while queue and len(seen) < 120:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        for spec in staff:
            exchange = live.request(spec.name, "GET", path, route=path)
            if exchange.status != 200 or "html" not in _content_type(exchange):
                continue
            for link in LINK.findall(exchange.response_text):
                parts = urlsplit(unescape(link))
                if parts.netloc not in ("", "testserver"):
                    continue
                if parts.query and any(parts.path.startswith(p) for p in live.info.admin_prefixes) \
                        and len(query_links) < MAX_QUERY_LINKS:
                    with_query = f"{parts.path}?{parts.query}"
                    if with_query not in query_links:
                        query_links.append(with_query)
                link = parts.path
                if link.startswith("/") and link not in links:
                    links.append(link)
                    if any(link.startswith(p) for p in live.info.admin_prefixes):
                        queue.insert(0, link)
            break
    found: dict[str, dict[str, str]] = {}
    for route in routes:
        if not route.params:
            continue
        regex = _template_regex(route.path)
        for link in links:
            m = regex.match(link)
            if m and not any(v in ("add", "change", "delete", "login", "logout")
                             for k, v in m.groupdict().items() if k != "path"):
                found[route.path] = m.groupdict()
                break
        else:
            values = _from_json(live, staff, routes, route)
            if values:
                found[route.path] = values
    return found, query_links


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


def parameter_keys(param: str) -> tuple[str, ...]:
    """The JSON keys a console's own answers name a path parameter's values with: the parameter itself, then
    each of its words, last first (``model_name`` -> model_name, name, model; ``session_id`` -> session_id, id,
    session)."""
    words = [w for w in param.lower().split("_") if w]
    return tuple(dict.fromkeys([param.lower(), *reversed(words)]))


def _first_value(body: Any, keys: Sequence[str]) -> str | None:
    """The shallowest string (or integer) under one of ``keys`` (earlier keys first at each depth) that fits in
    one path segment."""
    level = [body]
    for _ in range(6):
        nested: list[Any] = []
        for key in keys:
            for node in level:
                if isinstance(node, dict):
                    value = node.get(key)
                    if isinstance(value, int) and not isinstance(value, bool):
                        value = str(value)
                    if isinstance(value, str) and value and not any(c in value for c in "/?#"):
                        return value
        for node in level:
            nested += list(node.values()) if isinstance(node, dict) else node[:50] if isinstance(node, list) else []
        level = nested
        if not level:
            break
    return None


def _from_json(live: LiveTarget, staff: Sequence[PrincipalSpec], routes: Sequence[RouteInfo],
               route: RouteInfo) -> dict[str, str]:
    """Values for ``route``'s path parameters read from the JSON an admitted caller gets from the parameterless GET
    routes that share the most leading segments with it (a console lists what its detail routes take: Studio's
    ``/studio/models/inspect/all`` the model names ``/studio/models/inspect/{model_name}`` inspects)."""
    fixed = [s for s in _segments(route.path) if not s.startswith("{")]

    def shared(other: RouteInfo) -> int:
        n = 0
        for a, b in zip(_segments(other.path), fixed):
            if a != b:
                break
            n += 1
        return n

    candidates = sorted((r for r in routes if r.method == "GET" and not r.params and r.kind != "login"
                         and shared(r) >= 2), key=lambda r: (-shared(r), r.path))
    params = [p for p in route.params if not re.search(r"{" + p + r":path}", route.path)]
    for sibling in candidates[:3]:
        for spec in staff:
            exchange = live.request(spec.name, "GET", sibling.path, route=sibling.path)
            if exchange.status != 200 or "json" not in _content_type(exchange):
                continue
            try:
                body = json.loads(exchange.response_text)
            except ValueError:
                continue
            values = {p: _first_value(body, parameter_keys(p)) for p in params}
            if params and all(values.values()):
                return {p: str(v) for p, v in values.items()}
            break
    return {}


def _content_type(exchange: Exchange) -> str:
    return next((v for k, v in exchange.response_headers if k.lower() == "content-type"), "")


def fill(route: RouteInfo, ids: dict[str, dict[str, str]]) -> str:
    values = ids.get(route.path, {})
    return route.fill({p: values.get(p, FALLBACK) for p in route.params})


# -- studio.console_requires_staff and studio.no_secret -------------------------------------------------

def console_secrets(live: LiveTarget) -> tuple[str, ...]:
    """The target's configured secrets and the database DSNs (the app's and the suite's)."""
    dsns = [getattr(live.db, "dsn", None), getattr(getattr(live.app, "db", None), "database_url", None)]
    return tuple(dict.fromkeys([*OracleContext(live.info).secrets, *(d for d in dsns if isinstance(d, str) and d)]))


_SENSITIVE: dict[tuple[int, str], tuple[str, ...]] = {}
MIN_SENSITIVE_CHARS = 8  # shorter stored values (a digit, a word) turn up in any answer by chance


def sensitive_values(live: LiveTarget) -> tuple[str, ...]:
    """The distinct stored values of every ``ai_sensitive`` field of the target's resources (read once per started
    target, from its seed), as text, those of at least :data:`MIN_SENSITIVE_CHARS` characters."""
    key = (id(live), live.db.name)
    if key not in _SENSITIVE:
        values: list[str] = []
        for resource in live.info.resources:
            for spec in resource.fields:
                if not spec.ai_sensitive:
                    continue
                rows = live.run(live.db.conn.fetch(
                    f'SELECT DISTINCT "{spec.column}"::text AS v FROM "{resource.table}" '
                    f'WHERE "{spec.column}" IS NOT NULL LIMIT 500'))
                values += [r["v"] for r in rows if r["v"] and len(r["v"].strip()) >= MIN_SENSITIVE_CHARS]
        _SENSITIVE[key] = tuple(dict.fromkeys(values))
    return _SENSITIVE[key]


def console_call(live: LiveTarget, principal: str, method: str, route: str, path: str, *, console: str,
                 console_principal: bool, kind: str, query: Sequence[Sequence[str]] = ()) -> list[Finding]:
    """One caller on one console route (with the query of a link the console renders, if any): refused unless
    admitted, and an admitted caller answered without a server error; no secret in the answer."""
    from fuzz.oracles.http import check_no_server_error

    spec = live.info.principal(principal)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    query = [(str(k), str(v)) for k, v in query]
    exchange = live.request(principal, method, path, query=query, json_body=body, route=route)
    live.reset()
    findings = []
    let_in = admitted(spec, console, console_principal)
    if kind != "login":
        findings += oracles.check_console_access(exchange, console, spec.kind, let_in)
    if let_in or kind == "login":  # a refused caller's 5xx is already console_requires_staff's "error"
        findings += check_no_server_error(exchange, OracleContext(live.info))
    findings += oracles.check_no_secret(exchange, console_secrets(live), console,
                                        sensitive_values(live) if console == "studio" else ())
    return with_replay(findings, "studio", "console_call", principal=principal, method=method, route=route,
                       path=path, console=console, console_principal=console_principal, kind=kind,
                       query=[list(pair) for pair in query])


def access_sweep(live: LiveTarget) -> list[Finding]:
    """Every caller x console route x method once, then every caller on every page a console links to with a
    query (search, filters, ordering, pages)."""
    from fuzz.sweep import count as count_sweep

    live.reset()
    routes = console_routes(live)
    ids = discover_ids(live, routes)
    pages = linked_pages(live, routes)
    console_names = {s.name for s in live.info.console_principals}
    findings: list[Finding] = []
    with scratch_cwd():
        for route in routes:
            for spec in callers(live):
                findings += console_call(live, spec.name, route.method, route.path, fill(route, ids),
                                         console=kind_of(route, live), console_principal=spec.name in console_names,
                                         kind=route.kind)
        for route, path, query in pages:
            for spec in callers(live):
                findings += console_call(live, spec.name, "GET", route.path, path, console=kind_of(route, live),
                                         console_principal=spec.name in console_names, kind=route.kind, query=query)
    size = (len(routes) + len(pages)) * len(callers(live))
    count_sweep(catalog.STUDIO_CONSOLE_REQUIRES_STAFF, size, size)
    return findings


# -- hostile path parameters (studio.console_requires_staff, studio.no_secret, http.no_server_error) ------------

def _segment(text: str) -> str:
    """A path segment as a browser sends it: percent-encoded UTF-8 (lone surrogates kept, as fuzz/properties/http.py
    sends them); a segment of dots only is sent as %2E, so that the client does not resolve it as a dot segment
    before the server sees it."""
    if text and set(text) == {"."}:
        return "%2E" * len(text)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def known_values(live: LiveTarget, route: RouteInfo, param: str, ids: dict[str, dict[str, str]]) -> tuple[str, ...]:
    """The values a console route's path parameter plausibly takes: the one the console itself renders or answers
    (:func:`discover_ids`), then the names of the target's models (a console names the app's models: Studio's
    model inspector, the admin's model pages), the base of valid and respelled hostile values."""
    listed = ids.get(route.path, {}).get(param, "")
    return tuple(v for v in dict.fromkeys([listed, *(r.name for r in live.info.resources)]) if v)


def parameter_combinations(live: LiveTarget) -> list[tuple[str, str, str, tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """(principal, method, route, parameters, known values per parameter): every console route with a path parameter
    (a ``{name:path}`` file path aside), as every caller."""
    routes = console_routes(live)
    ids = discover_ids(live, routes)
    combos = []
    for route in routes:
        params = tuple(p for p in route.params if "{" + p + ":path}" not in route.path)
        if not params or route.kind == "login":
            continue
        known = tuple(known_values(live, route, p, ids) for p in params)
        combos += [(spec.name, route.method, route.path, params, known) for spec in callers(live)]
    return combos


def admits(live: LiveTarget, principal: str, method: str, route: str) -> bool:
    """Whether the docs admit ``principal`` to the console of ``method route``."""
    info = next(r for r in console_routes(live) if r.path == route and r.method == method)
    console_names = {s.name for s in live.info.console_principals}
    return admitted(live.info.principal(principal), kind_of(info, live), principal in console_names)


def parameter_case(live: LiveTarget, principal: str, method: str, route: str, values: dict[str, str]) -> list[Finding]:
    """One caller on one console route with hostile path-parameter ``values``: refused unless admitted, no server
    error for an admitted caller, no secret or ai_sensitive value in the answer."""
    info = next(r for r in console_routes(live) if r.path == route and r.method == method)
    console_names = {s.name for s in live.info.console_principals}
    path = re.sub(r"{(\w+)(?::\w+)?}", lambda m: _segment(values.get(m.group(1), FALLBACK)), route)
    return console_call(live, principal, method, route, path, console=kind_of(info, live),
                        console_principal=principal in console_names, kind=info.kind)


# -- studio.cross_origin_refused ----------------------------------------------------------------------

ATTACKS = {"admin": ("foreign_origin", "foreign_referer", "null_origin", "no_csrf_token", "csrf_mismatch"),
           "studio": ("foreign_origin", "null_origin")}


class _FormReader(HTMLParser):
    """The fields of a page's first POST form that submits to ``path`` (no action, or an action naming it), with
    the values the page filled in: what a browser submits."""

    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.fields: list[tuple[str, str]] = []
        self.state = "before"  # before -> in -> done
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.state == "before" and a.get("method", "get").lower() == "post" \
                and urlsplit(a.get("action", "")).path in ("", self.path):
            self.state = "in"
        if self.state != "in":
            return
        name = a.get("name", "")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name and "disabled" not in a:
            self.select, self.options = name, []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name and "disabled" not in a:
            self.textarea, self.text = name, ""

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if self.state != "in":
            return
        if tag == "select" and self.select is not None:
            chosen = [v for v, selected in self.options if selected] or [v for v, _ in self.options[:1]]
            self.fields += [(self.select, v) for v in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "form":
            self.state = "done"


def rendered_form(live: LiveTarget, principal: str, path: str) -> list[tuple[str, str]]:
    """The form the admin renders at ``path`` to ``principal`` (its own CSRF token left out), as a browser would
    submit it unchanged; empty when the page has no POST form (a POST-only route, a JSON answer)."""
    exchange = live.request(principal, "GET", path, route=path)
    if exchange.status != 200 or "html" not in _content_type(exchange):
        return []
    reader = _FormReader(urlsplit(path).path)
    reader.feed(exchange.response_text)
    return [(k, v) for k, v in reader.fields if k != CSRF_FIELD]


def _attack_request(attack: str, console: str, token: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Headers and form fields of a browser-session request under ``attack`` (``control``: a same-origin one)."""
    headers: list[tuple[str, str]] = []
    form: dict[str, str] = {}
    if console == "admin":
        cookie_token = token
        form_token = {"no_csrf_token": None, "csrf_mismatch": "x" + token}.get(attack, token)
        if attack != "no_csrf_token":
            headers.append(("cookie", f"{CSRF_COOKIE}={cookie_token}"))
        if form_token is not None:
            form[CSRF_FIELD] = form_token
    if attack == "foreign_origin":
        headers.append(("origin", HOSTILE_ORIGINS[0]))
    elif attack == "null_origin":
        headers.append(("origin", "null"))
    elif attack == "foreign_referer":
        headers.append(("referer", HOSTILE_ORIGINS[0] + "/page"))
    elif attack == "control":
        headers.append(("origin", "http://testserver"))
    return headers, form


def _send(live: LiveTarget, principal: str, method: str, path: str, route: str, console: str,
          headers: list[tuple[str, str]], form: Sequence[tuple[str, str]]) -> Exchange:
    if console == "admin":
        # the session cookie and the CSRF cookie travel in one Cookie header, as a browser sends them
        spec = live.info.principal(principal)
        cookies = [v for k, v in spec.headers if k.lower() == "cookie"] + [v for k, v in headers if k == "cookie"]
        rest = [(k, v) for k, v in headers if k != "cookie"]
        merged = ([("cookie", "; ".join(cookies))] if cookies else []) + rest + [("content-type", FORM)]
        others = [(k, v) for k, v in spec.headers if k.lower() != "cookie"]
        return replace(live.request("anonymous", method, path, content=urlencode(form).encode(), headers=others + merged,
                            route=route), principal=principal)
    return live.request(principal, method, path, json_body={}, headers=headers, route=route)


def cross_origin_case(live: LiveTarget, principal: str, method: str, route: str, path: str, console: str,
                      attack: str) -> list[Finding]:
    """The request same-origin with its token (control), then under ``attack``: refused, nothing changed.

    On the admin both submit the form the admin renders at that path (a change form with the row's values, the
    add form, the list's action form), so the control is the write a browser would make and the attack the
    same write forged."""
    token = _secrets.token_urlsafe(16)
    live.reset()
    page = rendered_form(live, principal, path) if console == "admin" else []
    headers, form = _attack_request("control", console, token)
    control = _send(live, principal, method, path, route, console, headers, page + list(form.items()))
    live.reset()
    headers, form = _attack_request(attack, console, token)
    before = live.fingerprint()
    exchange = _send(live, principal, method, path, route, console, headers, page + list(form.items()))
    changed = live.changed_since(before)
    live.reset()
    findings = oracles.check_cross_origin_refused(exchange, control, changed, console, attack)
    return with_replay(findings, "studio", "cross_origin_case", principal=principal, method=method, route=route,
                       path=path, console=console, attack=attack)


def cross_origin_sweep(live: LiveTarget) -> list[Finding]:
    """Every state-changing console route x attack, from every staff browser session, once."""
    from fuzz.sweep import count as count_sweep

    routes = [r for r in console_routes(live) if r.method in STATE_CHANGING and r.kind != "login"]
    ids = discover_ids(live, routes)
    sessions = [s for s in live.info.console_principals if s.kind == "staff"]
    findings: list[Finding] = []
    size = 0
    with scratch_cwd():
        for route in routes:
            console = kind_of(route, live)
            for spec in sessions:
                for attack in ATTACKS[console]:
                    size += 1
                    findings += cross_origin_case(live, spec.name, route.method, route.path, fill(route, ids),
                                                  console, attack)
    count_sweep(catalog.STUDIO_CROSS_ORIGIN_REFUSED, size, size)
    return findings


# -- studio.redirect_on_site --------------------------------------------------------------------------

def redirect_combinations(live: LiveTarget) -> list[tuple[str, str, str, str]]:
    """(principal, method, route, path): every console GET route and login form, as anonymous, as an API staff
    caller and as every console principal."""
    routes = console_routes(live)
    ids = discover_ids(live, routes)
    names = ["anonymous"] + [s.name for s in live.info.principals if s.kind == "staff"][:1]
    names += [s.name for s in live.info.console_principals]
    combos = []
    for route in routes:
        if route.method == "GET" or (route.kind == "login" and route.method == "POST"):
            combos += [(name, route.method, route.path, fill(route, ids)) for name in names]
    return combos


def redirect_case(live: LiveTarget, principal: str, method: str, route: str, path: str, hostile: str) -> list[Finding]:
    """``hostile`` in every redirect parameter of the query (and of a login form, with the staff's password)."""
    query = [(param, hostile) for param in REDIRECT_PARAMS]
    findings: list[Finding] = []
    exchanges = []
    if method == "GET":
        exchanges.append(live.request(principal, "GET", path, query=query, route=route))
    else:
        login = getattr(live.target, "console_login", lambda: None)() or {}
        token = _secrets.token_urlsafe(16)
        form = {**login, **dict(query), CSRF_FIELD: token}
        for attempt in (form, {**form, "password": "wrong"}):
            headers = [("cookie", f"{CSRF_COOKIE}={token}"), ("content-type", FORM)]
            spec = live.info.principal(principal)
            cookies = [v for k, v in spec.headers if k.lower() == "cookie"]
            if cookies:
                headers[0] = ("cookie", "; ".join(cookies + [f"{CSRF_COOKIE}={token}"]))
            others = [(k, v) for k, v in spec.headers if k.lower() != "cookie"]
            exchanges.append(replace(live.request("anonymous", "POST", path, query=query,
                                                  content=urlencode(attempt).encode(), headers=others + headers,
                                                  route=route), principal=principal))
    live.reset()
    for exchange in exchanges:
        findings += oracles.check_redirect_on_site(exchange, hostile, "next")
    return with_replay(findings, "studio", "redirect_case", principal=principal, method=method, route=route,
                       path=path, hostile=hostile)


# -- studio.session_api_boundary ----------------------------------------------------------------------

def session_api_case(live: LiveTarget, principal: str, method: str, route: str, path: str) -> list[Finding]:
    """The API route as anonymous, then with the console session cookie alone."""
    spec = live.info.principal(principal)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    anonymous = live.request("anonymous", method, path, json_body=body, route=route)
    live.reset()
    exchange = live.request(principal, method, path, json_body=body, route=route)
    live.reset()
    findings = oracles.check_session_api_boundary(exchange, anonymous, spec.kind)
    return with_replay(findings, "studio", "session_api_case", principal=principal, method=method, route=route,
                       path=path)


def session_api_sweep(live: LiveTarget) -> list[Finding]:
    """Every session principal x API route x method once."""
    from fuzz.properties.authz import sample_ids
    from fuzz.sweep import count as count_sweep

    live.reset()
    ids = sample_ids(live)
    routes = [r for r in inventory(live.app, live.info) if r.kind not in API_SKIPPED_KINDS and not r.public]
    sessions = [s for s in live.info.console_principals if any(k.lower() == "cookie" for k, _ in s.headers)]
    findings: list[Finding] = []
    for route in routes:
        for spec in sessions:
            findings += session_api_case(live, spec.name, route.method, route.path, route.fill(ids))
    size = len(routes) * len(sessions)
    count_sweep(catalog.STUDIO_SESSION_API_BOUNDARY, size, size)
    return findings


# -- the surfaces an app mounts for its configuration (studio.mounted_as_configured) ----------------------------

def auth_available() -> bool:
    """Whether the auth contrib (with its password hashing) imports: the admin's auto-mount condition."""
    try:
        from aksara.contrib.auth import User  # noqa: F401
        from aksara.contrib.auth.hashing import hash_password  # noqa: F401
    except ImportError:
        return False
    return True


@replayable("studio")
def mounted_as_configured(case: MountCase) -> list[Finding]:
    """Build an app configured by ``case`` (no database: mounting happens at construction) and compare the
    surfaces it routes with what the docs say it serves."""
    from aksara import Aksara
    from aksara.conf import settings

    from targets import features

    mcp = features.has("mcp")
    values = {"enable_studio": case.enable_studio, "studio_expose_in_production": case.studio_expose_in_production,
              "studio_secret_token": _secrets.token_urlsafe(32)}
    if mcp:
        values["mcp_enabled"] = case.mcp_enabled
    auth = auth_available()
    expected = oracles.expected_surfaces(case, auth, mcp)
    with settings_as(**values):
        mcp_path = str(getattr(settings, "mcp_path", "/mcp") or "/mcp")
        try:
            app = Aksara(debug=case.debug, enable_admin=case.enable_admin, auto_discover_views=False)
        except Exception as exc:  # noqa: BLE001 - judged: a configuration the docs accept must build
            if raised_by_suite(exc):
                raise
            if case.enable_admin is True and not auth and isinstance(exc, RuntimeError):
                return []  # documented: enable_admin=True requires the auth contrib
            return oracles.check_mounted_as_configured(case, None, expected, exception_facts(exc))
        served = mounted_surfaces(app, mcp_path)
    return oracles.check_mounted_as_configured(case, served, expected)

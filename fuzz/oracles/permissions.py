"""An executable model of Aksara's permission classes, and the declared-permissions oracle.

The model (:func:`verdict`) says, for a caller's attributes and an HTTP method, what each
permission class Aksara ships (``aksara.permissions`` 0.7.2) decides at the view level, and
combines a route's list as ``ModelViewSet.check_permissions`` does (every entry must pass,
then ``check_ai_access``: an AI caller is refused when the route is not AI-exposed or a
permission has ``ai_allow = False``). Verdicts are ``True`` (granted), ``False`` (refused with
403) or ``None`` (the model cannot tell). Aksara 0.7.2 ships AllowAny, IsAuthenticated,
IsAdminUser, IsActiveUser, IsOwnerOrReadOnly, DenyAI, OperationPermission, AND and OR; it has no
``IsAuthenticatedOrReadOnly`` (``OperationPermission(allow=["read"]) | IsAuthenticated()`` is
that rule).

Choices where Aksara's docs are silent (written down here, held by the oracle):

- An empty ``permission_classes`` runs no permission class: reads are granted; writes are the
  PolicyEngine's decision ("The default list is empty, but that is not a promise of
  unrestricted generated writes"), so the model says ``None`` for them. (``permission_classes =
  None`` is described like an empty list; Aksara's ``get_permissions()`` raises ``TypeError`` on it.)
- FastAPI ``dependencies`` on a route can only refuse more: they change no verdict here, since a
  grant is contradicted only by a declared class's own 403 message.
- An application's own class is opaque: the model says ``None``. It must still be
  *consistent*: (a) the same verdict for callers equal in every attribute a permission can see
  (:func:`visible`: authenticated, staff, AI agent, scopes; the tenant is not a permission
  attribute: tenant rules are RLS's and PolicyEngine's), and (b) never more permissive for a
  caller with strictly fewer privileges (anonymous < user < staff, among non-AI callers).
- ``IsOwnerOrReadOnly`` grants the view check; its object check needs the row, so the model
  leaves it to the object phase (view-level verdict only).

The oracle reads a response as the permission layer's answer:

- *refused*: 401, 403, or a redirect to a login page;
- *neither*: 404 (a route that exists answering "not found" for this row or caller says nothing
  about its permissions) and 405 (the route does not take the method);
- *admitted*: anything else (2xx, a redirect elsewhere, 400/409/422: the request got past the
  gate, or was validated before it, which is itself worth knowing).

A model refusal needs a refused response. A grant is contradicted only by a 403 carrying the
denial message of a declared class the model says grants (or the AI check's message for a caller
it admits): Aksara's docs let PolicyEngine, field and tenant rules refuse after the permission
classes granted ("Permission success does not disable PolicyEngine"), so other refusals are not
the permission layer's. This holds class by class, so a route that adds an application class to
``IsAuthenticated`` still has its ``IsAuthenticated`` judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.authz import is_login_redirect
from targets.transcript import Exchange

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
OPERATIONS = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "POST": "create", "PUT": "update",
              "PATCH": "update", "DELETE": "delete"}
AI_DENIED = "AI agent access denied."
RANK = {"anonymous": 0, "user": 1, "staff": 2}  # privilege order among non-AI callers


@dataclass(frozen=True)
class Caller:
    """What a permission class can see of a caller."""

    kind: str  # anonymous | user | staff | ai_agent | system
    authenticated: bool
    staff: bool
    ai_agent: bool
    active: bool = True
    scopes: tuple[str, ...] = ()
    tenant: bool = True  # the caller has a tenant (Principal.tenant_id), which a permission may require

    @classmethod
    def of(cls, kind: str, scopes: Sequence[str] = (), tenant: bool = True) -> "Caller":
        """The attributes a principal of ``kind`` has (system: a trusted superuser)."""
        return cls(kind=kind, authenticated=kind != "anonymous", staff=kind in ("staff", "system"),
                   ai_agent=kind == "ai_agent", scopes=tuple(sorted(scopes)), tenant=tenant)

    def visible(self) -> tuple[Any, ...]:
        """The attributes a permission can see: callers equal here get equal verdicts.

        Whether the caller has a tenant is one (the tenancy tutorial's permission refuses a caller
        without one); which tenant is not (that is the object and row level's business)."""
        return (self.authenticated, self.staff, self.ai_agent, self.active, self.scopes, self.tenant)


def builtin_verdict(spec: Any, caller: Caller, method: str) -> bool | None:
    """The view-level verdict of one permission Aksara ships, or None for one the model cannot evaluate."""
    name = spec.name
    if name == "AllowAny" or name == "IsOwnerOrReadOnly":
        return True
    if name == "IsAuthenticated":
        return caller.authenticated
    if name == "IsAdminUser":
        return caller.staff  # is_staff or is_superuser; an anonymous user has neither
    if name == "IsActiveUser":
        return caller.authenticated and caller.active
    if name == "DenyAI":
        return not caller.ai_agent
    if name == "OperationPermission":
        return OPERATIONS.get(method.upper(), "read") in spec.allow
    if name in ("AND", "OR"):
        verdicts = [verdict_of(part, caller, method) for part in spec.parts]
        return all_of(verdicts) if name == "AND" else any_of(verdicts)
    return None


def verdict_of(spec: Any, caller: Caller, method: str) -> bool | None:
    """One declared permission's view-level verdict; an application's own class is opaque (None)."""
    return builtin_verdict(spec, caller, method) if spec.builtin else None


def all_of(verdicts: Iterable[bool | None]) -> bool | None:
    """Every one must pass: False wins, then unknown, then True."""
    verdicts = list(verdicts)
    if False in verdicts:
        return False
    return None if None in verdicts else True


def any_of(verdicts: Iterable[bool | None]) -> bool | None:
    """One must pass: True wins, then unknown, then False."""
    verdicts = list(verdicts)
    if True in verdicts:
        return True
    return None if None in verdicts else False


def ai_allowed(permissions: Sequence[Any], ai_exposed: bool) -> bool:
    """``check_ai_access``: the route is AI-exposed and no permission sets ``ai_allow = False``."""
    return ai_exposed and all(p.ai_allow for p in permissions)


def verdict(permissions: Sequence[Any] | None, caller: Caller, method: str, ai_exposed: bool = True) -> bool | None:
    """Whether Aksara's permission layer grants ``method`` on a route declaring ``permissions`` to ``caller``."""
    if permissions is None:
        return None
    if not permissions:
        granted: bool | None = True if method.upper() in SAFE_METHODS else None
    else:
        granted = all_of(verdict_of(p, caller, method) for p in permissions)
    if granted is not False and caller.ai_agent and not ai_allowed(permissions, ai_exposed):
        return False
    return granted


# -- reading a response ------------------------------------------------------------------------------

def outcome(exchange: Exchange) -> str:
    """``refused``, ``neither`` or ``admitted`` (see the module docstring)."""
    if exchange.status in (401, 403) or is_login_redirect(exchange):
        return "refused"
    if exchange.status in (404, 405):
        return "neither"
    return "admitted"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def declared_messages(permissions: Sequence[Any] | None) -> set[str]:
    """The denial messages the route's declared permissions (and the AI check) answer with."""
    found = {AI_DENIED}
    for spec in permissions or ():
        found |= spec.messages()
    return found


def refusing(exchange: Exchange, permissions: Sequence[Any] | None) -> list[Any] | None:
    """The declared permissions whose denial message a 403 carries (``[]``: the AI check's message), or None
    when the answer is not a declared permission's refusal."""
    if exchange.status != 403:
        return None
    texts = set(_strings(exchange.response_json())) - {""}
    hits = [p for p in permissions or () if p.messages() & texts]
    if hits:
        return hits
    return [] if AI_DENIED in texts else None


def refused_by_declared(exchange: Exchange, permissions: Sequence[Any] | None) -> bool:
    """A 403 whose body carries one of the declared permissions' messages: the permission layer refused."""
    return refusing(exchange, permissions) is not None


def wrongly_refused(exchange: Exchange, permissions: Sequence[Any] | None, caller: Caller, method: str,
                    ai_exposed: bool) -> bool | None:
    """Whether a declared permission's refusal came from a class the model says grants (None: no such refusal,
    or the model cannot tell). Two classes sharing a message blame neither unless both grant."""
    hits = refusing(exchange, permissions)
    if hits is None:
        return None
    if not hits:  # the AI check
        return not (caller.ai_agent and not ai_allowed(permissions or (), ai_exposed))
    verdicts = [verdict_of(p, caller, method) for p in hits]
    if None in verdicts:
        return None
    return all(verdicts)


def _facts(exchange: Exchange, route: str, caller: Caller, principal: str, **more: Any) -> dict[str, str]:
    marked = (exchange.extra or {}).get("ai_request")
    return {"route": route, "method": exchange.method, "status": str(exchange.status), "caller": principal,
            "principal_kind": caller.kind, **({"ai_request": str(marked)} if caller.ai_agent and marked else {}),
            **{k: str(v) for k, v in more.items()}}


def names(permissions: Sequence[Any] | None) -> str:
    """The declared permissions as one readable string (a fact of findings)."""
    def one(spec: Any) -> str:
        if spec.parts:
            return f"{spec.name}({', '.join(one(p) for p in spec.parts)})"
        return f"{spec.name}({','.join(spec.allow)})" if spec.name == "OperationPermission" else spec.name
    return "[" + ", ".join(one(p) for p in (permissions or ())) + "]"


def check_declared_permission(exchange: Exchange, route: str, permissions: Sequence[Any] | None, caller: Caller,
                              principal: str, ai_exposed: bool = True,
                              redirects: Sequence[Exchange] = ()) -> list[Finding]:
    """The permission layer answers ``principal`` as the declared classes say: a model refusal is refused,
    and no declared class the model says grants is the one that refused."""
    first = redirects[0] if redirects else exchange
    method = first.method
    expected = verdict(permissions, caller, method, ai_exposed)
    seen = outcome(exchange)
    blamed = wrongly_refused(exchange, permissions, caller, method, ai_exposed)
    if seen == "neither" or (expected is None and blamed is None):
        return []
    judged(catalog.AUTHZ_DECLARED_PERMISSIONS)
    declared = names(permissions)
    if expected is False and seen != "refused":
        if exchange.status >= 500:
            problem = "error"
        elif exchange.status >= 400:
            problem = "validated_before_auth"
        else:
            problem = "admitted"
        return [Finding(catalog.AUTHZ_DECLARED_PERMISSIONS,
                        f"{principal} ({caller.kind}) {method} {route} answered {exchange.status}, but {declared} "
                        "refuses it", observed=exchange.status, expected="401/403 or a redirect to a login page",
                        exchanges=(*redirects, exchange),
                        facts=_facts(first, route, caller, principal, problem=problem, declared=declared,
                                     status=exchange.status, model="deny"))]
    if blamed:
        hits = refusing(exchange, permissions) or ()
        by = names(hits) if hits else "the AI check"
        return [Finding(catalog.AUTHZ_DECLARED_PERMISSIONS,
                        f"{principal} ({caller.kind}) {method} {route} was refused by {by}, which grants it",
                        observed=exchange.status, expected="not refused by a permission that grants",
                        exchanges=(*redirects, exchange),
                        facts=_facts(first, route, caller, principal, problem="refused", declared=declared,
                                     refused_by=by, status=exchange.status,
                                     model="allow" if expected else "unknown"))]
    return []


def check_opaque_consistency(route: str, method: str, permissions: Sequence[Any] | None,
                             answers: Mapping[str, tuple[Caller, Exchange]]) -> list[Finding]:
    """Where the model cannot tell (an application's own class decides), the route's permission layer is
    consistent: equal visible attributes and resolved roles, equal verdict; and never more permissive for
    fewer privileges (a caller of higher rank holding every role of the lower one)."""
    decided: dict[str, tuple[Caller, Exchange, bool]] = {}
    for principal, (caller, exchange) in answers.items():
        if verdict(permissions, caller, method) is not None:
            continue
        if refused_by_declared(exchange, permissions):
            decided[principal] = (caller, exchange, False)
        elif outcome(exchange) == "admitted":
            decided[principal] = (caller, exchange, True)
    if len(decided) < 2:
        return []
    judged(catalog.AUTHZ_DECLARED_PERMISSIONS)
    findings: list[Finding] = []
    declared = names(permissions)
    items = sorted(decided.items())
    for i, (p, (c, e, granted)) in enumerate(items):
        for q, (d, f, other) in items[i + 1:]:
            if granted == other:
                continue
            problem = None
            if c.visible() == d.visible() and _roles(e) == _roles(f):
                problem = "inconsistent"
            elif not c.ai_agent and not d.ai_agent and c.kind in RANK and d.kind in RANK and c.tenant == d.tenant:
                lower, higher = ((p, c, e, granted), (q, d, f, other)) if RANK[c.kind] < RANK[d.kind] else \
                    ((q, d, f, other), (p, c, e, granted))
                if (RANK[lower[1].kind] < RANK[higher[1].kind] and lower[3] and not higher[3]
                        and _roles(lower[2]) <= _roles(higher[2])):
                    problem = "not_monotone"
            if problem:
                findings.append(Finding(
                    catalog.AUTHZ_DECLARED_PERMISSIONS,
                    f"{method} {route}: {declared} admitted {p if granted else q} but refused {q if granted else p} "
                    f"({problem.replace('_', ' ')})",
                    observed={p: e.status, q: f.status}, expected="one verdict for equal callers; monotone in privilege",
                    exchanges=(e, f),
                    facts={"route": route, "method": method, "problem": problem, "declared": declared,
                           "status": f"{e.status}/{f.status}", "model": "opaque"}))
    return findings


def _roles(exchange: Exchange) -> frozenset[str]:
    """The roles of the principal the app resolved for ``exchange`` (an application's class may read them:
    the tenancy tutorial's permission admits an editor and refuses a reader of the same kind)."""
    roles = (exchange.extra or {}).get("roles")
    return frozenset(r for r in str(roles).split(",") if r) if roles else frozenset()


# -- the object phase, composition and AI metadata (docs/api/permissions.md) --------------------------

OWNER_FIELDS = ("user_id", "owner_id", "author_id", "created_by")


def object_verdict(spec: Any, method: str, user_id: Any, owner: Mapping[str, Any]) -> bool | None:
    """One permission's object-phase verdict: a class's default object check grants; ``IsOwnerOrReadOnly``
    grants a safe method, else only a caller with an id equal to the object's first populated owner field
    (``user_id``, ``owner_id``, ``author_id``, ``created_by``); ``AND``/``OR`` evaluate their parts' own
    object checks ("each phase evaluates its own checks"); an application's class is opaque (None)."""
    if not spec.builtin:
        return None
    if spec.name == "IsOwnerOrReadOnly":
        if method.upper() in SAFE_METHODS:
            return True
        if user_id is None:
            return False
        for name in OWNER_FIELDS:
            if owner.get(name) is not None:
                return owner[name] == user_id
        return False
    if spec.name in ("AND", "OR"):
        verdicts = [object_verdict(part, method, user_id, owner) for part in spec.parts]
        return all_of(verdicts) if spec.name == "AND" else any_of(verdicts)
    return True


def ai_allow_of(spec: Any) -> bool:
    """A permission's ``ai_allow``: False for ``DenyAI``; ``AND`` allows AI when all parts do, ``OR`` when one does."""
    if spec.name == "DenyAI":
        return False
    if spec.name == "AND":
        return all(ai_allow_of(p) for p in spec.parts)
    if spec.name == "OR":
        return any(ai_allow_of(p) for p in spec.parts)
    return spec.ai_allow if not spec.builtin else True


def list_verdict(permissions: Sequence[Any], caller: Caller, method: str, user_id: Any = None,
                 owner: Mapping[str, Any] | None = None) -> tuple[bool | None, int | None]:
    """``check_permissions``: every entry in order, its view check then (with an object) its object check;
    the verdict and the index of the first entry that refuses (None when granted or unknown)."""
    for index, spec in enumerate(permissions):
        phases = [verdict_of(spec, caller, method)]
        if owner is not None:
            phases.append(object_verdict(spec, method, user_id, owner))
        for granted in phases:
            if granted is None:
                return None, None
            if not granted:
                return False, index
    return True, None

"""The suite's oracles as they apply to one Schemathesis-generated exchange.

``tenancy.isolation`` is checked here from the exchange alone: a response to a
principal bound to tenant T carries no object whose tenant field holds another
known tenant's id; a response to a principal bound to no tenant (anonymous, a user
without a tenant) carries no object with any known tenant's id. Reading chosen where
the Threat Model is silent: the ``system`` principal is trusted and exempt, and a
tenant field is recognised by name from the target's metadata (every field flagged
``tenant``), at any depth of the JSON body, because nested objects leak just the same.

The other oracles come from their own modules: the generic HTTP oracles (no 5xx,
JSON error envelope, no leak, a GET writes nothing, healthy afterwards) and, when the
write oracles are present, state integrity (a rejected request changes nothing) and
denied-field exactness.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable, Iterator

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import OracleContext
from fuzz.oracles.registry import register
from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.base import TargetInfo

EXEMPT_KINDS = frozenset({"system"})


def tenant_field_names(info: TargetInfo) -> frozenset[str]:
    return frozenset(f.name for r in info.resources for f in r.fields if f.tenant)


def _objects(value: Any, path: str = "$") -> Iterator[tuple[str, dict]]:
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _objects(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _objects(item, f"{path}[{index}]")


def check_tenant_isolation(exchange: Exchange, context: OracleContext) -> list[Finding]:
    """No response shows a principal another tenant's objects (the system principal is exempt)."""
    if not 200 <= exchange.status < 300 or context.is_mcp(exchange.path):
        return []
    try:
        principal = context.info.principal(exchange.principal)
    except KeyError:
        return []
    if principal.kind in EXEMPT_KINDS:
        return []
    tenants = context.info.tenants
    own = tenants.get(principal.tenant) if principal.tenant else None
    foreign = {tid: label for label, tid in tenants.items() if tid != own}
    names = tenant_field_names(context.info)
    if names:
        judged(catalog.TENANCY_ISOLATION)
    body = exchange.response_json()
    findings: dict[tuple[str, str], Finding] = {}  # one per (field, foreign tenant): each judged
    for where, obj in _objects(body):
        for name in names & obj.keys():
            value = str(obj[name])
            if value in foreign and (name, value) not in findings:
                findings[(name, value)] = Finding(
                    catalog.TENANCY_ISOLATION,
                    f"{exchange.method} {exchange.route or exchange.path} showed {principal.name} "
                    f"(tenant {principal.tenant or 'none'}) an object of tenant {foreign[value]}",
                    observed=f"{where}.{name} = {value}",
                    expected=f"only objects of tenant {principal.tenant}" if own else "no tenant's objects",
                    exchanges=(exchange,),
                    facts={"route": exchange.route or exchange.path, "status": str(exchange.status),
                           "principal_tenant": principal.tenant or "none", "object_tenant": foreign[value]},
                )
    return list(findings.values())


register(catalog.TENANCY_ISOLATION, check_tenant_isolation)


def _optional(module: str, name: str) -> Callable | None:
    """An oracle of another area, when that module is part of this checkout."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def write_oracles() -> tuple[Callable | None, Callable | None]:
    """(state integrity, denied-field exactness) from ``fuzz.oracles.writes``, when present."""
    return (_optional("fuzz.oracles.writes", "check_state_integrity"),
            _optional("fuzz.oracles.writes", "check_denied_fields_exchange"))


def oracle_names() -> list[str]:
    """Property ids of the suite oracles this checkout runs on OpenAPI exchanges."""
    names = [catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK,
             catalog.HTTP_RESPONDS_IN_TIME, catalog.HTTP_SAFE_METHOD_NO_WRITE, catalog.TENANCY_ISOLATION]
    state_integrity, denied_fields = write_oracles()
    if state_integrity is not None:
        names.append(catalog.WRITES_STATE_INTEGRITY)
    if denied_fields is not None:
        names.append(catalog.WRITES_DENIED_FIELD_EXACTNESS)
    return names

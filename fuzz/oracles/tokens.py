"""Oracles of the agent-token algebra: HMAC agent tokens, scope patterns and approval grants.

Readings written down in docs/mcp.md, numbered R1..R12:

- ``tokens.agent_token_lifetime``: an HMAC agent token is accepted only when ``exp`` is present,
  numeric, finite and not in the past, and ``iat`` (when present) is numeric, finite and not in
  the future, both with the configured clock skew (R1-R3). Second-exact boundaries are "either".
- ``tokens.verify_raises_valueerror``: every refusal of ``verify_agent_token`` is a ``ValueError``
  (its documented contract), never a ``TypeError``/``AttributeError`` (R4).
- ``tokens.agent_token_integrity``: any change to a signed token's text is refused, including
  non-canonical re-encodings, and a header naming another algorithm is refused even when
  re-signed (R5, R6).
- ``tokens.scope_algebra``: a granted pattern authorizes exactly the scopes of the reference
  matcher :func:`reference_scope_grants` — every component of Aksara that decides on scopes
  (``Principal.has_scope``, ``require_scope``, ``PolicyEngine.can``) agrees with it (R7).
- ``tokens.approval_binding``: an approval grant is accepted only untampered and bound to the
  same tool, tenant, principal and arguments, unexpired and approved; each mismatch is refused
  with its documented ``approval_*`` code and nothing but ``ApprovalError`` is raised.

:func:`mcp_verdict` is the whole algebra for one tool call (R8-R10); the MCP oracles
(:mod:`fuzz.oracles.mcp`) judge the live endpoint's decision against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged

# -- the reference scope matcher -----------------------------------------------------------

def reference_scope_grants(granted: str, required: str) -> bool:
    """R7: exact match; ``*`` alone grants all; a ``*`` segment matches exactly one segment, except a
    trailing ``*`` which matches one or more; matching is case-sensitive; no partial-segment wildcards."""
    if not granted or not required:
        return False
    if granted == "*":
        return True
    g, r = granted.split(":"), required.split(":")
    for index, part in enumerate(g):
        last = index == len(g) - 1
        if index >= len(r):
            return False
        if part == "*" and last:
            return True
        if part != "*" and part != r[index]:
            return False
    return len(g) == len(r)


def reference_set_grants(granted: Iterable[str], required: str) -> bool:
    """R7 for a set of granted patterns: any one of them grants ``required``."""
    return any(reference_scope_grants(g, required) for g in granted if isinstance(g, str))


# -- token verdicts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """What the algebra says about a credential: ``accept``, ``reject`` or ``either``, and why."""

    must: str
    reasons: frozenset[str] = field(default_factory=frozenset)
    doubts: frozenset[str] = field(default_factory=frozenset)


def combine(reject: set[str], doubt: set[str]) -> Verdict:
    """One verdict from the reasons to reject and the doubts: any reason rejects, any doubt leaves it open."""
    if reject:
        return Verdict("reject", frozenset(reject), frozenset(doubt))
    if doubt:
        return Verdict("either", frozenset(), frozenset(doubt))
    return Verdict("accept")


EXP_REJECT = {"missing", "null", "expired", "boundary_past", "non_numeric", "nonfinite", "negative"}
EXP_EITHER = {"boundary_now"}
IAT_REJECT = {"future", "far_future", "non_numeric", "nonfinite"}
IAT_EITHER = {"boundary"}


def lifetime_verdict(case: Any) -> Verdict:
    """R1-R3: the verifier's part of the algebra (signature assumed good)."""
    reject, doubt = set(), set()
    if case.exp.kind in EXP_REJECT:
        reject.add(f"exp:{case.exp.kind}")
    elif case.exp.kind in EXP_EITHER:
        doubt.add(f"exp:{case.exp.kind}")
    if case.iat.kind in IAT_REJECT:
        reject.add(f"iat:{case.iat.kind}")
    elif case.iat.kind in IAT_EITHER:
        doubt.add(f"iat:{case.iat.kind}")
    return combine(reject, doubt)


def granted_scopes(case: Any) -> tuple[str, ...]:
    """The scopes a claims case grants under R9 (list as is, a string split on whitespace)."""
    if case.scope_form == "list":
        return tuple(case.scopes)
    if case.scope_form == "string":
        return tuple(" ".join(case.scopes).split())
    return ()


def mcp_verdict(case: Any, required_scope: str, tenant_scoped: bool, audience: str | None) -> Verdict:
    """R8-R10: the whole algebra for one tool call: lifetime, audience, tenant binding, scope."""
    base = lifetime_verdict(case)
    reject, doubt = set(base.reasons), set(base.doubts)
    if audience:
        if case.aud.kind in ("list_with_right", "alt_key"):
            doubt.add(f"aud:{case.aud.kind}")
        elif case.aud.kind != "right":
            reject.add(f"aud:{case.aud.kind}")
    if tenant_scoped:
        if case.tenant.kind in ("missing", "empty", "null"):
            reject.add(f"tenant:{case.tenant.kind}")
        elif case.tenant.kind in ("non_string", "malformed", "unknown_uuid"):
            doubt.add(f"tenant:{case.tenant.kind}")
    if case.scope_form == "scope_key":
        doubt.add("scope:scope_key")
    elif not reference_set_grants(granted_scopes(case), required_scope):
        reject.add("scope:not_granted")
    return combine(reject, doubt)


# -- pure-layer checks --------------------------------------------------------------------------

def check_lifetime(case: Any, claims: Mapping[str, Any], accepted: bool, error: str | None,
                   reproducer: str) -> list[Finding]:
    """An agent token is accepted exactly when R1-R3 say so (``either`` cases are not judged)."""
    verdict = lifetime_verdict(case)
    if verdict.must != "either":
        judged(catalog.TOKENS_AGENT_TOKEN_LIFETIME)
    if verdict.must == "either" or (verdict.must == "accept") == accepted:
        return []
    return [Finding(
        catalog.TOKENS_AGENT_TOKEN_LIFETIME,
        f"verify_agent_token {'accepted' if accepted else 'refused'} a token whose claims say "
        f"{verdict.must} ({', '.join(sorted(verdict.reasons)) or 'valid lifetime'})",
        observed="accepted" if accepted else f"refused: {error}", expected=verdict.must,
        facts={"exp_class": case.exp.kind, "iat_class": case.iat.kind,
               "exp_value": _claim_repr(claims, "exp"), "iat_value": _claim_repr(claims, "iat"),
               "layer": "verifier"},
        reproducer=reproducer,
    )]


def _claim_repr(claims: Mapping[str, Any], key: str) -> str:
    if key not in claims:
        return "<absent>"
    value = claims[key]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return type(value).__name__


def check_verify_error_type(case: Any, exc: BaseException | None, reproducer: str) -> list[Finding]:
    """R4: ``verify_agent_token`` refuses with ``ValueError`` only."""
    if exc is not None:
        judged(catalog.TOKENS_VERIFY_RAISES_VALUEERROR)
    if exc is None or isinstance(exc, ValueError):
        return []
    return [Finding(
        catalog.TOKENS_VERIFY_RAISES_VALUEERROR,
        f"verify_agent_token raised {type(exc).__name__} instead of ValueError",
        observed=f"{type(exc).__name__}: {exc}", expected="ValueError",
        facts={"exception": type(exc).__name__, "exp_class": case.exp.kind if case else "",
               "iat_class": case.iat.kind if case else ""},
        reproducer=reproducer,
    )]


def check_tamper(tamper: Any, original: str, tampered: str, accepted: bool, same_bytes: bool,
                 reproducer: str) -> list[Finding]:
    """R5/R6: a token whose text differs from the signed one is refused.

    ``same_bytes`` says whether the tampered token decodes to the same header, payload and
    signature bytes (a non-canonical encoding); it is a fact, not an excuse.
    """
    if tampered != original:
        judged(catalog.TOKENS_AGENT_TOKEN_INTEGRITY)
    if tampered == original or not accepted:
        return []
    return [Finding(
        catalog.TOKENS_AGENT_TOKEN_INTEGRITY,
        f"verify_agent_token accepted a token changed by {tamper.kind}",
        observed="accepted", expected="refused",
        facts={"tamper": tamper.kind, "part": str(tamper.part), "same_bytes": str(same_bytes).lower(),
               "resigned": str(bool(getattr(tamper, "resign", False))).lower(),
               "alg": repr(getattr(tamper, "alg", None))},
        reproducer=reproducer,
    )]


def check_scope_decisions(granted: Sequence[str], required: str, decisions: Mapping[str, bool],
                          reproducer: str) -> list[Finding]:
    """R7: every scope decider agrees with :func:`reference_scope_grants`."""
    judged(catalog.TOKENS_SCOPE_ALGEBRA)
    expected = reference_set_grants(granted, required)
    findings = []
    for decider, allowed in decisions.items():
        if allowed == expected:
            continue
        culprit = next((g for g in granted if isinstance(g, str)
                        and reference_scope_grants(g, required) != expected), "") if expected else next(
            (g for g in granted if isinstance(g, str) and "*" in g), "")
        findings.append(Finding(
            catalog.TOKENS_SCOPE_ALGEBRA,
            f"{decider}: granted {list(granted)!r} {'authorizes' if allowed else 'does not authorize'} {required!r}",
            observed=allowed, expected=expected,
            facts={"decider": decider, "direction": "over_grant" if allowed else "under_grant",
                   "wildcard_position": wildcard_position(granted), "required": required,
                   "granted": " ".join(map(str, granted)), "culprit": str(culprit)},
            reproducer=reproducer,
        ))
    return findings


def wildcard_position(granted: Sequence[str]) -> str:
    """Where the granted patterns put a ``*``: ``last``, ``segment<i>``, ``partial`` or ``none``."""
    positions = set()
    for pattern in granted:
        if not isinstance(pattern, str) or "*" not in pattern:
            continue
        parts = pattern.split(":")
        for index, part in enumerate(parts):
            if part == "*":
                positions.add("last" if index == len(parts) - 1 else f"segment{index}")
            elif "*" in part:
                positions.add("partial")
    return ",".join(sorted(positions)) or "none"


APPROVAL_CODES = {"none": None, "rejected": "approval_rejected", "expired": "approval_expired",
                  "other_tool": "approval_mismatch", "other_tenant": "approval_tenant_mismatch",
                  "other_principal": "approval_principal_mismatch",
                  "other_arguments": "approval_arguments_mismatch", "missing": "approval_required"}


def check_approval(case: Any, changed: bool, outcome: str | None, exc: BaseException | None,
                   reproducer: str) -> list[Finding]:
    """A grant is accepted only untampered and fully bound; each mismatch has its documented code.

    ``outcome`` is the ``ApprovalError.code`` (``None`` when accepted); ``changed`` says whether the
    tampering changed the token text.
    """
    judged(catalog.TOKENS_APPROVAL_BINDING)
    facts = {"mismatch": case.mismatch, "tamper": case.tamper.kind if case.tamper else "none"}
    if exc is not None:
        return [Finding(catalog.TOKENS_APPROVAL_BINDING, f"ApprovalManager.verify raised {type(exc).__name__}",
                        observed=repr(exc), expected="ApprovalError", facts={**facts, "exception": type(exc).__name__},
                        reproducer=reproducer)]
    expected = APPROVAL_CODES[case.mismatch]
    if case.mismatch == "missing":
        allowed = {expected}
    elif changed:  # a tampered grant is invalid; one cut down to nothing is a missing one
        allowed = {"approval_invalid", "approval_required"} | ({expected} if expected else set())
    else:
        allowed = {expected}
    if outcome in allowed:
        return []
    return [Finding(catalog.TOKENS_APPROVAL_BINDING, f"approval grant ({facts['mismatch']}, {facts['tamper']}) gave "
                    f"{outcome or 'acceptance'}", observed=outcome or "accepted", expected=sorted(map(str, allowed)),
                    facts=facts, reproducer=reproducer)]

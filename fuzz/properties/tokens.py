"""Property bodies of the agent-token algebra, in process (one example each, returning findings).

:func:`verifier_case`, :func:`tamper_case`, :func:`scope_case`, :func:`approval_case`. The deciders
under test are parameters with Aksara's real ones as defaults, so ``tests/`` can hand in planted faults.
The same algebra judged through the live ``/mcp/`` endpoint is
:func:`fuzz.properties.mcp.credential_case`.
"""

from __future__ import annotations

import base64
import time
from typing import Any, Callable, Mapping, Sequence

from fuzz.findings import Finding, replayable, with_facts
from fuzz.oracles import tokens as oracles
from strategies.tokens import ApprovalCase, ClaimsCase, Tamper, apply_tamper, claims_json
from targets.agent_tokens import b64url_strict_decode, encode_agent_token

Verifier = Callable[[str, str], Any]


def aksara_verifier(token: str, secret: str) -> Any:
    """Aksara's own ``verify_agent_token``."""
    from aksara.ai.auth import verify_agent_token

    return verify_agent_token(token, secret)


@replayable("tokens", env=("verify",))
def verifier_case(case: ClaimsCase, secret: str, verify: Verifier = aksara_verifier) -> list[Finding]:
    """Sign ``case``'s claims correctly; the verifier must decide as R1-R4 say."""
    now = int(time.time())
    claims = case.materialize(now, "aud", "tenant-a", "tenant-b")
    token = encode_agent_token(claims, secret)
    error: BaseException | None = None
    try:
        verify(token, secret)
    except Exception as exc:  # noqa: BLE001 - the refusal itself is the observation
        error = exc
    reproducer = (f"from aksara.ai.auth import verify_agent_token\n"
                  f"from targets.agent_tokens import encode_agent_token\n"
                  f"claims = {claims_json(claims)}  # times relative to now={now}\n"
                  f"verify_agent_token(encode_agent_token(claims, 's3cret'), 's3cret')")
    findings = oracles.check_lifetime(case, claims, error is None, repr(error) if error else None, reproducer)
    findings += oracles.check_verify_error_type(case, error, reproducer)
    return findings


def _same_bytes(original: str, tampered: str) -> bool:
    """Whether ``tampered`` decodes (leniently, like a base64 library) to the original's bytes."""
    def lenient(part: str) -> bytes | None:
        try:
            return base64.urlsafe_b64decode(part.replace("+", "-").replace("/", "_").rstrip("=")
                                            + "=" * (-len(part.rstrip("=")) % 4))
        except Exception:  # noqa: BLE001
            return None
    a, b = original.split("."), tampered.split(".")
    return len(a) == len(b) and all(lenient(x) is not None and lenient(x) == lenient(y) for x, y in zip(a, b))


@replayable("tokens", env=("verify",))
def tamper_case(tamper: Tamper, secret: str, verify: Verifier = aksara_verifier) -> list[Finding]:
    """A valid token changed by ``tamper`` must be refused unless its text is unchanged (R5, R6)."""
    now = int(time.time())
    base = {"agent_id": "fuzz-agent", "iat": now, "exp": now + 600, "scopes": ["mcp:read:ticket"]}
    token = encode_agent_token(base, secret)
    other = encode_agent_token({**base, "scopes": ["*"], "agent_id": "other"}, secret)
    tampered = apply_tamper(token, tamper, secret=secret, other_token=other)
    try:
        verify(tampered, secret)
        accepted = True
    except Exception:  # noqa: BLE001
        accepted = False
    reproducer = (f"from aksara.ai.auth import verify_agent_token\n"
                  f"# valid: {token!r}\nverify_agent_token({tampered!r}, {secret!r})  # accepted")
    findings = oracles.check_tamper(tamper, token, tampered, accepted, _same_bytes(token, tampered), reproducer)
    canonical = all(b64url_strict_decode(p) is not None for p in tampered.split("."))
    return with_facts(findings, canonical=str(canonical).lower())


def aksara_scope_deciders(granted: Sequence[str], required: str) -> dict[str, bool]:
    """Every Aksara component that decides whether ``granted`` authorizes ``required``."""
    from aksara.security.mcp import require_scope
    from aksara.security.policy import PolicyEngine
    from aksara.security.principal import Principal

    principal = Principal.for_mcp_agent(agent_id="fuzz", scopes=list(granted), tenant_id="t")
    return {
        "Principal.has_scope": principal.has_scope(required),
        "require_scope": require_scope(principal, required).allowed,
        "PolicyEngine.can": PolicyEngine().can(principal, "read", required_scopes=[required]).allowed,
    }


@replayable("tokens", env=("deciders",))
def scope_case(granted: Sequence[str], required: str,
               deciders: Callable[[Sequence[str], str], Mapping[str, bool]] = aksara_scope_deciders) -> list[Finding]:
    """R7: Aksara's scope deciders agree with the reference matcher."""
    reproducer = (f"from aksara.security.principal import Principal\n"
                  f"Principal.for_mcp_agent(scopes={list(granted)!r}).has_scope({required!r})")
    return oracles.check_scope_decisions(granted, required, deciders(granted, required), reproducer)


@replayable("tokens", env=("manager_factory",))
def approval_case(case: ApprovalCase, secret: str, manager_factory: Callable[[str], Any] | None = None
                  ) -> list[Finding]:
    """Issue a grant with ``case``'s mismatch, tamper it, verify it for the real invocation."""
    from aksara.mcp.approval import ApprovalError, ApprovalManager
    from aksara.security.principal import Principal

    manager = (manager_factory or ApprovalManager)(secret)
    principal = Principal.for_mcp_agent(agent_id="agent", token_id="jti-1", tenant_id="tenant-a",
                                        human_owner_id="owner")
    tool, arguments = "ticket_update", {"pk": "1", "title": "t"}
    issue: dict[str, Any] = dict(principal=principal, tool_name=tool, arguments=arguments, approved_by="reviewer")
    m = case.mismatch
    if m == "rejected":
        issue["approved"] = False
    elif m == "expired":
        issue["ttl_seconds"] = -5.0
    elif m == "other_tool":
        issue["tool_name"] = "ticket_delete"
    elif m == "other_tenant":
        issue["principal"] = Principal.for_mcp_agent(agent_id="agent", token_id="jti-1", tenant_id="tenant-b",
                                                     human_owner_id="owner")
    elif m == "other_principal":
        issue["principal"] = Principal.for_mcp_agent(agent_id="agent-2", token_id="jti-2", tenant_id="tenant-a",
                                                     human_owner_id="owner")
    elif m == "other_arguments":
        issue["arguments"] = {**arguments, "title": "other"}
    token = manager.issue(**issue)
    other = manager.issue(principal=principal, tool_name="ticket_delete", arguments={"pk": "2"}, approved_by="x")
    presented = None if m == "missing" else token
    if presented is not None and case.tamper is not None:
        presented = apply_tamper(token, case.tamper, secret=secret, other_token=other,
                                 resign=lambda parts, key: parts[-1])
    code, raised = None, None
    try:
        manager.verify(presented, principal=principal, tool_name=tool, arguments=arguments)
    except ApprovalError as exc:
        code = exc.code
    except Exception as exc:  # noqa: BLE001
        raised = exc
    reproducer = (f"from aksara.mcp.approval import ApprovalManager\n# grant {m}, tamper {case.tamper}\n"
                  f"ApprovalManager({secret!r}).verify({presented!r}, principal=..., tool_name={tool!r}, "
                  f"arguments={arguments!r})")
    return oracles.check_approval(case, presented != token, code, raised, reproducer)

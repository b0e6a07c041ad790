"""mcp.credential_algebra judges answers only: a call that got no answer is neither refused nor passed."""

from __future__ import annotations

import json

from fuzz.oracles.mcp import check_credential_decision
from fuzz.oracles.tokens import Verdict
from targets.mcp_client import McpReply
from targets.transcript import Exchange

CALL = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "ticket_summary", "arguments": {}}}
MUST_REJECT = Verdict("reject", frozenset({"aud:non_string"}))


def reply(status: int, message: dict | None, **extra) -> McpReply:
    """A tools/call reply with the given HTTP status and JSON-RPC message (None: no body)."""
    text = json.dumps(message) if message is not None else "<no response within 30s>"
    exchange = Exchange("POST", "/mcp/", body=json.dumps(CALL).encode(), status=status,
                        response_headers=(("content-type", "application/json"),), response_text=text, extra=extra)
    return McpReply(exchange, (message,) if message is not None else (), request=CALL)


def test_no_answer_is_not_judged_as_passing():
    """A timed-out call (status 0, no message) under a must-reject credential gives no credential finding."""
    assert check_credential_decision(reply(0, None, timed_out=30.0), MUST_REJECT, "ticket_summary", {}) == []


def test_executed_call_under_must_reject_credential_is_caught():
    """The same credential answered with a successful result is still a finding."""
    executed = {"jsonrpc": "2.0", "id": 7, "result": {"isError": False, "structuredContent": {"count": 1}}}
    findings = check_credential_decision(reply(200, executed), MUST_REJECT, "ticket_summary", {})
    assert [f.facts["direction"] for f in findings] == ["accepted"]


def test_http_401_is_a_refusal():
    """An HTTP 401 refusal satisfies a must-reject verdict."""
    assert check_credential_decision(reply(401, {"detail": "unauthorized"}), MUST_REJECT, "ticket_summary", {}) == []

"""What an oracle may know besides the exchange: the target's metadata and secrets."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from targets.base import TargetInfo
from targets.transcript import Exchange


@dataclass(frozen=True)
class OracleContext:
    """Target facts oracles need (secrets to look for, which paths are REST, MCP)."""

    info: TargetInfo
    extra_secrets: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        return f"<OracleContext {self.info.name}/{self.info.profile}>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (*self.info.secrets, *self.extra_secrets) if s and len(s) >= 8)

    def is_mcp(self, path: str) -> bool:
        mcp = self.info.mcp_path
        return bool(mcp) and (path == mcp.rstrip("/") or path.startswith(mcp.rstrip("/") + "/"))


def exchange_facts(exchange: Exchange | None, *, with_method: bool = False, error_chars: int = 0,
                   body_limit: int | None = None, **more: Any) -> dict[str, str]:
    """The facts a finding about ``exchange`` carries: its route and status (its method, and the error
    envelope's type and first ``error_chars`` characters of message, when asked for; a response of
    ``body_limit`` characters or more is not parsed), then ``more`` (which wins)."""
    facts: dict[str, str] = {}
    if exchange is not None:
        facts = {"route": exchange.route or exchange.path, "status": str(exchange.status)}
        if with_method:
            facts["method"] = exchange.method
        if error_chars and (body_limit is None or len(exchange.response_text) < body_limit):
            body = exchange.response_json()
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                facts["error_type"] = str(body["error"].get("type", ""))
                facts["error_message"] = str(body["error"].get("message", ""))[:error_chars]
    facts.update({k: str(v) for k, v in more.items()})
    return facts


def value_location(exchange: Exchange, value: str) -> str:
    """Where ``value`` sits in ``exchange``'s response: the JSON key path of the shallowest string holding it (list
    positions written ``[]``, so the place does not depend on order: ``middleware[].config.secret``), ``body`` when
    the body holds it otherwise, else ``header:<name>``."""
    if value not in exchange.response_text:
        name = next((n for n, v in exchange.response_headers if value in v), "")
        return f"header:{name.lower()}" if name else "body"
    queue: deque[tuple[str, Any]] = deque([("", exchange.response_json())])
    while queue:
        path, node = queue.popleft()
        if isinstance(node, str) and value in node:
            return path or "body"
        if isinstance(node, dict):
            queue.extend((f"{path}.{k}" if path else str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend((f"{path}[]", v) for v in node[:1000])
    return "body"

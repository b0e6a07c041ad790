"""Request transcripts: one HTTP exchange as a value, rendered as cURL or replayed.

An :class:`Exchange` records what a property sent (principal, method, path, query
pairs, headers, body) and what came back (status, headers, text, elapsed time,
and the crash state when the app raised an exception that produced a 5xx, see
:mod:`targets.crash`). It is JSON-serialisable so artifacts can replay it
against a fresh target.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass, field
from typing import Any, Sequence
from urllib.parse import quote

from targets.crash import CrashState


@dataclass(frozen=True)
class Exchange:
    """One request sent to the target and the response it gave."""

    method: str
    path: str
    query: Sequence[tuple[str, str]] = ()
    headers: Sequence[tuple[str, str]] = ()
    body: bytes | None = None
    principal: str = "anonymous"
    route: str | None = None
    status: int = 0
    response_headers: Sequence[tuple[str, str]] = ()
    response_text: str = ""
    elapsed_ms: float = 0.0
    cpu_ms: float = 0.0  # CPU time this process spent while the request was served (the in-process app)
    extra: dict[str, Any] = field(default_factory=dict)
    crash: CrashState | None = None
    logs: tuple[str, ...] = ()  # the log records emitted while it was served (targets.logs)

    def query_string(self) -> str:
        return "&".join(f"{_q(k)}={_q(v)}" for k, v in self.query)

    def url(self, base: str = "http://testserver") -> str:
        qs = self.query_string()
        return f"{base}{self.path}" + (f"?{qs}" if qs else "")

    def response_json(self) -> Any:
        import json

        try:
            return json.loads(self.response_text)
        except ValueError:
            return None

    def one_line(self) -> str:
        qs = self.query_string()
        target = self.path + (f"?{qs}" if qs else "")
        if len(target) > 160:
            target = target[:160] + "…"
        return f"{self.principal}: {self.method} {target} -> {self.status}"

    def curl(self, base: str = "http://127.0.0.1:8000") -> str:
        """A cURL command that sends the same request to a live server at ``base``."""
        parts = ["curl", "-sS", "-X", self.method, "-g", shlex.quote(self.url(base))]
        for name, value in self.headers:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.body is not None:
            try:
                text = self.body.decode("utf-8")
                parts += ["--data-binary", shlex.quote(text)]
            except UnicodeDecodeError:
                encoded = base64.b64encode(self.body).decode()
                return " ".join(parts) + f" --data-binary @<(echo {encoded} | base64 -d)"
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        body = None
        if self.body is not None:
            body = base64.b64encode(self.body).decode()
        return {
            "principal": self.principal,
            "method": self.method,
            "path": self.path,
            "route": self.route,
            "query": [list(p) for p in self.query],
            "headers": [list(h) for h in self.headers],
            "body_b64": body,
            "status": self.status,
            "response_headers": [list(h) for h in self.response_headers],
            "response_text": self.response_text[:20000],
            "elapsed_ms": round(self.elapsed_ms, 3),
            "cpu_ms": round(self.cpu_ms, 3),
            "extra": self.extra,
            "crash": self.crash.to_json() if self.crash is not None else None,
            "logs": list(self.logs),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Exchange":
        body = data.get("body_b64")
        return cls(
            method=data["method"],
            path=data["path"],
            route=data.get("route"),
            query=tuple(tuple(p) for p in data.get("query", ())),
            headers=tuple(tuple(h) for h in data.get("headers", ())),
            body=base64.b64decode(body) if body is not None else None,
            principal=data.get("principal", "anonymous"),
            status=data.get("status", 0),
            response_headers=tuple(tuple(h) for h in data.get("response_headers", ())),
            response_text=data.get("response_text", ""),
            elapsed_ms=data.get("elapsed_ms", 0.0),
            cpu_ms=data.get("cpu_ms", 0.0),
            extra=data.get("extra", {}),
            crash=CrashState.from_json(data["crash"]) if data.get("crash") else None,
            logs=tuple(data.get("logs", ())),
        )


def _q(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def curl_script(exchanges: Sequence[Exchange], base: str = "http://127.0.0.1:8000") -> str:
    lines = ["#!/bin/sh", f"# Replays {len(exchanges)} request(s) against a live server at {base}."]
    for exchange in exchanges:
        lines.append(f"# expected status then: {exchange.status}")
        lines.append(exchange.curl(base))
    return "\n".join(lines) + "\n"

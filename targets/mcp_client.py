"""An in-process MCP JSON-RPC client on top of :meth:`targets.client.LiveTarget.request`.

It speaks MCP's Streamable HTTP transport the way a real client does:
``initialize`` → read the ``mcp-session-id`` header → ``notifications/initialized``
→ ``tools/list`` / ``tools/call``, each a ``POST`` to the target's MCP path whose
answer is a JSON body or Server-Sent Events (``data:`` lines, parsed here).

Sessions are cached per (principal, extra headers), so a property pays the
initialize handshake once per caller, and are re-initialized when the server no
longer knows them. Every call returns an :class:`McpReply` that keeps the HTTP
exchanges of the handshake and of the call, so a finding carries the whole
JSON-RPC transcript.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.client import LiveTarget

PROTOCOL_VERSION = "2025-06-18"
MCP_HEADERS = (
    ("accept", "application/json, text/event-stream"),
    ("content-type", "application/json"),
    ("mcp-protocol-version", PROTOCOL_VERSION),
)
CLIENT_INFO = {"name": "aksara-fuzz", "version": "1"}
SSE_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def parse_messages(exchange: Exchange) -> list[Any]:
    """The JSON-RPC messages of a response: SSE ``data:`` lines, or a JSON body."""
    content_type = dict((k.lower(), v) for k, v in exchange.response_headers).get("content-type", "")
    text = exchange.response_text
    if "text/event-stream" in content_type:
        messages, data = [], []
        # SSE lines end only at CR, LF or CRLF: str.splitlines() would also cut at U+0085, U+2028 and
        # the other Unicode line breaks, which a JSON string may carry unescaped
        for line in SSE_LINE_BREAK.split(text) + [""]:
            if line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif not line.strip() and data:
                try:
                    messages.append(json.loads("\n".join(data)))
                except ValueError:
                    messages.append({"unparsable": "\n".join(data)})
                data = []
        return messages
    if not text.strip():
        return []
    try:
        body = json.loads(text)
    except ValueError:
        return []
    return body if isinstance(body, list) else [body]


@dataclass(frozen=True)
class McpReply:
    """One JSON-RPC call: the handshake exchanges, the call's exchange, the parsed messages."""

    exchange: Exchange
    messages: tuple[Any, ...]
    handshake: tuple[Exchange, ...] = ()
    request: Any = None

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (*self.handshake, self.exchange)

    @property
    def message(self) -> Any:
        """The response whose id answers the request (or the first message)."""
        wanted = self.request.get("id") if isinstance(self.request, dict) else None
        for message in self.messages:
            if isinstance(message, dict) and wanted is not None and message.get("id") == wanted:
                return message
        return self.messages[0] if self.messages else None

    @property
    def result(self) -> Any:
        message = self.message
        return message.get("result") if isinstance(message, dict) else None

    @property
    def error(self) -> Any:
        """The JSON-RPC ``error`` object, if the server answered with one."""
        message = self.message
        return message.get("error") if isinstance(message, dict) else None

    @property
    def tool_error_code(self) -> str | None:
        """For a ``tools/call``: the tool error code of an ``isError`` result."""
        result = self.result
        if not isinstance(result, dict) or not result.get("isError"):
            return None
        structured = result.get("structuredContent")
        if isinstance(structured, dict) and isinstance(structured.get("error"), dict):
            return str(structured["error"].get("code"))
        return "unstructured_error"

    @property
    def tool_succeeded(self) -> bool:
        result = self.result
        return isinstance(result, dict) and not result.get("isError") and self.exchange.status < 400

    def transcript(self) -> str:
        """The JSON-RPC conversation as text: one ``->`` request and ``<-`` answer per exchange."""
        lines = []
        for exchange in self.exchanges:
            sent = exchange.body.decode("utf-8", "replace") if exchange.body else ""
            session = dict(exchange.headers).get("mcp-session-id")
            lines.append(f"-> {exchange.principal} POST {exchange.path}" + (" [session]" if session else "")
                         + f" {sent[:2000]}")
            answer = [json.dumps(m, sort_keys=True)[:2000] for m in parse_messages(exchange)]
            lines.append(f"<- {exchange.status} " + (" | ".join(answer) or exchange.response_text[:500]))
        return "\n".join(lines)


@dataclass
class _Session:
    session_id: str | None
    handshake: tuple[Exchange, ...]


@dataclass
class McpClient:
    """MCP over the live target's in-process transport; sessions cached per caller."""

    live: LiveTarget
    path: str | None = None
    sessions: dict[tuple, _Session] = field(default_factory=dict)
    next_id: int = 0
    initializations: int = 0

    def __post_init__(self) -> None:
        self.path = self.path or self.live.info.mcp_path
        if not self.path:
            raise ValueError(f"target {self.live.info.name!r} exposes no MCP path")

    # -- raw transport -----------------------------------------------------------------
    def post(self, principal: str, payload: Any = None, *, content: bytes | None = None,
             session_id: str | None = None, headers: Sequence[tuple[str, str]] = (),
             route: str = "mcp") -> Exchange:
        """One POST to the MCP path (``payload`` as JSON, or raw ``content`` bytes)."""
        sent = list(MCP_HEADERS) + list(headers)
        if session_id:
            sent.append(("mcp-session-id", session_id))
        if content is None:
            content = json.dumps(payload, allow_nan=True).encode("utf-8", "surrogatepass")
        # The server answers a request over a server-sent-event stream that it ends after the response: read it
        # to its end (within the request's time bound), not only the first second of an open-ended stream, or a
        # loaded machine turns a slow answer into an empty one.
        return self.live.request(principal, "POST", self.path, content=content, headers=sent,
                                 route=route, raw_headers=True, stream_window=self.live.timeout)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    # -- sessions -----------------------------------------------------------------------
    def initialize(self, principal: str, headers: Sequence[tuple[str, str]] = ()) -> _Session:
        """Run the handshake for ``principal`` (+ ``headers``) and cache the session."""
        request = {"jsonrpc": "2.0", "id": self._id(), "method": "initialize",
                   "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": CLIENT_INFO}}
        first = self.post(principal, request, headers=headers, route="mcp:initialize")
        self.initializations += 1
        session_id = dict((k.lower(), v) for k, v in first.response_headers).get("mcp-session-id")
        exchanges = [first]
        if session_id:
            exchanges.append(self.post(principal, {"jsonrpc": "2.0", "method": "notifications/initialized"},
                                       session_id=session_id, headers=headers, route="mcp:initialized"))
        session = _Session(session_id, tuple(exchanges))
        if session_id:
            self.sessions[(principal, tuple(headers))] = session
        return session

    def session(self, principal: str, headers: Sequence[tuple[str, str]] = ()) -> _Session:
        return self.sessions.get((principal, tuple(headers))) or self.initialize(principal, headers)

    def forget(self, principal: str | None = None) -> None:
        """Drop cached sessions (of one principal, or all)."""
        for key in [k for k in self.sessions if principal is None or k[0] == principal]:
            del self.sessions[key]

    # -- JSON-RPC -----------------------------------------------------------------------
    def rpc(self, principal: str, method: str, params: Any = None, *,
            headers: Sequence[tuple[str, str]] = (), request_id: Any = None) -> McpReply:
        """Send one JSON-RPC request in the caller's session (initializing it when needed)."""
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id if request_id is not None else self._id(),
                                   "method": method}
        if params is not None:
            request["params"] = params
        session = self.session(principal, headers)
        if session.session_id is None:  # the handshake itself was refused: report it as the reply
            return McpReply(session.handshake[0], tuple(parse_messages(session.handshake[0])), (), request)
        exchange = self.post(principal, request, session_id=session.session_id, headers=headers,
                             route=f"mcp:{method}")
        if exchange.status == 404:  # session unknown to the server: re-initialize once
            self.forget(principal)
            session = self.initialize(principal, headers)
            exchange = self.post(principal, request, session_id=session.session_id, headers=headers,
                                 route=f"mcp:{method}")
        return McpReply(exchange, tuple(parse_messages(exchange)), session.handshake, request)

    def send_raw(self, principal: str, content: bytes, *, with_session: bool = True,
                 headers: Sequence[tuple[str, str]] = ()) -> McpReply:
        """Send arbitrary bytes (malformed JSON-RPC) in the caller's session."""
        session = self.session(principal, headers) if with_session else _Session(None, ())
        exchange = self.post(principal, content=content, session_id=session.session_id, headers=headers,
                             route="mcp:raw")
        return McpReply(exchange, tuple(parse_messages(exchange)), session.handshake, None)

    def list_tools(self, principal: str, *, headers: Sequence[tuple[str, str]] = ()) -> McpReply:
        return self.rpc(principal, "tools/list", {}, headers=headers)

    def call_tool(self, principal: str, name: str, arguments: Mapping[str, Any] | None = None, *,
                  headers: Sequence[tuple[str, str]] = (), meta: Mapping[str, Any] | None = None) -> McpReply:
        params: dict[str, Any] = {"name": name, "arguments": dict(arguments or {})}
        if meta:
            params["_meta"] = dict(meta)
        return self.rpc(principal, "tools/call", params, headers=headers)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """Headers presenting ``token`` (for the ``anonymous`` principal plus an explicit credential)."""
    return (("authorization", f"Bearer {token}"),)

"""Send a Schemathesis case through the live target and hand Schemathesis the response.

The case is serialised exactly as Schemathesis' own ``requests`` transport would
(``requests.Request(...).prepare()``), then sent in process with
:meth:`targets.client.LiveTarget.request` as one principal, so the transcript is an
ordinary :class:`targets.transcript.Exchange` (replayable, cURL-able) and the principal's
credentials come from its :class:`targets.base.PrincipalSpec` headers.
"""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlsplit

from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.client import LiveTarget

BASE_URL = "http://testserver"
# headers Schemathesis' transport adds on its own; the live client sets what it needs
DROPPED_HEADERS = frozenset({
    "user-agent", "accept-encoding", "connection", "content-length", "x-schemathesis-testcaseid",
})
REQUEST_ARGS = ("method", "url", "headers", "files", "data", "params", "auth", "cookies", "json")


def prepare(case: Any) -> Any:
    """The ``requests.PreparedRequest`` Schemathesis would send for ``case``."""
    import requests

    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    return requests.Request(**{k: v for k, v in kwargs.items() if k in REQUEST_ARGS}).prepare()


def split_query(raw: str) -> tuple[tuple[str, str], ...]:
    """Query pairs of an encoded query string, in order, blanks kept."""
    pairs = []
    for piece in raw.split("&") if raw else ():
        key, _, value = piece.partition("=")
        pairs.append((unquote_plus(key, errors="surrogatepass"), unquote_plus(value, errors="surrogatepass")))
    return tuple(pairs)


def request_headers(prepared: Any, principal_headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    own = {name.lower() for name, _ in principal_headers}
    kept = []
    for name, value in prepared.headers.items():
        lowered = name.lower()
        if lowered in DROPPED_HEADERS or lowered in own or (lowered == "accept" and value == "*/*"):
            continue
        kept.append((name, value))
    return kept


def send_case(live: LiveTarget, principal: str, case: Any) -> tuple[Exchange, Any]:
    """Send ``case`` as ``principal``; return the exchange and a Schemathesis ``Response``."""
    prepared = prepare(case)
    url = urlsplit(prepared.url)
    body = prepared.body.encode("utf-8") if isinstance(prepared.body, str) else prepared.body
    exchange = live.request(
        principal, prepared.method, url.path, query=split_query(url.query), content=body,
        headers=request_headers(prepared, live.headers_for(principal)), route=case.path,
    )
    return exchange, to_response(exchange, prepared)


def to_response(exchange: Exchange, prepared: Any) -> Any:
    """The exchange's response as Schemathesis sees responses."""
    from schemathesis import Response

    headers: dict[str, list[str]] = {}
    for name, value in exchange.response_headers:
        headers.setdefault(name.lower(), []).append(value)
    return Response(
        status_code=exchange.status,
        headers=headers,
        content=exchange.response_text.encode("utf-8", "surrogatepass"),
        request=prepared,
        elapsed=exchange.elapsed_ms / 1000,
        verify=True,
        message=http.client.responses.get(exchange.status, ""),
        encoding="utf-8",
    )

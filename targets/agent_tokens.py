"""Aksara's HMAC agent-token format, written independently from its documentation and source.

``b64url(header).b64url(payload).b64url(HMAC-SHA256(secret, header.payload))``. Targets use it
to mint their principals' tokens; strategies use it to build hostile ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

AGENT_HEADER = {"alg": "sha256", "typ": "AKT"}
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_strict_decode(text: str) -> bytes | None:
    """Canonical base64url without padding, or ``None`` when ``text`` is not exactly that."""
    if any(c not in B64URL for c in text) or len(text) % 4 == 1:
        return None
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return raw if b64url(raw) == text else None


def encode_agent_token(payload: Any, secret: str, header: Any = AGENT_HEADER) -> str:
    """``b64url(header).b64url(payload).b64url(HMAC-SHA256(secret, header.payload))``; no claim added."""
    head = b64url(json.dumps(header, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":"), allow_nan=True).encode("utf-8", "surrogatepass"))
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"

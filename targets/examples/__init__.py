"""Aksara's shipped example apps (``aksara._examples``) as built-in targets.

``--aksara-target example:<name>``. Each entry is only what the suite cannot derive
(targets/derive.py): how the example authenticates its callers, its tenants, and the
environment it reads at import. Tokens and keys are set through the environment the
example documents, so they are the suite's, long, and listed as secrets. Background
task workers are off for the run (``tasks_enabled=False``): a queued task stays queued,
so only the request itself writes. Per-example known defects of the app itself are in
``targets/examples/<name>.ledger.yaml``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from targets.derive import Adapter, DeriveError, DerivedTarget, derive, principal, seed_id

HERE = Path(__file__).resolve().parent
API_KEY = "aksara-fuzz-example-api-key-4e8c2a6f1b9d"
TENANT_A = "00000000-0000-4000-8000-00000000000a"
TENANT_B = "00000000-0000-4000-8000-00000000000b"


def _api_key(env_name: str) -> Adapter:
    return Adapter(principals=[principal("api_client", "user", headers={"X-API-Key": API_KEY})],
                   env={env_name: API_KEY}, secrets=[API_KEY])


def _multitenant() -> Adapter:
    tenant_a, tenant_b = seed_id("tenants", 0), seed_id("tenants", 1)
    return Adapter(
        principals=[principal("user_a", "user", "A", {"X-Tenant-ID": tenant_a}),
                    principal("user_b", "user", "B", {"X-Tenant-ID": tenant_b})],
        tenants={"A": tenant_a, "B": tenant_b},
    )


def _support_desk() -> Adapter:
    tokens = {name: f"aksara-fuzz-support-desk-{name}-token-0123456789" for name in ("a", "b", "mcp", "mcp_b")}
    scopes = ("mcp:read:ticket", "mcp:write:ticket")
    return Adapter(
        principals=[
            principal("staff_a", "staff", "A", {"authorization": f"Bearer {tokens['a']}"}),
            principal("user_b", "user", "B", {"authorization": f"Bearer {tokens['b']}"}),
            principal("agent_a", "ai_agent", "A", {"authorization": f"Bearer {tokens['mcp']}"}, scopes),
            principal("agent_b", "ai_agent", "B", {"authorization": f"Bearer {tokens['mcp_b']}"}, scopes),
        ],
        tenants={"A": TENANT_A, "B": TENANT_B},
        env={
            "SUPPORT_DESK_TENANT_A_ID": TENANT_A, "SUPPORT_DESK_TENANT_B_ID": TENANT_B,
            "SUPPORT_DESK_TENANT_A_TOKEN": tokens["a"], "SUPPORT_DESK_TENANT_B_TOKEN": tokens["b"],
            "SUPPORT_DESK_MCP_TOKEN": tokens["mcp"], "SUPPORT_DESK_MCP_TENANT_B_TOKEN": tokens["mcp_b"],
            # the example accepts its MCP token for at most an hour; a run is shorter
            "SUPPORT_DESK_MCP_TOKEN_EXPIRES_AT": str(int(time.time()) + 3500),
            "SUPPORT_DESK_MCP_APPROVAL_SECRET": "aksara-fuzz-support-desk-approval-secret-42",
        },
        secrets=[*tokens.values(), "aksara-fuzz-support-desk-approval-secret-42"],
    )


EXAMPLES: dict[str, Callable[[], Adapter]] = {
    # basic_app has no authentication at all: every route is open to anyone by design
    "basic_app": lambda: Adapter(public_routes=["*"]),
    "blog": lambda: _api_key("BLOG_API_KEY"),
    "crm": lambda: _api_key("CRM_API_KEY"),
    "multitenant": _multitenant,
    "support_desk": _support_desk,
}


def load_example(name: str, profile: str) -> DerivedTarget:
    """The example app ``name`` as a derived target."""
    if name not in EXAMPLES:
        raise DeriveError(f"unknown example {name!r}; choose {', '.join(EXAMPLES)}")
    return derive(f"aksara._examples.{name}.main:app", EXAMPLES[name](), profile, name=name)


def ledger_path(name: str) -> Path:
    """The example's own ledger of app defects (it may not exist)."""
    return HERE / f"{name}.ledger.yaml"

"""An executable model of the Production Hardening specification (doctor verdicts).

Input: a :class:`DoctorInput` (environment variables, ``aksara.configure`` keywords,
and where a security matrix file is placed). Output: the set of blocking and warning
:class:`Condition` s that hold, and the exit code of ``aksara doctor security-check``,
``production-check`` and ``production-check --release``.

Derived from the specification (Required Production Settings, Blocking Conditions,
Warning Conditions, Security Matrix Enforcement; Aksara 0.7.2 docs for the release
policy and the settings reference for precedence and defaults). Every reading chosen
where the text is silent is a ``READINGS`` entry and is repeated in ``docs/doctor.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from strategies.doctor import DoctorInput
from targets.doctor import COMMANDS

# --------------------------------------------------------------------------- conditions

BLOCK, WARN = "block", "warn"


@dataclass(frozen=True)
class Condition:
    id: str
    kind: str  # BLOCK or WARN
    row: str   # the spec row it models


CONDITIONS = {
    c.id: c
    for c in [
        Condition("debug", BLOCK, "debug=True"),
        Condition("secret_key", BLOCK, "Missing or weak SECRET_KEY"),
        Condition("cors.wildcard_credentials", BLOCK, "CORS wildcard combined with credentials"),
        Condition("studio.exposed_without_auth", BLOCK, "Studio exposed in production without required authentication"),
        Condition("mcp.no_auth", BLOCK, "MCP enabled without an authentication mechanism"),
        Condition("mcp.unscoped", BLOCK, "MCP enabled without scoped-token requirements"),
        Condition("mcp.no_ttl", BLOCK, "MCP enabled without token TTL configuration"),
        Condition("mcp.no_audience", BLOCK, "MCP enabled without audience requirements"),
        Condition("mcp.tenant_unbound", BLOCK, "Multi-tenant MCP enabled without tenant-bound token requirements"),
        Condition("matrix.missing_required", BLOCK,
                  "Missing private security matrix when AKSARA_REQUIRE_SECURITY_MATRIX=true"),
        Condition("matrix.invalid_required", BLOCK,
                  "Invalid private security matrix when AKSARA_REQUIRE_SECURITY_MATRIX=true"),
        Condition("matrix.incomplete_enforced", BLOCK,
                  "Release mode: no planned/partial scenario, every implemented surface covered (reading R9)"),
        Condition("cors.wildcard", WARN, "CORS wildcard without credentials"),
        Condition("studio.exposed_with_auth", WARN, "Studio exposed in production with authentication"),
        Condition("cookie.insecure", WARN, "cookie_secure=False"),
        Condition("admin.rate_limit_off", WARN, "Admin rate limiting disabled"),
        Condition("tenancy.no_rls", WARN, "Multi-tenant mode without confirmed RLS"),
        Condition("ai.fields_writable", WARN, "AI fields broadly writable by default"),
        Condition("matrix.missing_optional", WARN,
                  "Missing private security matrix when strict matrix enforcement is disabled"),
        Condition("matrix.invalid_optional", WARN, "Invalid matrix without strict enforcement (reading R8)"),
        Condition("mcp.ttl_long", WARN, "MCP token TTL longer than 3600 seconds"),
    ]
}

#: Blocking conditions that block in every command, not only in production-check (R10).
MODE_INDEPENDENT = frozenset({"matrix.missing_required", "matrix.invalid_required", "matrix.incomplete_enforced"})

READINGS = {
    "R1": "Effective settings follow the settings reference: configure() keywords win over AKSARA_* variables, which "
          "win over the documented defaults. Settings that are not Settings fields (SECRET_KEY, CORS_*, "
          "AKSARA_MCP_REQUIRE_AUTH/_AUDIENCE/_TENANT_BOUND_TOKENS, AKSARA_MCP_TOKEN_TTL_SECONDS, AKSARA_MULTI_TENANT, "
          "AKSARA_RLS_ENABLED, AKSARA_REQUIRE_SECURITY_MATRIX, AKSARA_AI_WRITABLE_FIELDS_REVIEWED) come from the "
          "environment only.",
    "R2": "Boolean variables use Aksara's boolean grammar: case-insensitive 1/true/yes/on and 0/false/no/off; any "
          "other text (padded, empty, garbage) means the documented default. configure() values count by Python "
          "truthiness, as the runtime consumes them.",
    "R3": "The secret is AKSARA_SECRET_KEY when non-empty, else SECRET_KEY. It is weak when missing, blank, shorter "
          "than 32 characters after trimming surrounding whitespace, made of fewer than 8 distinct characters (not "
          "random), or containing a placeholder marker (change-me, replace-me, your-secret, insecure, placeholder, "
          "dummy, ...), whatever its length.",
    "R4": "An MCP authentication mechanism is a non-blank AKSARA_AI_AGENT_TOKEN or AKSARA_MCP_REQUIRE_AUTH=true. "
          "Requiring scoped tokens constrains tokens; it is not itself an authentication mechanism.",
    "R5": "The scoped-token requirement is the effective mcp_require_scoped_tokens setting (default True).",
    "R6": "The TTL is configured when AKSARA_MCP_TOKEN_TTL_SECONDS is an integer (Aksara's integer grammar) greater "
          "than 0; garbage, empty, 0 and negative values are not a TTL configuration. Longer than 3600 warns.",
    "R7": "The audience requirement holds when AKSARA_MCP_REQUIRE_AUDIENCE=true and the effective "
          "mcp_token_audience is a non-blank identifier; requiring an audience with none configured enforces nothing.",
    "R8": "'To make a missing or invalid matrix blocking, set AKSARA_REQUIRE_SECURITY_MATRIX=true': without it an "
          "invalid matrix is a warning, not a blocking or failing condition.",
    "R9": "Release mode requires a valid, complete matrix (no planned/partial scenario; every implemented surface "
          "has a covered scenario). The same completeness is required whenever the matrix is enforced "
          "(AKSARA_REQUIRE_SECURITY_MATRIX=true): the example matrix 'is a template, not a passing production gate'.",
    "R10": "security-check is an inspection report: it exits 1 only for the matrix conditions made blocking by "
           "AKSARA_REQUIRE_SECURITY_MATRIX (blocking in every deployment check); it must still report every "
           "production blocking condition as a non-pass result.",
    "R11": "Studio is exposed in production when it is enabled and studio_expose_in_production is true.",
    "R12": "A CORS wildcard is CORS_ALLOW_ALL_ORIGINS=true or '*' among the framework's CORS origins "
           "(studio_allowed_origins).",
    "R13": "Multi-tenant mode is AKSARA_MULTI_TENANT=true; confirmed RLS is AKSARA_RLS_ENABLED=true.",
    "R14": "AI fields are broadly writable when AI or MCP is enabled and AKSARA_AI_WRITABLE_FIELDS_REVIEWED is not "
           "true (0.7.2 docs).",
    "R15": "production-check exits 1 iff a blocking condition holds (warnings do not change it); --release exits 1 "
           "iff any blocking or warning condition holds; release_ready is exit code 0 under --release, else null.",
    "R16": "An explicit AKSARA_SECURITY_MATRIX_PATH that names no file means the matrix is missing (no fallback).",
    "R17": "A configuration Aksara refuses to load (Studio enabled without AKSARA_STUDIO_SECRET_TOKEN, a malformed "
           "list variable) must still give a diagnosis: the CLI exits 1 with its JSON report, never a traceback.",
}

# --------------------------------------------------------------------------- input


# The input type lives next to its generator (strategies/doctor.py); this module only reads it.


# --------------------------------------------------------------------------- grammars

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
PLACEHOLDER_MARKERS = (
    "changeme", "change-me", "change_me", "replace-me", "replace_me", "replaceme", "your-secret", "your_secret",
    "yoursecret", "insecure", "placeholder", "dummy", "do-not-use", "not-a-secret", "example-secret",
)
KNOWN_DEFAULTS = {"secret", "dev", "development", "test", "testing", "password", "12345678", "default"}
MIN_SECRET_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 8
TTL_LONG = 3600


def env_bool(raw: str | None, default: bool) -> bool:
    """R2: Aksara's boolean grammar for an environment value."""
    if raw is None:
        return default
    low = raw.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return default


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or (not isinstance(value, str) and not value)


def secret_weakness(value: str | None) -> str | None:
    """R3: why a secret is weak, or None when it is acceptable."""
    if value is None:
        return "missing"
    s = value.strip()
    if not s:
        return "blank"
    if len(s) < MIN_SECRET_LENGTH:
        return "short"
    low = s.lower()
    if low in KNOWN_DEFAULTS or any(marker in low for marker in PLACEHOLDER_MARKERS):
        return "placeholder"
    if len(set(s)) < MIN_DISTINCT_CHARACTERS:
        return "low_variety"
    return None


def ttl_seconds(raw: str | None) -> int | None:
    """R6: the configured TTL, or None when the value is not a TTL configuration."""
    if raw is None:
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


# --------------------------------------------------------------------------- matrix


def matrix_problems(text: str) -> list[str]:
    """Why a matrix file is invalid per the documented structure (empty list: valid)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return ["not YAML"]
    if not isinstance(data, dict):
        return ["top level is not a mapping"]
    problems: list[str] = []
    for key in ("version", "metadata", "surfaces", "actors", "risks", "scenarios"):
        if key not in data:
            problems.append(f"missing {key}")
    if problems:
        return problems
    if not isinstance(data["version"], int) or isinstance(data["version"], bool):
        problems.append("version is not an integer")
    meta = data["metadata"]
    if not isinstance(meta, dict):
        problems.append("metadata is not a mapping")
    else:
        for key in ("name", "description", "owner", "status"):
            if not _nonblank_str(meta.get(key)):
                problems.append(f"metadata.{key} is not a non-empty string")
    fields = {
        "surfaces": {"id": "ident", "name": "str", "category": "str", "implemented": "bool", "description": "str"},
        "actors": {"id": "ident", "description": "str"},
        "risks": {"id": "ident", "severity": ("low", "medium", "high", "critical"), "description": "str"},
        "scenarios": {"id": "ident", "surface": "ref:surfaces", "actor": "ref:actors", "risk": "ref:risks",
                      "expected": ("allow", "deny", "warn", "block", "warn_or_block"),
                      "status": ("covered", "partial", "planned", "not_applicable"), "description": "str"},
    }
    ids: dict[str, set] = {}
    for section, spec in fields.items():
        items = data[section]
        ids[section] = set()
        if not isinstance(items, list):
            problems.append(f"{section} is not a list")
            continue
        for index, item in enumerate(items):
            where = f"{section}[{index}]"
            if not isinstance(item, dict):
                problems.append(f"{where} is not a mapping")
                continue
            for name, kind in spec.items():
                if name not in item:
                    problems.append(f"{where} lacks {name}")
                    continue
                value = item[name]
                if kind == "str" and not isinstance(value, str):
                    problems.append(f"{where}.{name} is not a string")
                elif kind == "bool" and not isinstance(value, bool):
                    problems.append(f"{where}.{name} is not a boolean")
                elif kind == "ident" or kind.__class__ is str and kind.startswith("ref:"):
                    if not _nonblank_str(value):
                        problems.append(f"{where}.{name} is not a non-empty string")
                    elif kind.startswith("ref:") and value not in ids.get(kind[4:], set()):
                        problems.append(f"{where}.{name} references unknown {value!r}")
                elif isinstance(kind, tuple) and value not in kind:
                    problems.append(f"{where}.{name} is not one of {kind}")
            ident = item.get("id")
            if _nonblank_str(ident):
                if ident in ids[section]:
                    problems.append(f"duplicate {section} id {ident!r}")
                ids[section].add(ident)
    return problems


def matrix_incomplete(text: str) -> list[str]:
    """R9: why a valid matrix is not release-complete (empty list: complete)."""
    data = yaml.safe_load(text)
    scenarios = data["scenarios"]
    gaps = [f"scenario {s['id']} is {s['status']}" for s in scenarios if s["status"] in ("planned", "partial")]
    covered = {s["surface"] for s in scenarios if s["status"] == "covered"}
    gaps += [f"surface {s['id']} has no covered scenario" for s in data["surfaces"]
             if s["implemented"] is True and s["id"] not in covered]
    return gaps


def _nonblank_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


# --------------------------------------------------------------------------- effective configuration


@dataclass(frozen=True)
class Effective:
    """The configuration the specification's conditions are evaluated on."""

    debug: bool
    secret_weakness: str | None
    cors_wildcard: bool
    cors_credentials: bool
    studio_exposed: bool
    studio_require_auth: bool
    mcp_enabled: bool
    ai_enabled: bool
    mcp_has_auth: bool
    mcp_scoped: bool
    ttl: int | None
    audience_required: bool
    multi_tenant: bool
    tenant_bound: bool
    rls: bool
    cookie_secure: bool
    rate_limit: bool
    ai_fields_reviewed: bool
    matrix_required: bool
    matrix_state: str  # missing | invalid | incomplete | complete


def _setting(inp: DoctorInput, name: str, env_name: str, default: bool) -> bool:
    if name in inp.configure:
        return bool(inp.configure[name])
    return env_bool(inp.env.get(env_name), default)


def _text_setting(inp: DoctorInput, name: str, env_name: str) -> Any:
    if name in inp.configure:
        return inp.configure[name]
    return inp.env.get(env_name)


def effective(inp: DoctorInput) -> Effective:
    env = inp.env
    secret = env.get("AKSARA_SECRET_KEY") or env.get("SECRET_KEY")
    if "studio_allowed_origins" in inp.configure:
        origins = list(inp.configure["studio_allowed_origins"] or [])
    else:
        raw = env.get("AKSARA_STUDIO_ALLOWED_ORIGINS")
        origins = [o.strip() for o in raw.split(",")] if raw else []
    studio_enabled = _setting(inp, "enable_studio", "AKSARA_ENABLE_STUDIO", False)
    if "enable_studio" not in inp.configure and studio_enabled and env_bool(env.get("AKSARA_STUDIO_DISABLED"), False):
        studio_enabled = False
    mcp_enabled = _setting(inp, "mcp_enabled", "AKSARA_MCP_ENABLED", False)
    token = _text_setting(inp, "ai_agent_token", "AKSARA_AI_AGENT_TOKEN")
    audience = _text_setting(inp, "mcp_token_audience", "AKSARA_MCP_TOKEN_AUDIENCE")
    if inp.matrix_text is None or inp.matrix_placement == "dangling":
        state = "missing"
    elif matrix_problems(inp.matrix_text):
        state = "invalid"
    elif matrix_incomplete(inp.matrix_text):
        state = "incomplete"
    else:
        state = "complete"
    return Effective(
        debug=_setting(inp, "debug", "AKSARA_DEBUG", False),
        secret_weakness=secret_weakness(secret),
        cors_wildcard=env_bool(env.get("CORS_ALLOW_ALL_ORIGINS"), False) or "*" in origins,
        cors_credentials=env_bool(env.get("CORS_ALLOW_CREDENTIALS"), False),
        studio_exposed=studio_enabled and _setting(
            inp, "studio_expose_in_production", "AKSARA_STUDIO_EXPOSE_IN_PRODUCTION", False),
        studio_require_auth=_setting(inp, "studio_require_auth", "AKSARA_STUDIO_REQUIRE_AUTH", True),
        mcp_enabled=mcp_enabled,
        ai_enabled=_setting(inp, "ai_enabled", "AKSARA_AI_ENABLED", False),
        mcp_has_auth=(isinstance(token, str) and token.strip() != "")
        or env_bool(env.get("AKSARA_MCP_REQUIRE_AUTH"), False),
        mcp_scoped=_setting(inp, "mcp_require_scoped_tokens", "AKSARA_MCP_REQUIRE_SCOPED_TOKENS", True),
        ttl=ttl_seconds(env.get("AKSARA_MCP_TOKEN_TTL_SECONDS")),
        audience_required=env_bool(env.get("AKSARA_MCP_REQUIRE_AUDIENCE"), False)
        and isinstance(audience, str) and audience.strip() != "",
        multi_tenant=env_bool(env.get("AKSARA_MULTI_TENANT"), False),
        tenant_bound=env_bool(env.get("AKSARA_MCP_REQUIRE_TENANT_BOUND_TOKENS"), False),
        rls=env_bool(env.get("AKSARA_RLS_ENABLED"), False),
        cookie_secure=_setting(inp, "cookie_secure", "AKSARA_COOKIE_SECURE", True),
        rate_limit=_setting(inp, "admin_rate_limit_enabled", "AKSARA_ADMIN_RATE_LIMIT_ENABLED", True),
        ai_fields_reviewed=env_bool(env.get("AKSARA_AI_WRITABLE_FIELDS_REVIEWED"), False),
        matrix_required=env_bool(env.get("AKSARA_REQUIRE_SECURITY_MATRIX"), False),
        matrix_state=state,
    )


# --------------------------------------------------------------------------- verdicts

def conditions(eff: Effective, *, release: bool = False) -> frozenset[str]:
    """The ids of every blocking and warning condition that holds."""
    held: set[str] = set()
    add = held.add
    if eff.debug:
        add("debug")
    if eff.secret_weakness:
        add("secret_key")
    if eff.cors_wildcard:
        add("cors.wildcard_credentials" if eff.cors_credentials else "cors.wildcard")
    if eff.studio_exposed:
        add("studio.exposed_with_auth" if eff.studio_require_auth else "studio.exposed_without_auth")
    if eff.mcp_enabled:
        if not eff.mcp_has_auth:
            add("mcp.no_auth")
        if not eff.mcp_scoped:
            add("mcp.unscoped")
        if eff.ttl is None:
            add("mcp.no_ttl")
        elif eff.ttl > TTL_LONG:
            add("mcp.ttl_long")
        if not eff.audience_required:
            add("mcp.no_audience")
        if eff.multi_tenant and not eff.tenant_bound:
            add("mcp.tenant_unbound")
    if not eff.cookie_secure:
        add("cookie.insecure")
    if not eff.rate_limit:
        add("admin.rate_limit_off")
    if eff.multi_tenant and not eff.rls:
        add("tenancy.no_rls")
    if (eff.ai_enabled or eff.mcp_enabled) and not eff.ai_fields_reviewed:
        add("ai.fields_writable")
    enforced = eff.matrix_required or release
    if eff.matrix_state == "missing":
        add("matrix.missing_required" if enforced else "matrix.missing_optional")
    elif eff.matrix_state == "invalid":
        add("matrix.invalid_required" if enforced else "matrix.invalid_optional")
    elif eff.matrix_state == "incomplete" and enforced:
        add("matrix.incomplete_enforced")
    return frozenset(held)


@dataclass(frozen=True)
class Verdict:
    command: str
    conditions: frozenset[str]
    exit_code: int
    release_ready: bool | None

    @property
    def blocking(self) -> frozenset[str]:
        return frozenset(c for c in self.conditions if CONDITIONS[c].kind == BLOCK)

    @property
    def warnings(self) -> frozenset[str]:
        return frozenset(c for c in self.conditions if CONDITIONS[c].kind == WARN)


def verdict(inp: DoctorInput, command: str) -> Verdict:
    """The specification's verdict for one command on one configuration."""
    if command not in COMMANDS:
        raise ValueError(command)
    release = command.endswith("--release")
    held = conditions(effective(inp), release=release)
    blocking = [c for c in held if CONDITIONS[c].kind == BLOCK]
    if command == "security-check":
        exit_code = int(any(c in MODE_INDEPENDENT for c in blocking))
    elif release:
        exit_code = int(bool(held))
    else:
        exit_code = int(bool(blocking))
    return Verdict(command, held, exit_code, (exit_code == 0) if release else None)

"""A corrected doctor built on real Aksara: its defective checks replaced, everything else real.

``install(monkeypatch)`` patches ``aksara.security.checks`` so ``run_security_checks`` (and
the runner) use the corrected checks. Tests plant one fault on top of it to prove the
oracles catch that fault and stay quiet otherwise.
"""

from __future__ import annotations

import yaml
from aksara.security import checks
from aksara.security.matrix import _find_default_matrix_path, validate_security_matrix
from jsonschema import Draft202012Validator

R = checks.SecurityCheckResult
_REAL_SECRET_CHECK = checks.check_secret_key  # captured before any patching
_NONBLANK = {"type": "string", "pattern": r"\S"}
_MATRIX_SCHEMA = {
    "type": "object",
    "required": ["version", "metadata", "surfaces", "actors", "risks", "scenarios"],
    "properties": {
        "version": {"type": "integer"},
        "metadata": {"type": "object", "required": ["name", "description", "owner", "status"],
                     "properties": {k: _NONBLANK for k in ("name", "description", "owner", "status")}},
        "surfaces": {"type": "array", "items": {
            "type": "object", "required": ["id", "name", "category", "implemented", "description"],
            "properties": {"id": _NONBLANK, "name": {"type": "string"}, "category": {"type": "string"},
                           "implemented": {"type": "boolean"}, "description": {"type": "string"}}}},
        "actors": {"type": "array", "items": {"type": "object", "required": ["id", "description"],
                                              "properties": {"id": _NONBLANK, "description": {"type": "string"}}}},
        "risks": {"type": "array", "items": {
            "type": "object", "required": ["id", "severity", "description"],
            "properties": {"id": _NONBLANK, "severity": {"enum": ["low", "medium", "high", "critical"]},
                           "description": {"type": "string"}}}},
        "scenarios": {"type": "array", "items": {
            "type": "object", "required": ["id", "surface", "actor", "risk", "expected", "status", "description"],
            "properties": {"id": _NONBLANK, "surface": _NONBLANK, "actor": _NONBLANK, "risk": _NONBLANK,
                           "expected": {"enum": ["allow", "deny", "warn", "block", "warn_or_block"]},
                           "status": {"enum": ["covered", "partial", "planned", "not_applicable"]},
                           "description": {"type": "string"}}}},
    },
}
_MARKERS = ("change", "replace", "your-secret", "your_secret", "yoursecret", "insecure", "placeholder", "dummy",
            "do-not-use", "not-a-secret", "example-secret")


def parse_ttl(raw):
    """A strictly positive integer TTL, or None."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def check_secret_key() -> R:
    result = _REAL_SECRET_CHECK()
    secret = (checks._get_secret_key() or "").strip()
    weak = result.status != "pass" or any(m in secret.lower() for m in _MARKERS) or len(set(secret)) < 8 \
        or secret.lower() == "default"
    return R("security.secret_key", "SECRET_KEY", "critical" if weak else "info", "fail" if weak else "pass", "")


def check_mcp_exposure(is_production: bool = False) -> R:
    token = checks.get_setting("ai_agent_token", None)
    has_auth = (isinstance(token, str) and token.strip() != "") or checks.is_truthy(
        checks.get_env("AKSARA_MCP_REQUIRE_AUTH", False))
    bad = checks.get_setting("mcp_enabled", False) and not has_auth
    return R("security.mcp_exposure", "MCP exposure", "info", ("block" if is_production else "warn") if bad else "pass", "")


def check_mcp_hardening(is_production: bool = False) -> R:
    if not checks.get_setting("mcp_enabled", False):
        return R("security.mcp_hardening", "MCP hardening", "info", "pass", "")
    problems, warnings = [], []
    if not checks.get_setting("mcp_require_scoped_tokens", True):
        problems.append("scoped")
    ttl = parse_ttl(checks.get_env("AKSARA_MCP_TOKEN_TTL_SECONDS"))
    if ttl is None:
        problems.append("ttl")
    elif ttl > 3600:
        warnings.append("ttl_long")
    audience = checks.get_setting("mcp_token_audience", None)
    if not (checks.is_truthy(checks.get_env("AKSARA_MCP_REQUIRE_AUDIENCE", False))
            and isinstance(audience, str) and audience.strip()):
        problems.append("audience")
    if checks.is_truthy(checks.get_env("AKSARA_MULTI_TENANT", False)) and not checks.is_truthy(
            checks.get_env("AKSARA_MCP_REQUIRE_TENANT_BOUND_TOKENS", False)):
        problems.append("tenant")
    status = ("block" if is_production else "warn") if problems else "warn" if warnings else "pass"
    return R("security.mcp_hardening", "MCP credential hardening", "high", status, ",".join(problems + warnings))


def check_security_matrix(is_production: bool = False, required=None) -> R:
    required = checks.is_truthy(checks.get_env("AKSARA_REQUIRE_SECURITY_MATRIX", False)) if required is None \
        else required
    path = _find_default_matrix_path()
    if path is None:
        return R("security.matrix", "Security matrix not found", "high", "block" if required else "warn", "")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        invalid = not isinstance(data, dict) or any(Draft202012Validator(_MATRIX_SCHEMA).iter_errors(data)) \
            or bool(validate_security_matrix(data))
    except Exception:
        invalid = True
    if invalid:
        return R("security.matrix", "Security matrix invalid", "critical", "block" if required else "warn", "")
    if required:
        scenarios = data["scenarios"]
        covered = {s["surface"] for s in scenarios if s["status"] == "covered"}
        if any(s["status"] in ("planned", "partial") for s in scenarios) or any(
                s["implemented"] is True and s["id"] not in covered for s in data["surfaces"]):
            return R("security.matrix", "Security matrix coverage incomplete", "critical", "block", "")
    return R("security.matrix", "Security matrix", "info", "pass", "")


def install(monkeypatch) -> None:
    """Replace the defective checks of the installed Aksara with the corrected ones."""
    monkeypatch.setattr(checks, "check_secret_key", check_secret_key)
    monkeypatch.setattr(checks, "check_mcp_exposure", check_mcp_exposure)
    monkeypatch.setattr(checks, "check_mcp_hardening", check_mcp_hardening)
    monkeypatch.setattr(checks, "check_security_matrix", check_security_matrix)

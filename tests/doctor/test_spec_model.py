"""The executable specification: one row of the spec at a time, its grammars, and monotonicity."""

from __future__ import annotations

import pytest
from hypothesis import given

from fuzz.oracles.doctor_spec import CONDITIONS, DoctorInput, effective, matrix_problems, secret_weakness, \
    ttl_seconds, verdict
from strategies.matrix import matrices
from strategies.doctor import HARDENED_ENV, WEAKENINGS, doctor_inputs, weakenings

COMPLETE_MATRIX = """version: 1
metadata: {name: m, description: d, owner: o, status: active}
surfaces: [{id: rest, name: REST, category: rest, implemented: true, description: d}]
actors: [{id: anon, description: d}]
risks: [{id: auth, severity: high, description: d}]
scenarios: [{id: s1, surface: rest, actor: anon, risk: auth, expected: deny, status: covered, description: d}]
"""
MCP = dict(HARDENED_ENV, AKSARA_MCP_ENABLED="true", AKSARA_MULTI_TENANT="true")
SAFE = DoctorInput(env=dict(HARDENED_ENV), matrix_text=COMPLETE_MATRIX)

# each spec row: a configuration that differs from a hardened one in exactly the row's way
ROWS = {
    "debug": {"AKSARA_DEBUG": "true"},
    "secret_key": {"AKSARA_SECRET_KEY": "change-me"},
    "cors.wildcard_credentials": {"CORS_ALLOW_ALL_ORIGINS": "true", "CORS_ALLOW_CREDENTIALS": "true"},
    "cors.wildcard": {"CORS_ALLOW_ALL_ORIGINS": "true"},
    "studio.exposed_without_auth": {"AKSARA_ENABLE_STUDIO": "true", "AKSARA_STUDIO_EXPOSE_IN_PRODUCTION": "true",
                                    "AKSARA_STUDIO_REQUIRE_AUTH": "false"},
    "studio.exposed_with_auth": {"AKSARA_ENABLE_STUDIO": "true", "AKSARA_STUDIO_EXPOSE_IN_PRODUCTION": "true"},
    "mcp.no_auth": dict(MCP, AKSARA_MCP_REQUIRE_AUTH="false"),
    "mcp.unscoped": dict(MCP, AKSARA_MCP_REQUIRE_SCOPED_TOKENS="false"),
    "mcp.no_ttl": dict(MCP, AKSARA_MCP_TOKEN_TTL_SECONDS=None),
    "mcp.ttl_long": dict(MCP, AKSARA_MCP_TOKEN_TTL_SECONDS="3601"),
    "mcp.no_audience": dict(MCP, AKSARA_MCP_REQUIRE_AUDIENCE="false"),
    "mcp.tenant_unbound": dict(MCP, AKSARA_MCP_REQUIRE_TENANT_BOUND_TOKENS="false"),
    "cookie.insecure": {"AKSARA_COOKIE_SECURE": "false"},
    "admin.rate_limit_off": {"AKSARA_ADMIN_RATE_LIMIT_ENABLED": "false"},
    "tenancy.no_rls": {"AKSARA_MULTI_TENANT": "true", "AKSARA_RLS_ENABLED": "false"},
    "ai.fields_writable": {"AKSARA_AI_ENABLED": "true", "AKSARA_AI_WRITABLE_FIELDS_REVIEWED": "false"},
}


def _with(env_change, **kw):
    env = {k: v for k, v in dict(SAFE.env, **env_change).items() if v is not None}
    return DoctorInput(env=env, matrix_text=kw.get("matrix", COMPLETE_MATRIX),
                       matrix_placement=kw.get("placement", "env_path"))


def test_hardened_configuration_passes_every_command():
    for command in ("security-check", "production-check", "production-check --release"):
        v = verdict(SAFE, command)
        assert (v.conditions, v.exit_code) == (frozenset(), 0)


@pytest.mark.parametrize("condition", sorted(ROWS))
def test_each_row_alone(condition):
    held = verdict(_with(ROWS[condition]), "production-check").conditions
    assert held == {condition}
    blocking = CONDITIONS[condition].kind == "block"
    assert verdict(_with(ROWS[condition]), "production-check").exit_code == int(blocking)
    assert verdict(_with(ROWS[condition]), "production-check --release").release_ready is False
    assert verdict(_with(ROWS[condition]), "security-check").exit_code == 0


@pytest.mark.parametrize("strict,matrix,placement,expected", [
    ("false", None, "env_path", "matrix.missing_optional"),
    ("true", None, "env_path", "matrix.missing_required"),
    ("true", COMPLETE_MATRIX, "dangling", "matrix.missing_required"),
    ("false", "version: [1\n", "env_path", "matrix.invalid_optional"),
    ("true", "version: 1\n", "cwd", "matrix.invalid_required"),
    ("true", COMPLETE_MATRIX.replace("covered", "planned"), "env_path", "matrix.incomplete_enforced"),
])
def test_matrix_rows(strict, matrix, placement, expected):
    inp = _with({"AKSARA_REQUIRE_SECURITY_MATRIX": strict}, matrix=matrix, placement=placement)
    v = verdict(inp, "production-check")
    assert v.conditions == {expected}
    assert verdict(inp, "security-check").exit_code == int(expected.endswith(("required", "enforced")))


def test_release_requires_a_complete_matrix():
    planned = _with({}, matrix=COMPLETE_MATRIX.replace("covered", "planned"))
    assert verdict(planned, "production-check").exit_code == 0
    assert verdict(planned, "production-check --release").conditions == {"matrix.incomplete_enforced"}
    assert verdict(_with({}, matrix=None), "production-check --release").conditions == {"matrix.missing_required"}


def test_configure_wins_over_environment_and_defaults_apply():
    assert effective(DoctorInput(env={"AKSARA_DEBUG": "true"}, configure={"debug": False})).debug is False
    assert effective(DoctorInput(env={"AKSARA_MCP_REQUIRE_SCOPED_TOKENS": "maybe"})).mcp_scoped is True
    assert effective(DoctorInput(env={"AKSARA_MCP_REQUIRE_SCOPED_TOKENS": "TRUE"},
                                 configure={"mcp_require_scoped_tokens": False})).mcp_scoped is False
    assert effective(DoctorInput(env={"AKSARA_DEBUG": " true"})).debug is False


@pytest.mark.parametrize("raw,expected", [("900", 900), (" 900 ", 900), ("3601", 3601), ("abc", None), ("", None),
                                          ("0", None), ("-5", None), ("900.0", None), (None, None)])
def test_ttl_grammar(raw, expected):
    assert ttl_seconds(raw) == expected


@pytest.mark.parametrize("secret,weakness", [
    (None, "missing"), ("", "blank"), ("   ", "blank"), ("x" * 31, "short"), ("  " + "k9Qz" * 7 + "  ", "short"),
    ("my-app-secret-key-change-me-before-deploying", "placeholder"), ("a" * 64, "low_variety"),
    ("0f3c1a9be2d84c7a95e6b1d20c4f8a7e", None),
])
def test_secret_weaknesses(secret, weakness):
    assert secret_weakness(secret) == weakness


@given(doc=matrices())
def test_matrix_validator_agrees_with_the_mutation_class(doc):
    problems = matrix_problems(doc.text)
    assert (problems == []) == doc.mutation.startswith("valid"), (doc.mutation, problems)


@given(inp=doctor_inputs(), weakening=weakenings())
def test_model_is_monotone(inp, weakening):
    weaker = WEAKENINGS[weakening](inp)
    for command in ("security-check", "production-check", "production-check --release"):
        before, after = verdict(inp, command), verdict(weaker, command)
        assert after.exit_code >= before.exit_code, (command, before.conditions, after.conditions)

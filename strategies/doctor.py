"""Deployment settings for the doctor: documented variables with valid, boundary and hostile values.

Every variable of the Production Hardening settings table (plus the ones its conditions
depend on: AKSARA_ENABLE_STUDIO, AKSARA_AI_ENABLED, AKSARA_STUDIO_ALLOWED_ORIGINS,
AKSARA_AI_WRITABLE_FIELDS_REVIEWED) is drawn through the environment and, for
``Settings`` fields, through ``aksara.configure`` too. Hostile classes reached:

- booleans: canonical, case variants (``TRUE``, ``tRuE``), padded (`` true``, ``true\\n``),
  empty, whitespace, garbage (``enabled``, ``2``, ``✓``), fullwidth, very long
- secrets (every documented weakness): missing, empty, whitespace, short, 31/32-character
  boundary, padded short, known defaults, placeholders padded past 32 characters or
  embedded in a long value, a single repeated character, unicode, very long
- TTL: in range, 3600/3601 boundary, 0, negative, garbage, empty, ``900s``, floats, hex,
  unicode digits, huge, padded, underscores
- audience required but unset/blank; agent tokens blank or whitespace
- CORS origins with ``*`` alone, in a list, padded
- ``configure`` values of the wrong type (``"false"`` for a bool, ``0``, ``None``)
- configurations Aksara refuses to load (:func:`unloadable_inputs`)
Environment values never contain NUL or lone surrogates (the OS cannot carry them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from hypothesis import strategies as st

from strategies.matrix import matrices, valid_matrices

@dataclass(frozen=True)
class DoctorInput:
    """One deployment configuration as the doctor would see it."""

    env: Mapping[str, str] = field(default_factory=dict)
    configure: Mapping[str, Any] = field(default_factory=dict)
    matrix_text: str | None = None
    #: "env_path" (AKSARA_SECURITY_MATRIX_PATH names the file), "cwd" (security/security_matrix.yml
    #: in the working directory) or "dangling" (the variable names a file that does not exist).
    matrix_placement: str = "env_path"

    def describe(self) -> dict:
        return {"env": dict(self.env), "configure": dict(self.configure),
                "matrix_placement": self.matrix_placement,
                "matrix_text": self.matrix_text}


ENV_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00")
env_text = st.text(ENV_CHARS, max_size=40)

CANONICAL_BOOLS = ["true", "false", "1", "0", "yes", "no", "on", "off"]
HOSTILE_BOOLS = ["TRUE", "True", "tRuE", "YES", "On", "FALSE", "Off", " true", "true ", "true\n", "\tfalse", "",
                 " ", "enabled", "disabled", "2", "-1", "truthy", "y", "n", "✓", "ｔｒｕｅ", "nul\u200bl",
                 "true" * 500]


def bool_values() -> st.SearchStrategy[str]:
    """Boolean environment values: canonical, case variants, padded, empty, garbage, unicode, long."""
    return st.one_of(st.sampled_from(CANONICAL_BOOLS), st.sampled_from(HOSTILE_BOOLS), env_text)


def strong_secrets() -> st.SearchStrategy[str]:
    """Random secrets of at least 32 characters (hex, url-safe, unicode)."""
    return st.one_of(
        st.text("0123456789abcdef", min_size=64, max_size=64),
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=32, max_size=86),
        st.text(st.characters(codec="utf-8", categories=("L", "N")), min_size=40, max_size=60),
    ).filter(lambda s: len(set(s)) >= 12)


PLACEHOLDERS = ["change-me", "changeme", "secret", "dev", "test", "your-secret-key", "replace-me", "insecure",
                "password", "12345678", "placeholder", "django-insecure-", "CHANGE_ME", "dummy"]


def weak_secrets() -> st.SearchStrategy[str]:
    """Secrets with one documented weakness each."""
    return st.one_of(
        st.sampled_from(["", " ", "\t\n", " " * 40]),
        st.text(ENV_CHARS, min_size=1, max_size=31).filter(lambda s: s.strip() != ""),
        strong_secrets().map(lambda s: s[:31]),
        strong_secrets().map(lambda s: "   " + s[:20] + " " * 12),
        st.sampled_from(PLACEHOLDERS),
        st.sampled_from(PLACEHOLDERS).map(lambda p: (p + "-") * (40 // len(p) + 1)),
        st.tuples(strong_secrets(), st.sampled_from(PLACEHOLDERS)).map(lambda t: t[0][:20] + t[1] + t[0][20:]),
        st.sampled_from(["my-app-secret-key-change-me-before-deploying", "please-replace-me-with-a-random-value-x",
                         "this-is-only-a-placeholder-value-for-dev"]),
        st.sampled_from("a0x-").map(lambda c: c * 64),
        st.sampled_from(["abcdabcdabcdabcdabcdabcdabcdabcd", "01" * 40]),
    )


def secrets() -> st.SearchStrategy[str]:
    return st.one_of(strong_secrets(), weak_secrets(), st.text(ENV_CHARS, min_size=1000, max_size=3000))


def ttl_values() -> st.SearchStrategy[str]:
    """AKSARA_MCP_TOKEN_TTL_SECONDS: valid, boundary, garbage, unicode digits, huge."""
    return st.one_of(
        st.sampled_from(["300", "900", "60", "3600", "3601", "7200", "86400", "1"]),
        st.sampled_from(["0", "-1", "-900", "", " ", "abc", "900s", "15m", "900.0", "9e2", "0x384", "٩٠٠", "９００",
                         " 900 ", "+900", "1_000", "9" * 60, "NaN", "inf", "null"]),
        st.integers(-10**6, 10**6).map(str),
        env_text,
    )


def audience_values() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["api://aksara-service", "urn:svc:orders", "", " ", "\t"]), env_text)


def token_values() -> st.SearchStrategy[str]:
    return st.one_of(strong_secrets(), st.sampled_from(["", " ", "\n", "x"]), env_text)


def origin_values() -> st.SearchStrategy[str]:
    return st.sampled_from(["https://app.example.com", "*", "https://a.example,*", " * ,https://b.example",
                            "https://a.example,https://b.example", "**", "*.example.com"])


_FLAG = bool_values


def _env_vars() -> dict[str, Callable[[], st.SearchStrategy[str]]]:
    return {
        "AKSARA_DEBUG": _FLAG, "AKSARA_SECRET_KEY": secrets, "SECRET_KEY": secrets,
        "CORS_ALLOW_ALL_ORIGINS": _FLAG, "CORS_ALLOW_CREDENTIALS": _FLAG, "AKSARA_COOKIE_SECURE": _FLAG,
        "AKSARA_ENABLE_STUDIO": _FLAG, "AKSARA_STUDIO_DISABLED": _FLAG,
        "AKSARA_STUDIO_EXPOSE_IN_PRODUCTION": _FLAG, "AKSARA_STUDIO_REQUIRE_AUTH": _FLAG,
        "AKSARA_STUDIO_ALLOWED_ORIGINS": origin_values, "AKSARA_MCP_ENABLED": _FLAG, "AKSARA_AI_ENABLED": _FLAG,
        "AKSARA_AI_AGENT_TOKEN": token_values, "AKSARA_MCP_REQUIRE_AUTH": _FLAG,
        "AKSARA_MCP_REQUIRE_SCOPED_TOKENS": _FLAG, "AKSARA_MCP_TOKEN_TTL_SECONDS": ttl_values,
        "AKSARA_MCP_REQUIRE_AUDIENCE": _FLAG, "AKSARA_MCP_TOKEN_AUDIENCE": audience_values,
        "AKSARA_MCP_REQUIRE_TENANT_BOUND_TOKENS": _FLAG, "AKSARA_MULTI_TENANT": _FLAG,
        "AKSARA_RLS_ENABLED": _FLAG, "AKSARA_ADMIN_RATE_LIMIT_ENABLED": _FLAG,
        "AKSARA_REQUIRE_SECURITY_MATRIX": _FLAG, "AKSARA_AI_WRITABLE_FIELDS_REVIEWED": _FLAG,
    }


ENV_VARS = tuple(_env_vars())
BOOL_FIELDS = ("debug", "cookie_secure", "enable_studio", "studio_expose_in_production", "studio_require_auth",
               "mcp_enabled", "ai_enabled", "mcp_require_scoped_tokens", "admin_rate_limit_enabled")
python_flag = st.one_of(st.booleans(), st.sampled_from([0, 1, "false", "False", "", "0", None, [], "no"]))


def _configure_values() -> dict[str, st.SearchStrategy]:
    values = {name: python_flag for name in BOOL_FIELDS}
    values["ai_agent_token"] = st.one_of(st.none(), token_values())
    values["mcp_token_audience"] = st.one_of(st.none(), audience_values())
    values["studio_allowed_origins"] = st.lists(st.sampled_from(["https://a.example", "*", " * ", "http://x:3000"]),
                                                max_size=3)
    return values


CONFIGURE_FIELDS = tuple(_configure_values())

# secure values that make a rich MCP configuration likely, so deeper conditions are reached
HARDENED_ENV = {
    "AKSARA_SECRET_KEY": "0f3c1a9be2d84c7a95e6b1d20c4f8a7e3b9d6c5a1e0f2b4d8c7a6e5f4d3c2b1a",
    "AKSARA_MCP_REQUIRE_AUTH": "true", "AKSARA_MCP_REQUIRE_SCOPED_TOKENS": "true",
    "AKSARA_MCP_TOKEN_TTL_SECONDS": "900", "AKSARA_MCP_REQUIRE_AUDIENCE": "true",
    "AKSARA_MCP_TOKEN_AUDIENCE": "api://aksara-service", "AKSARA_MCP_REQUIRE_TENANT_BOUND_TOKENS": "true",
    "AKSARA_RLS_ENABLED": "true", "AKSARA_AI_WRITABLE_FIELDS_REVIEWED": "true",
}


@st.composite
def env_mappings(draw) -> dict[str, str]:
    """An environment: a hardened base (or none) with a random subset of variables redrawn."""
    env = dict(HARDENED_ENV) if draw(st.booleans()) else {}
    strategies = _env_vars()
    for name in draw(st.lists(st.sampled_from(ENV_VARS), unique=True, max_size=12)):
        if draw(st.integers(0, 5)) == 0:
            env.pop(name, None)
        else:
            env[name] = draw(strategies[name]())
    if "AKSARA_ENABLE_STUDIO" in env:
        env["AKSARA_STUDIO_SECRET_TOKEN"] = "studio-" + "9" * 40
    return env


@st.composite
def configure_mappings(draw) -> dict:
    """Keywords for ``aksara.configure`` (often none)."""
    if draw(st.integers(0, 2)) != 0:
        return {}
    values = _configure_values()
    names = draw(st.lists(st.sampled_from(CONFIGURE_FIELDS), unique=True, min_size=1, max_size=4))
    return {name: draw(values[name]) for name in names}


def matrix_placements() -> st.SearchStrategy[tuple[str | None, str]]:
    return st.tuples(
        st.one_of(st.none(), valid_matrices().map(lambda m: m.text), matrices().map(lambda m: m.text)),
        st.sampled_from(["env_path", "cwd", "dangling"]),
    )


@st.composite
def doctor_inputs(draw) -> DoctorInput:
    """A whole deployment configuration for the doctor."""
    env = draw(env_mappings())
    text, placement = draw(matrix_placements())
    return DoctorInput(env=env, configure=draw(configure_mappings()), matrix_text=text, matrix_placement=placement)


def doctor_commands(commands: Sequence[str]) -> st.SearchStrategy[str]:
    """One of the ``aksara doctor`` commands given (the spec model names them)."""
    return st.sampled_from(commands)


def unloadable_inputs() -> st.SearchStrategy[DoctorInput]:
    """Configurations Aksara 0.7.2 refuses to load: Studio without a secret token, malformed list variables."""
    return st.one_of(
        bool_values().filter(lambda v: v.lower() in ("1", "true", "yes", "on")).map(
            lambda v: DoctorInput(env={"AKSARA_ENABLE_STUDIO": v, "AKSARA_STUDIO_EXPOSE_IN_PRODUCTION": "true"})),
        st.sampled_from(["[", "a,,b", '["ok", 3]', ","]).map(
            lambda v: DoctorInput(env={"AKSARA_MCP_ENABLED": "true", "AKSARA_MCP_ALLOWED_HOSTS": v})),
    )


# --------------------------------------------------------------------------- weakenings

def _set(env_name: str, value: str | None, field: str | None = None, py_value=None):
    def apply(inp: DoctorInput) -> DoctorInput:
        env = dict(inp.env)
        if value is None:
            env.pop(env_name, None)
        else:
            env[env_name] = value
        configure = dict(inp.configure)
        if field is not None and field in configure:
            configure[field] = py_value
        return DoctorInput(env, configure, inp.matrix_text, inp.matrix_placement)
    return apply


def _studio_exposed(inp: DoctorInput) -> DoctorInput:
    env = dict(inp.env, AKSARA_ENABLE_STUDIO="true", AKSARA_STUDIO_EXPOSE_IN_PRODUCTION="true",
               AKSARA_STUDIO_SECRET_TOKEN="studio-" + "9" * 40)
    env.pop("AKSARA_STUDIO_DISABLED", None)
    configure = dict(inp.configure)
    for name in ("enable_studio", "studio_expose_in_production"):
        if name in configure:
            configure[name] = True
    return DoctorInput(env, configure, inp.matrix_text, inp.matrix_placement)


def _ttl_raised(inp: DoctorInput) -> DoctorInput:
    """A configured TTL made longer than 3600 s (no change when no TTL is configured: that is weaker still)."""
    raw = inp.env.get("AKSARA_MCP_TOKEN_TTL_SECONDS")
    # the generator's own reading: only a plain positive number of seconds counts as configured
    current = int(raw) if raw is not None and raw.isascii() and raw.isdigit() else None
    if not current or current >= 7200:
        return inp
    return _set("AKSARA_MCP_TOKEN_TTL_SECONDS", "7200")(inp)


def _matrix_removed(inp: DoctorInput) -> DoctorInput:
    return DoctorInput(dict(inp.env), dict(inp.configure), None, inp.matrix_placement)


#: Each makes one setting less secure, per the specification's settings table.
WEAKENINGS: dict[str, Callable[[DoctorInput], DoctorInput]] = {
    "debug_on": _set("AKSARA_DEBUG", "true", "debug", True),
    "secret_removed": lambda inp: _set("SECRET_KEY", None)(_set("AKSARA_SECRET_KEY", None)(inp)),
    "cors_all_origins_on": _set("CORS_ALLOW_ALL_ORIGINS", "true"),
    "cors_credentials_on": _set("CORS_ALLOW_CREDENTIALS", "true"),
    "studio_exposed": _studio_exposed,
    "studio_auth_off": _set("AKSARA_STUDIO_REQUIRE_AUTH", "false", "studio_require_auth", False),
    "mcp_on": _set("AKSARA_MCP_ENABLED", "true", "mcp_enabled", True),
    "ai_on": _set("AKSARA_AI_ENABLED", "true", "ai_enabled", True),
    "agent_token_removed": _set("AKSARA_AI_AGENT_TOKEN", None, "ai_agent_token", None),
    "mcp_require_auth_off": _set("AKSARA_MCP_REQUIRE_AUTH", "false"),
    "scoped_tokens_off": _set("AKSARA_MCP_REQUIRE_SCOPED_TOKENS", "false", "mcp_require_scoped_tokens", False),
    "ttl_removed": _set("AKSARA_MCP_TOKEN_TTL_SECONDS", None),
    "ttl_raised": _ttl_raised,
    "audience_requirement_off": _set("AKSARA_MCP_REQUIRE_AUDIENCE", "false"),
    "audience_removed": _set("AKSARA_MCP_TOKEN_AUDIENCE", None, "mcp_token_audience", None),
    "tenant_binding_off": _set("AKSARA_MCP_REQUIRE_TENANT_BOUND_TOKENS", "false"),
    "multi_tenant_on": _set("AKSARA_MULTI_TENANT", "true"),
    "rls_off": _set("AKSARA_RLS_ENABLED", "false"),
    "cookie_insecure": _set("AKSARA_COOKIE_SECURE", "false", "cookie_secure", False),
    "rate_limit_off": _set("AKSARA_ADMIN_RATE_LIMIT_ENABLED", "false", "admin_rate_limit_enabled", False),
    "ai_review_withdrawn": _set("AKSARA_AI_WRITABLE_FIELDS_REVIEWED", None),
    "matrix_removed": _matrix_removed,
}


def weakenings() -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(WEAKENINGS))


# --------------------------------------------------------------------------- sweep

#: A complete, schema-valid security matrix: every implemented surface has a covered scenario.
COMPLETE_MATRIX = """\
version: 1
metadata: {name: sweep, description: complete matrix, owner: aksara-fuzz, status: reviewed}
surfaces:
  - {id: rest_api, name: REST API, category: rest, implemented: true, description: generated REST API}
actors:
  - {id: client, description: an external client}
risks:
  - {id: bola, severity: critical, description: broken object-level authorization}
scenarios:
  - {id: rest_bola, surface: rest_api, actor: client, risk: bola, expected: deny, status: covered, description: checked}
"""


def hardened_input(rich: bool = False) -> DoctorInput:
    """The hardened deployment: every specified setting secure, a complete matrix where Aksara looks for it.

    ``rich`` also turns MCP, AI and multi-tenancy on (securely), so the conditions that only apply to
    them can be reached by one weakening."""
    env = dict(HARDENED_ENV)
    if rich:
        env.update(AKSARA_MCP_ENABLED="true", AKSARA_AI_ENABLED="true", AKSARA_MULTI_TENANT="true",
                   AKSARA_AI_AGENT_TOKEN="agent-" + "7" * 40)
    return DoctorInput(env=env, configure={}, matrix_text=COMPLETE_MATRIX, matrix_placement="env_path")


def single_weakenings() -> list[tuple[str, DoctorInput]]:
    """The doctor sweep: each hardened deployment, then each weakening of the settings table applied to it alone."""
    cases = []
    for rich in (False, True):
        base = hardened_input(rich)
        prefix = "rich:" if rich else ""
        cases += [(f"{prefix}hardened", base)] + [(prefix + name, WEAKENINGS[name](base)) for name in sorted(WEAKENINGS)]
    return cases

"""Every hostile class the doctor strategies document is generated."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings
from hypothesis import find as _find

from fuzz.oracles.doctor_spec import env_bool, secret_weakness, ttl_seconds
from strategies.matrix import matrices
from strategies.doctor import (
    CONFIGURE_FIELDS, ENV_VARS, bool_values, doctor_inputs, secrets, ttl_values, unloadable_inputs,
)


def find(strategy, predicate):
    """``hypothesis.find`` without shrinking: reaching the class is what is tested."""
    return _find(strategy, predicate, settings=settings(phases=(Phase.generate,), max_examples=5000, database=None,
                                                     derandomize=True))


@pytest.mark.parametrize("mutation", ["valid_complete", "valid_incomplete", "missing_key", "wrong_type:version",
                                      "wrong_type:metadata", "wrong_type:section", "wrong_type:item",
                                      "wrong_type:field", "wrong_type:metadata_field", "empty_field", "dangling_reference", "duplicate_id", "bad_enum", "not_yaml",
                                      "not_mapping", "empty_document"])
def test_matrix_classes(mutation):
    find(matrices(), lambda d: d.mutation == mutation)


@pytest.mark.parametrize("predicate", [
    lambda v: v in ("TRUE", "tRuE"), lambda v: v != v.strip() and v.strip().lower() == "true", lambda v: v == "",
    lambda v: v.isspace(), lambda v: v == "enabled", lambda v: len(v) > 1000, lambda v: any(ord(c) > 0xFF for c in v),
])
def test_boolean_classes(predicate):
    find(bool_values(), predicate)


@pytest.mark.parametrize("weakness", ["blank", "short", "placeholder", "low_variety", None])
def test_secret_classes(weakness):
    find(secrets(), lambda s: secret_weakness(s) == weakness)


def test_secret_boundaries_and_padding():
    find(secrets(), lambda s: len(s) == 31)
    find(secrets(), lambda s: len(s) >= 32 and len(s.strip()) < 32)
    find(secrets(), lambda s: len(s) >= 1000)
    find(secrets(), lambda s: secret_weakness(s) == "placeholder" and len(s) >= 32)


@pytest.mark.parametrize("predicate", [
    lambda v: ttl_seconds(v) is not None and ttl_seconds(v) > 3600, lambda v: v == "3600", lambda v: v == "0",
    lambda v: v.startswith("-"), lambda v: v == "", lambda v: v == "900.0", lambda v: v == "٩٠٠",
    lambda v: len(v) > 50 and v.isdigit(), lambda v: ttl_seconds(v) is None and v.strip() != "",
])
def test_ttl_classes(predicate):
    find(ttl_values(), predicate)


def test_every_variable_reaches_the_environment_and_configure():
    wanted = set(ENV_VARS) | {"configure:" + name for name in CONFIGURE_FIELDS}
    seen: set[str] = set()

    def covered(inp):
        seen.update(inp.env)
        seen.update("configure:" + name for name in inp.configure)
        return wanted <= seen

    find(doctor_inputs(), covered)


def test_configure_wrong_types_and_audience_unset():
    find(doctor_inputs(), lambda i: isinstance(i.configure.get("debug"), str))
    find(doctor_inputs(), lambda i: env_bool(i.env.get("AKSARA_MCP_REQUIRE_AUDIENCE"), False)
         and not (i.env.get("AKSARA_MCP_TOKEN_AUDIENCE") or "").strip())
    find(doctor_inputs(), lambda i: i.matrix_placement == "dangling" and i.matrix_text is not None)


def test_env_values_are_representable():
    find(doctor_inputs(), lambda i: any("\x00" in v for v in i.env.values()) is False and len(i.env) > 8)


def test_unloadable_classes():
    find(unloadable_inputs(), lambda i: "AKSARA_ENABLE_STUDIO" in i.env)
    find(unloadable_inputs(), lambda i: "AKSARA_MCP_ALLOWED_HOSTS" in i.env)

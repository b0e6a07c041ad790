"""Every hostile class of the credential and JSON-RPC strategies is generated."""

from __future__ import annotations

import pytest

from strategies.tokens import (
    APPROVAL_MISMATCHES, TAMPER_KINDS, approval_cases, claims_cases, scope_patterns, scope_sets, tampers,
)
from strategies.jsonrpc import hostile_arguments, malformed_messages, tool_arguments, valid_arguments, is_valid
from tests.support.find import assert_all_examples, find_any

MODELS = ("ticket", "comment", "category")
EXP = ("valid", "missing", "null", "expired", "boundary_past", "boundary_now", "boundary_future", "far_future",
       "fractional", "non_numeric", "nonfinite", "negative")
IAT = ("now", "past", "missing", "boundary", "future", "far_future", "non_numeric", "nonfinite")
AUD = ("right", "wrong", "missing", "empty", "case_variant", "suffix_variant", "non_string", "list_with_right",
       "list_without", "alt_key")
TENANT = ("own", "other", "missing", "empty", "null", "unknown_uuid", "malformed", "non_string")
SCHEMA = {"type": "object", "additionalProperties": False, "required": ["pk"],
          "properties": {"pk": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                         "status": {"type": "string", "enum": ["open", "closed"]},
                         "ref": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]}}}


@pytest.mark.parametrize("kind", EXP)
def test_every_exp_class(kind):
    find_any(claims_cases(MODELS), lambda c: c.exp.kind == kind)


@pytest.mark.parametrize("kind", IAT)
def test_every_iat_class(kind):
    find_any(claims_cases(MODELS), lambda c: c.iat.kind == kind)


@pytest.mark.parametrize("kind", AUD)
def test_every_audience_class(kind):
    find_any(claims_cases(MODELS), lambda c: c.aud.kind == kind)


@pytest.mark.parametrize("kind", TENANT)
def test_every_tenant_class(kind):
    find_any(claims_cases(MODELS), lambda c: c.tenant.kind == kind)


@pytest.mark.parametrize("form", ("list", "string", "missing", "scope_key"))
def test_every_scope_form(form):
    find_any(claims_cases(MODELS), lambda c: c.scope_form == form)


def test_claims_materialize_each_class_as_described():
    missing = find_any(claims_cases(MODELS), lambda c: c.exp.kind == "missing").materialize(1_000, "svc", "A", "B")
    assert "exp" not in missing
    alt = find_any(claims_cases(MODELS), lambda c: c.aud.kind == "alt_key").materialize(1_000, "svc", "A", "B")
    assert alt["audience"] == "svc" and "aud" not in alt
    expired = find_any(claims_cases(MODELS), lambda c: c.exp.kind == "expired").materialize(1_000, "svc", "A", "B")
    assert expired["exp"] < 1_000


@pytest.mark.parametrize("position", (0, 1, 2))
def test_wildcard_in_every_position(position):
    find_any(scope_patterns(MODELS), lambda p: p.count(":") == 2 and p.split(":")[position] == "*")


@pytest.mark.parametrize("name, condition", [
    ("bare_star", lambda p: p == "*"),
    ("prefix", lambda p: p == "mcp:*"),
    ("case_variant", lambda p: p.startswith("MCP:") or (p.isupper() and p.startswith("MCP"))),
    ("plural_lookalike", lambda p: p.endswith(("tickets", "comments", "categorys"))),
    ("homoglyph", lambda p: "\u0456" in p or "\u043e" in p),
    ("partial_wildcard", lambda p: p.endswith("*") and not p.endswith(":*") and p.count(":") == 2),
    ("extra_segment", lambda p: p.endswith(":extra")),
    ("empty", lambda p: p == ""),
])
def test_scope_pattern_classes(name, condition):
    find_any(scope_patterns(MODELS), condition)


def test_scope_sets_empty_and_duplicated():
    find_any(scope_sets(MODELS), lambda s: s == ())
    find_any(scope_sets(MODELS), lambda s: len(s) == 2 and s[0] == s[1])


@pytest.mark.parametrize("kind", TAMPER_KINDS)
def test_every_tamper_kind(kind):
    find_any(tampers(), lambda t: t.kind == kind)


@pytest.mark.parametrize("part", (0, 1, 2))
def test_tampering_reaches_every_part(part):
    find_any(tampers(), lambda t: t.kind == "change_char" and t.part == part)


def test_alg_header_resigned_and_not():
    find_any(tampers(), lambda t: t.kind == "alg_header" and t.resign and t.alg == "none")
    find_any(tampers(), lambda t: t.kind == "alg_header" and not t.resign)


@pytest.mark.parametrize("mismatch", APPROVAL_MISMATCHES)
def test_every_approval_mismatch(mismatch):
    find_any(approval_cases(), lambda c: c.mismatch == mismatch)


def test_approval_tampering():
    find_any(approval_cases(), lambda c: c.tamper is not None and c.tamper.kind == "std_alphabet")


def test_valid_arguments_are_valid():
    find_any(valid_arguments(SCHEMA, ["id-1"]), lambda a: "limit" in a.arguments and "ref" in a.arguments)

    def valid_for_the_schema(args):
        return args.kind == "valid" and is_valid(SCHEMA, args.arguments)
    assert_all_examples(valid_arguments(SCHEMA, ["id-1"]), valid_for_the_schema)


@pytest.mark.parametrize("kind", ("unknown_property", "non_object", "approval_token", "wrong_type",
                                  "oversized_string", "hostile_string", "deep_nesting", "out_of_bounds",
                                  "path_segment"))
def test_every_hostile_argument_class(kind):
    find_any(hostile_arguments(SCHEMA), lambda a: a.kind == kind)


def test_tool_arguments_mix_valid_and_hostile():
    find_any(tool_arguments(SCHEMA), lambda a: a.kind == "valid")
    find_any(tool_arguments(SCHEMA), lambda a: a.kind != "valid" and not is_valid(SCHEMA, a.arguments))


@pytest.mark.parametrize("kind", ("invalid_json", "truncated", "non_object", "empty", "batch", "bad_version",
                                  "no_version", "no_method", "bad_method_type", "unknown_method", "bad_params",
                                  "bad_id", "no_name", "bad_name", "unknown_tool", "bad_arguments", "nan_literal",
                                  "oversized"))
def test_every_malformed_class(kind):
    find_any(malformed_messages(["ticket_list"]), lambda m: m.kind == kind)

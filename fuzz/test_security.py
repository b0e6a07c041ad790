"""Aksara's in-process security primitives: permission composition, principal resolution, MCP claims and scope helpers.

Properties: ``security.policy_decisions`` (PolicyEngine's can/visible_fields/writable_fields/query_filter/
validate_payload and the payload enforcement helpers, for one generated principal x action x model x resource x
context x payload per example; docs/security/field-level-permissions.md, docs/security/multi-tenancy.md),
``security.permission_algebra`` and ``security.principal_resolution`` (one generated permission
list x caller request x method x object per example), ``security.mcp_claims`` (raw claim mappings, and the
any/all scope helpers), ``security.matrix_loader`` (security_matrix.yml documents, valid or broken in one
way, at an explicit path or AKSARA_SECURITY_MATRIX_PATH). Pure and fast: no database, no HTTP. Readings: docs/api/permissions.md,
docs/security/ai-mcp-boundaries.md and the threat model's "Principal provides a central identity model" and
"MCP helpers validate scopes, audience, tenant binding, token expiration, and token metadata".
"""

from __future__ import annotations

import pytest
from hypothesis import given

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties import security as props
from strategies.security import claim_mappings, matrix_loads, permission_cases, policy_cases, required_scope_lists
from strategies.tokens import scope_sets

MODELS = ("ticket", "comment")


@judges(catalog.SECURITY_PERMISSION_ALGEBRA, catalog.SECURITY_PRINCIPAL_RESOLUTION)
@pytest.mark.aksara_features("principal", "policy_engine")
@given(case=permission_cases())
def test_permission_algebra_and_principal_resolution(case):
    judge(props.permission_case(case))


@judges(catalog.SECURITY_MCP_CLAIMS)
@pytest.mark.aksara_features("principal", "scope_check")
@given(mapping=claim_mappings(MODELS))
def test_mcp_claims(mapping):
    judge(props.claims_case(mapping))


@judges(catalog.SECURITY_MCP_CLAIMS)
@pytest.mark.aksara_features("principal", "scope_check")
@given(granted=scope_sets(MODELS), required=required_scope_lists(MODELS))
def test_scope_helpers(granted, required):
    judge(props.scope_helpers_case(granted, required))


@judges(catalog.SECURITY_MATRIX_LOADER)
@pytest.mark.aksara_features("security_matrix")
@given(load=matrix_loads())
def test_matrix_loader(load):
    doc, placement = load
    judge(props.matrix_case(doc, placement))


@judges(catalog.SECURITY_POLICY_DECISIONS)
@pytest.mark.aksara_features("principal", "policy_engine", "bulk_payload_policy")
@scaled(2)  # pure and cheap (no database, no HTTP); the principal x action x field-flag space is wide
@given(case=policy_cases())
def test_policy_decisions_and_payload_enforcement(case):
    judge(props.policy_case(case))

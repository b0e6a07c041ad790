"""The catalogue: the one place a property of the suite is declared.

Each :class:`Property` has its id (a constant of this module, used by oracles, properties, tests,
the ledger and the reports instead of a repeated string), the Threat Model's trust-boundary
``surface`` and primary ``risk`` it evidences, a one-sentence ``claim``, the dotted path of its
``oracle`` function and of its ``strategy``, and a ``replay`` slot for the replayer of its
findings. The fuzz tests that drive a property are the ones that declare it with
:func:`fuzz.judging.judges`; :func:`tests_of` reads them from the test modules.

``python -m fuzz.catalog`` prints the catalogue as a table; ``--json`` as JSON (with the tests);
``--markdown`` as the README's "What is checked" table.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

# -- the Threat Model (spec/001): trust boundaries as surfaces, primary risks by name ---------------

# surface id -> (name, category, the Threat Model's trust boundary or asset it stands for)
SURFACES: dict[str, tuple[str, str, str]] = {
    "rest_api": ("Generated REST APIs", "api", "External clients to generated REST APIs"),
    "tenant_context": ("Tenant context", "api",
                       "Request tenant context to trusted server-side tenant context"),
    "generated_schemas": ("Generated schemas", "api", "Generated schemas to runtime enforcement"),
    "mcp_tools": ("Generated MCP tools", "ai", "AI/MCP agents to generated tools"),
    "migrations": ("Generated migrations", "database", "Migration generation to database execution"),
    "background_tasks": ("Background tasks and durable workflows", "tasks",
                         "Background task payloads to trusted task context"),
    "diagnostics": ("Security diagnostics", "operations",
                    "Security diagnostics and logs (aksara doctor) against the production settings"),
    "studio_admin": ("Studio and admin consoles", "console", "Browser users to Studio/admin surfaces"),
}

# risk id -> (the Threat Model's primary risk, severity)
RISKS: dict[str, tuple[str, str]] = {
    "broken_authentication": ("Broken authentication", "critical"),
    "broken_object_level_authorization": ("Broken object-level authorization", "critical"),
    "cross_tenant_access": ("Cross-tenant access", "critical"),
    "restricted_field_read_write": ("Restricted field read/write", "high"),
    "schema_bypass": ("Schema bypass through raw payloads", "high"),
    "mcp_overbroad_credentials": ("MCP overbroad credentials", "critical"),
    "studio_admin_exposure": ("Studio/admin exposure", "high"),
    "sql_injection": ("SQL injection or unsafe identifier handling", "critical"),
    "malformed_payloads": ("Malformed or oversized payloads", "high"),
    "secret_leakage": ("Secret leakage", "high"),
    "insecure_configuration": ("Insecure production configuration", "high"),
}


@dataclass(frozen=True)
class Property:
    """One property: what it claims, where in the Threat Model it belongs, what judges and drives it."""

    id: str
    surface: str
    risk: str
    claim: str
    oracle: str
    strategy: str
    expected: str = "deny"  # the security-matrix verdict a violation would contradict
    per_principal: bool = False  # its tests are parametrized by principal: one matrix scenario each
    applies: str = ""  # when its oracle has something to judge, if not on every example
    replay: str = "fuzz.replay.replayer_for"  # replays its findings: re-runs the stored input, same oracle

    def __str__(self) -> str:
        return self.id


# -- property ids ----------------------------------------------------------------------------------

HTTP_NO_SERVER_ERROR = "http.no_server_error"
HTTP_ERROR_ENVELOPE = "http.error_envelope"
HTTP_NO_LEAK = "http.no_leak"
HTTP_SAFE_METHOD_NO_WRITE = "http.safe_method_no_write"
HTTP_HEALTH_AFTER = "http.health_after"
HTTP_RESPONDS_IN_TIME = "http.responds_in_time"
HTTP_EXCEPTION_MAPPING = "http.exception_mapping"

QUERY_FILTER_DIFFERENTIAL = "query.filter_differential"
QUERY_PARTITION = "query.partition"
QUERY_PIVOT = "query.pivot"
QUERY_ORDERING = "query.ordering"
QUERY_PAGE_WALK = "query.page_walk"
QUERY_INJECTION_TAINT = "query.injection_taint"
QUERY_HIDDEN_FIELD_SIDE_CHANNEL = "query.hidden_field_side_channel"

AI_QUERY_PLAN_DIFFERENTIAL = "ai_query.plan_differential"

WRITES_DENIED_FIELD_EXACTNESS = "writes.denied_field_exactness"
WRITES_ROUND_TRIP = "writes.round_trip"
WRITES_STATE_INTEGRITY = "writes.state_integrity"
WRITES_STORED_ROW_READABLE = "writes.stored_row_readable"
WRITES_BOUNDED_COST = "writes.bounded_cost"
WRITES_BULK_AS_SINGLE = "writes.bulk_as_single"
WRITES_RELATION_REPLACED = "writes.relation_replaced"

AUTHZ_ROUTE_REQUIRES_AUTH = "authz.route_requires_auth"
AUTHZ_CROSS_TENANT_DENIED = "authz.cross_tenant_denied"
AUTHZ_LIST_OWN_TENANT = "authz.list_own_tenant"
AUTHZ_TENANT_REQUIRED = "authz.tenant_required"
AUTHZ_ANONYMOUS_NO_WRITE = "authz.anonymous_no_write"
AUTHZ_STATE_MATCHES_MODEL = "authz.state_matches_model"
AUTHZ_DECLARED_PERMISSIONS = "authz.declared_permissions"
AUTHZ_DISCOVERY_EXACT = "authz.discovery_exact"
TENANCY_ISOLATION = "tenancy.isolation"

MCP_TOOLS_LIST_EXACT = "mcp.tools_list_exact"
MCP_TOOL_SCHEMA_VALID = "mcp.tool_schema_valid"
MCP_NO_INTERNAL_ERROR = "mcp.no_internal_error"
MCP_JSONRPC_RESPONSE = "mcp.jsonrpc_response"
MCP_DOCUMENTED_DENIAL = "mcp.documented_denial"
MCP_OUTPUT_SCHEMA = "mcp.output_schema"
MCP_ARGUMENTS_VALIDATED = "mcp.arguments_validated"
MCP_DB_CHANGE_ONLY_WHEN_ALLOWED = "mcp.db_change_only_when_allowed"
MCP_TENANT_ISOLATION = "mcp.tenant_isolation"
MCP_HIDDEN_FIELDS = "mcp.hidden_fields"
MCP_REST_PARITY = "mcp.rest_parity"
MCP_CREDENTIAL_ALGEBRA = "mcp.credential_algebra"

SERIALIZERS_ROUND_TRIP_PARITY = "serializers.round_trip_parity"
SERIALIZERS_PATCH_KEEPS_OMITTED = "serializers.patch_keeps_omitted"
SERIALIZERS_READ_ONLY_NEVER_APPLIED = "serializers.read_only_never_applied"
SERIALIZERS_VALIDATION_CONTRACT = "serializers.validation_contract"
SERIALIZERS_REPRESENTATION_CONTRACT = "serializers.representation_contract"

SOFT_DELETE_TRASH_SCOPED = "soft_delete.trash_scoped"
SOFT_DELETE_DELETE_IS_SOFT = "soft_delete.delete_is_soft"

TOKENS_AGENT_TOKEN_LIFETIME = "tokens.agent_token_lifetime"
TOKENS_VERIFY_RAISES_VALUEERROR = "tokens.verify_raises_valueerror"
TOKENS_AGENT_TOKEN_INTEGRITY = "tokens.agent_token_integrity"
TOKENS_SCOPE_ALGEBRA = "tokens.scope_algebra"
TOKENS_APPROVAL_BINDING = "tokens.approval_binding"

SECURITY_PERMISSION_ALGEBRA = "security.permission_algebra"
SECURITY_PRINCIPAL_RESOLUTION = "security.principal_resolution"
SECURITY_MCP_CLAIMS = "security.mcp_claims"
SECURITY_MATRIX_LOADER = "security.matrix_loader"
SECURITY_POLICY_DECISIONS = "security.policy_decisions"

DOCTOR_VERDICT_MATCHES_SPEC = "doctor.verdict_matches_spec"
DOCTOR_NEVER_CRASHES = "doctor.never_crashes"
DOCTOR_MONOTONE = "doctor.monotone"

ORM_READ_DIFFERENTIAL = "orm.read_differential"
ORM_WRITE_DIFFERENTIAL = "orm.write_differential"
ORM_ROUND_TRIP = "orm.round_trip"
ORM_INVALID_REFUSED = "orm.invalid_refused"
ORM_TRACE_COMPLETE = "orm.trace_complete"

TASKS_PROVENANCE = "tasks.provenance"
TASKS_EXACTLY_ONCE = "tasks.exactly_once"
TASKS_NOTHING_LOST = "tasks.nothing_lost"
TASKS_RETRY_BACKOFF = "tasks.retry_backoff"
TASKS_DURABLE_CONFLICTS = "tasks.durable_conflicts"
STUDIO_CONSOLE_REQUIRES_STAFF = "studio.console_requires_staff"
STUDIO_CROSS_ORIGIN_REFUSED = "studio.cross_origin_refused"
STUDIO_REDIRECT_ON_SITE = "studio.redirect_on_site"
STUDIO_SESSION_API_BOUNDARY = "studio.session_api_boundary"
STUDIO_NO_SECRET = "studio.no_secret"
STUDIO_MOUNTED_AS_CONFIGURED = "studio.mounted_as_configured"

LIFECYCLE_POOL_RELEASED = "lifecycle.pool_released"
LIFECYCLE_FAILS_FAST = "lifecycle.fails_fast"

WORKFLOWS_STEP_ONCE = "workflows.step_once"

MIDDLEWARE_RESPONSE_HEADERS_WELL_FORMED = "middleware.response_headers_well_formed"
MIDDLEWARE_CONTEXT_NOT_AUTHORITY = "middleware.context_not_authority"
MIDDLEWARE_LOG_CONTEXT_TRUSTED = "middleware.log_context_trusted"

STREAMS_OWN_EVENTS = "streams.own_events"
STREAMS_POOL_NOT_EXHAUSTED = "streams.pool_not_exhausted"
STREAMS_SLOW_CONSUMER_ISOLATED = "streams.slow_consumer_isolated"

MIGRATIONS_GENERATION_VALID = "migrations.generation_valid"
MIGRATIONS_APPLY_SUCCEEDS = "migrations.apply_succeeds"
MIGRATIONS_CATALOG_MATCHES = "migrations.catalog_matches"
MIGRATIONS_IDEMPOTENT = "migrations.idempotent"
MIGRATIONS_REVERSE_RESTORES = "migrations.reverse_restores"
MIGRATIONS_QUOTING_HOLDS = "migrations.quoting_holds"
MIGRATIONS_GUARDRAIL_BLOCKS = "migrations.guardrail_blocks"
MIGRATIONS_HANDWRITTEN_ROUND_TRIP = "migrations.handwritten_round_trip"
MIGRATIONS_EXECUTOR_CONVERGES = "migrations.executor_converges"
MIGRATIONS_GRAPH_ORDERS = "migrations.graph_orders"

# Schemathesis' own checks, each reported as ``openapi.<check>`` by fuzz/oracles/openapi.py
SCHEMATHESIS_CHECKS: dict[str, tuple[str, str]] = {  # name -> (risk, what it checks)
    "not_a_server_error": ("malformed_payloads", "no case makes the app answer 5xx"),
    "status_code_conformance": ("schema_bypass", "every status the app answers is documented"),
    "content_type_conformance": ("schema_bypass", "every response has a documented content type"),
    "response_headers_conformance": ("schema_bypass", "every response carries its documented headers"),
    "response_schema_conformance": ("schema_bypass", "every response body matches its documented schema"),
    "negative_data_rejection": ("schema_bypass", "input the schema forbids is rejected"),
    "positive_data_acceptance": ("schema_bypass", "input the schema allows is accepted"),
    "missing_required_header": ("schema_bypass", "a request without a required header is rejected"),
    "unsupported_method": ("schema_bypass", "an undocumented method on a documented path is refused"),
    "allow_header_conformance": ("schema_bypass", "a 405 lists the path's methods in Allow"),
    "use_after_free": ("broken_object_level_authorization", "a deleted resource is gone for every later call"),
    "ensure_resource_availability": ("broken_object_level_authorization",
                                     "a created resource is available to the calls that follow"),
    "ignored_auth": ("broken_authentication", "an operation that declares authentication enforces it"),
    "object_level_authorization": ("broken_object_level_authorization",
                                   "one caller's resource is not served to another"),
}
OPENAPI_CHECKS = {name: f"openapi.{name}" for name in SCHEMATHESIS_CHECKS}
# when a Schemathesis check has something to judge in the cases fuzz/properties/openapi.py sends
SCHEMATHESIS_APPLIES = {
    "negative_data_rejection": "a negative (schema-violating) case",
    "positive_data_acceptance": "a positive (schema-conforming) case",
    "allow_header_conformance": "a 405 response",
    "use_after_free": "a stateful step", "ensure_resource_availability": "a stateful step",
    "object_level_authorization": "a stateful step",
    "missing_required_header": "an operation with a required header (Aksara's OpenAPI declares none)",
    "unsupported_method": "a case sent with a method the path does not document (not sent by this runner)",
    "ignored_auth": "an operation that declares a security scheme (Aksara's OpenAPI declares none)",
}

_HTTP = "fuzz.oracles.http"
_HOSTILE = "strategies.http.hostile_requests"
_QUERY = "fuzz.oracles.queries"
_WRITES = "fuzz.oracles.writes"
_WRITE_CASES = "strategies.writes.write_cases"
_AUTHZ = "fuzz.oracles.authz"
_SER = "fuzz.oracles.serializers"
_SOFT = "fuzz.oracles.soft_delete"
_MACHINE = "fuzz.properties.authz.TenantMachine"
_MCP = "fuzz.oracles.mcp"
_TOKENS = "fuzz.oracles.tokens"
_CREDS = "strategies.tokens"
_DOCTOR = "fuzz.oracles.doctor"
_MIG = "fuzz.oracles.migrations"
_TASKS = "fuzz.oracles.tasks"
_TASKS_MACHINE = "fuzz.properties.tasks.TasksMachine"
_STUDIO = "fuzz.oracles.studio"
_STUDIO_PROPS = "fuzz.properties.studio"
_STREAMS = "fuzz.oracles.streams"
_ORM = "fuzz.oracles.orm"
_ORM_PROGRAMS = "strategies.orm.programs"
_ORM_REPLAY = "fuzz.properties.orm.replayer"
_MIDDLEWARE = "fuzz.oracles.middleware"
_LIFECYCLE = "fuzz.oracles.lifecycle"
_WORKFLOWS = "fuzz.oracles.workflows"


def _p(pid: str, surface: str, risk: str, claim: str, oracle: str, strategy: str, **kw: Any) -> Property:
    return Property(pid, surface, risk, claim, oracle, strategy, **kw)


PROPERTIES: dict[str, Property] = {p.id: p for p in [
    _p(HTTP_NO_SERVER_ERROR, "rest_api", "malformed_payloads",
       "No request, however hostile, makes the app answer 5xx or raise.",
       f"{_HTTP}.check_no_server_error", _HOSTILE),
    _p(HTTP_ERROR_ENVELOPE, "rest_api", "malformed_payloads",
       "Every REST error response is Aksara's JSON error envelope with the response's own status.",
       f"{_HTTP}.check_error_envelope", _HOSTILE),
    _p(HTTP_NO_LEAK, "rest_api", "secret_leakage",
       "No response or log record contains a secret, no log record the caller's credential, and no error "
       "response SQL, a traceback, a source path or a driver name.",
       f"{_HTTP}.check_no_leak", _HOSTILE),
    _p(HTTP_SAFE_METHOD_NO_WRITE, "rest_api", "malformed_payloads",
       "A GET, HEAD or OPTIONS request changes no table.",
       f"{_HTTP}.check_safe_method_no_write", _HOSTILE),
    _p(HTTP_HEALTH_AFTER, "rest_api", "malformed_payloads",
       "After any request the app still answers its health route with 200.",
       f"{_HTTP}.check_health_after", _HOSTILE),
    _p(HTTP_RESPONDS_IN_TIME, "rest_api", "malformed_payloads",
       "Every request gets a complete response within the time bound; only a declared stream may run on.",
       f"{_HTTP}.check_responds_in_time", _HOSTILE),

    _p(HTTP_EXCEPTION_MAPPING, "rest_api", "malformed_payloads",
       "An ORM exception, Aksara's ValidationError or an HTTPException raised in a route answers the status and "
       "JSON fields Aksara's exception reference gives it.",
       f"{_HTTP}.check_exception_mapping", "strategies.http.raised_cases"),
    _p(QUERY_FILTER_DIFFERENTIAL, "rest_api", "sql_injection",
       "A list filtered by valid filters (and search) returns exactly the rows an independent model selects.",
       f"{_QUERY}.check_filter_differential", "strategies.queries.principal_filters"),
    _p(QUERY_PARTITION, "rest_api", "sql_injection",
       "field__gt=v, field__lte=v and field__isnull=true partition the unfiltered list.",
       f"{_QUERY}.check_partition", "strategies.queries.partition_values"),
    _p(QUERY_PIVOT, "rest_api", "sql_injection",
       "A row matches every filter built from its own values.",
       f"{_QUERY}.check_pivot", "strategies.queries.pivot_rows"),
    _p(QUERY_ORDERING, "rest_api", "sql_injection",
       "An allowed ordering sorts the list by the requested keys, as the database collation does; a term outside "
       "the ordering allowlist orders nothing.",
       f"{_QUERY}.check_ordering", "strategies.queries.principal_orderings"),
    _p(QUERY_PAGE_WALK, "rest_api", "malformed_payloads",
       "Walking every page of a paginator returns every visible row exactly once, in order.",
       f"{_QUERY}.check_page_walk", "strategies.queries.page_walks"),
    _p(QUERY_INJECTION_TAINT, "rest_api", "sql_injection",
       "No client-supplied filter, ordering or search value reaches SQL statement text.",
       f"{_QUERY}.check_injection_taint", "strategies.queries.tainted_queries"),
    _p(QUERY_HIDDEN_FIELD_SIDE_CHANNEL, "rest_api", "restricted_field_read_write",
       "Filters and orderings on a field hidden from a principal do not reveal its values.",
       f"{_QUERY}.check_side_channel", "strategies.queries.side_channel_values",
       applies="a principal from whom the resource hides a field, and a successful baseline list"),
    _p(AI_QUERY_PLAN_DIFFERENTIAL, "rest_api", "sql_injection",
       "An AI query plan asking what a valid list query asks answers exactly that query's rows, window, order, "
       "fields and values.",
       "fuzz.oracles.ai_query.check_plan_differential", "strategies.ai_query.plan_queries",
       applies="a plan the executor answered 200 (a refusal is itself a finding)"),

    _p(WRITES_DENIED_FIELD_EXACTNESS, "rest_api", "restricted_field_read_write",
       "A write of fields the principal may not write is refused with 403 naming exactly those fields.",
       f"{_WRITES}.check_denied_fields", _WRITE_CASES),
    _p(WRITES_ROUND_TRIP, "rest_api", "schema_bypass",
       "What an accepted write returns, stores and later reads equals what was sent, after normalisation.",
       f"{_WRITES}.check_round_trip", _WRITE_CASES),
    _p(WRITES_STATE_INTEGRITY, "rest_api", "malformed_payloads",
       "A refused or failed write leaves every table exactly as it was.",
       f"{_WRITES}.check_state_integrity", _WRITE_CASES),
    _p(WRITES_STORED_ROW_READABLE, "rest_api", "malformed_payloads",
       "A stored row never makes later list or detail reads fail.",
       f"{_WRITES}.check_readable_after_write", _WRITE_CASES),
    _p(WRITES_BOUNDED_COST, "rest_api", "malformed_payloads",
       "Oversized and deep bodies are rejected with 400/413/422 within the time and memory bounds.",
       f"{_WRITES}.check_bounded_cost", "strategies.writes.oversized_cases"),
    _p(WRITES_BULK_AS_SINGLE, "rest_api", "restricted_field_read_write",
       "A bulk create applies field policy to every item as a single create does, names every item's denied "
       "fields, and stores all of its items or none.",
       f"{_WRITES}.check_bulk_as_single", "strategies.writes.bulk_cases",
       applies="a resource whose target declares a bulk create route"),
    _p(WRITES_RELATION_REPLACED, "rest_api", "schema_bypass",
       "An accepted many-to-many replacement stores exactly the related rows sent; a refused one changes nothing.",
       f"{_WRITES}.check_relation_replaced", "strategies.writes.relation_bodies",
       applies="a resource whose target declares a relation write route"),

    _p(SERIALIZERS_ROUND_TRIP_PARITY, "rest_api", "schema_bypass",
       "A create accepted both through a create serializer and through a viewset of the same model without one "
       "stores the same row.",
       f"{_SER}.check_round_trip_parity", "strategies.serializers.parity_cases",
       applies="a resource with a create serializer whose model another viewset serves without one"),
    _p(SERIALIZERS_PATCH_KEEPS_OMITTED, "rest_api", "schema_bypass",
       "A PATCH through an update serializer changes only the fields it sent; every omitted field keeps its value.",
       f"{_SER}.check_patch_keeps_omitted", "strategies.serializers.patch_cases",
       applies="a resource with an update serializer, and an accepted PATCH"),
    _p(SERIALIZERS_READ_ONLY_NEVER_APPLIED, "rest_api", "restricted_field_read_write",
       "A value sent for a serializer read_only field is refused: never stored, and not silently dropped from an "
       "accepted write (Aksara documents the dropping: a known documented behaviour).",
       f"{_SER}.check_read_only_never_applied", "strategies.serializers.read_only_cases",
       applies="a resource whose serializers declare read_only_fields clients could otherwise write"),
    _p(SERIALIZERS_VALIDATION_CONTRACT, "rest_api", "restricted_field_read_write",
       "A serializer's is_valid() answers a bool consistent with errors, validated_data and raise_exception, alone "
       "and with many=True, and a value sent for a key its input model omits never reaches validated_data.",
       f"{_SER}.check_validation_contract", "strategies.serializers.direct_cases",
       applies="every ModelSerializer the app declares for a resource's model"),
    _p(SERIALIZERS_REPRESENTATION_CONTRACT, "rest_api", "schema_bypass",
       "A serializer's .data of a stored row carries exactly the fields its Meta selects, and to_representation(), "
       "serialize_instance(), many=True and serialize_many() agree with it.",
       f"{_SER}.check_representation_contract", "strategies.serializers.direct_cases",
       applies="every ModelSerializer the app declares for a resource's model, and a stored row of it"),
    _p(SOFT_DELETE_TRASH_SCOPED, "tenant_context", "cross_tenant_access",
       "A trash listing shows exactly the caller's soft-deleted rows: no active row, no row of another tenant, "
       "whatever its query.",
       f"{_SOFT}.check_trash_scoped", "strategies.soft_delete.trash_cases",
       applies="a soft-delete resource with a trash listing, and a successful listing"),
    _p(SOFT_DELETE_DELETE_IS_SOFT, "rest_api", "broken_object_level_authorization",
       "An accepted DELETE of a soft-delete row keeps the row with deleted_at set, hides it from the detail route, "
       "and shows it in its own tenant's trash only; a refused one changes nothing.",
       f"{_SOFT}.check_delete_is_soft", "strategies.soft_delete.trash_cases",
       applies="a soft-delete resource, and a DELETE of a row"),

    _p(AUTHZ_ROUTE_REQUIRES_AUTH, "rest_api", "broken_authentication",
       "Every non-public route (admin and Studio included) turns away a caller without rights before anything else.",
       f"{_AUTHZ}.check_route_requires_auth", "targets.routes.inventory"),
    _p(AUTHZ_CROSS_TENANT_DENIED, "tenant_context", "cross_tenant_access",
       "Another tenant's row is denied like a missing row, and nothing changes.",
       f"{_AUTHZ}.check_cross_tenant_denied", _MACHINE),
    _p(AUTHZ_LIST_OWN_TENANT, "tenant_context", "cross_tenant_access",
       "A list returns only the caller's tenant's rows, whatever tenant hint it sends.",
       f"{_AUTHZ}.check_list_own_tenant", _MACHINE,
       applies="a successful list of a tenant-scoped resource by a principal of a tenant"),
    _p(AUTHZ_TENANT_REQUIRED, "tenant_context", "cross_tenant_access",
       "A principal without a tenant gets no tenant's rows and creates nothing on a tenant-scoped resource.",
       f"{_AUTHZ}.check_tenant_required", _MACHINE),
    _p(AUTHZ_ANONYMOUS_NO_WRITE, "rest_api", "broken_authentication",
       "Anonymous callers never create, update or delete.",
       f"{_AUTHZ}.check_anonymous_no_write", _MACHINE),
    _p(AUTHZ_STATE_MATCHES_MODEL, "rest_api", "broken_object_level_authorization",
       "The database holds exactly the rows the model of allowed operations says, each in its creator's tenant.",
       f"{_AUTHZ}.check_state_matches_model", _MACHINE),
    _p(AUTHZ_DECLARED_PERMISSIONS, "rest_api", "broken_object_level_authorization",
       "Every principal on every viewset route and method is refused or admitted as its declared permission classes say.",
       "fuzz.oracles.permissions.check_declared_permission", "targets.routes.inventory",
       applies="a route with declared permission classes whose verdict the model knows (or an application class "
               "to hold consistent), answered other than 404/405"),
    _p(AUTHZ_DISCOVERY_EXACT, "rest_api", "insecure_configuration",
       "Every registration helper of the routing guide finds exactly the viewsets a module holds (imported ones "
       "included, the base excluded, none for a missing module) and the app serves exactly their routes.",
       f"{_AUTHZ}.check_discovery_exact", "targets.routes.REGISTRATION_FORMS"),
    _p(TENANCY_ISOLATION, "tenant_context", "cross_tenant_access",
       "No response to a tenant principal contains another tenant's data.",
       "fuzz.oracles.openapi.check_tenant_isolation", "strategies.openapi.cases",
       per_principal=True, applies="a successful response to a principal other than the trusted system principal"),

    _p(MCP_TOOLS_LIST_EXACT, "mcp_tools", "mcp_overbroad_credentials",
       "tools/list shows a principal exactly the tools its scopes grant.",
       f"{_MCP}.check_tools_list", f"{_CREDS}.scope_sets"),
    _p(MCP_TOOL_SCHEMA_VALID, "mcp_tools", "schema_bypass",
       "Every listed tool's input and output schemas are valid JSON Schema that hide no restricted field.",
       f"{_MCP}.check_tool_schemas", f"{_CREDS}.scope_sets"),
    _p(MCP_NO_INTERNAL_ERROR, "mcp_tools", "malformed_payloads",
       "No tool call or JSON-RPC message makes the MCP endpoint fail internally.",
       f"{_MCP}.check_no_internal_error", "strategies.jsonrpc.tool_arguments"),
    _p(MCP_JSONRPC_RESPONSE, "mcp_tools", "malformed_payloads",
       "Every MCP answer is a well-formed JSON-RPC response to the request.",
       f"{_MCP}.check_jsonrpc_response", "strategies.jsonrpc.malformed_messages"),
    _p(MCP_DOCUMENTED_DENIAL, "mcp_tools", "broken_authentication",
       "A refused tool call is the documented structured tool error.",
       f"{_MCP}.check_documented_denial", "strategies.jsonrpc.tool_arguments"),
    _p(MCP_OUTPUT_SCHEMA, "mcp_tools", "schema_bypass",
       "A successful tool result matches the tool's outputSchema.",
       f"{_MCP}.check_output_schema", "strategies.jsonrpc.tool_arguments",
       applies="a successful call of a tool that publishes an outputSchema"),
    _p(MCP_ARGUMENTS_VALIDATED, "mcp_tools", "schema_bypass",
       "A tool never executes arguments outside its inputSchema.",
       f"{_MCP}.check_arguments_validated", "strategies.jsonrpc.tool_arguments"),
    _p(MCP_DB_CHANGE_ONLY_WHEN_ALLOWED, "mcp_tools", "broken_object_level_authorization",
       "A tool call changes the database only when it is an allowed, successful write.",
       f"{_MCP}.check_db_effect", "strategies.jsonrpc.tool_arguments"),
    _p(MCP_TENANT_ISOLATION, "mcp_tools", "cross_tenant_access",
       "A tool result never contains rows of another tenant.",
       f"{_MCP}.check_tenant_isolation", "strategies.jsonrpc.tool_arguments",
       applies="a successful tool call by a tenant-bound agent"),
    _p(MCP_HIDDEN_FIELDS, "mcp_tools", "restricted_field_read_write",
       "A tool result never shows an ai_sensitive field.",
       f"{_MCP}.check_hidden_fields", "strategies.jsonrpc.tool_arguments"),
    _p(MCP_REST_PARITY, "mcp_tools", "broken_object_level_authorization",
       "A tool call and the REST route it stands for make the same decision and return the same data.",
       f"{_MCP}.check_parity", "strategies.jsonrpc.valid_arguments"),
    _p(MCP_CREDENTIAL_ALGEBRA, "mcp_tools", "mcp_overbroad_credentials",
       "The live MCP endpoint accepts exactly the credentials whose expiry, scope, audience and tenant allow the call.",
       f"{_MCP}.check_credential_decision", f"{_CREDS}.claims_cases"),

    _p(TOKENS_AGENT_TOKEN_LIFETIME, "mcp_tools", "mcp_overbroad_credentials",
       "verify_agent_token accepts a token exactly while it is unexpired and well-formed.",
       f"{_TOKENS}.check_lifetime", f"{_CREDS}.claims_cases"),
    _p(TOKENS_VERIFY_RAISES_VALUEERROR, "mcp_tools", "broken_authentication",
       "verify_agent_token refuses a bad token with ValueError, never another exception.",
       f"{_TOKENS}.check_verify_error_type", f"{_CREDS}.claims_cases"),
    _p(TOKENS_AGENT_TOKEN_INTEGRITY, "mcp_tools", "broken_authentication",
       "Any change to a signed agent token's bytes makes it invalid.",
       f"{_TOKENS}.check_tamper", f"{_CREDS}.tampers"),
    _p(TOKENS_SCOPE_ALGEBRA, "mcp_tools", "mcp_overbroad_credentials",
       "Aksara's scope checks grant exactly what the reference scope algebra grants.",
       f"{_TOKENS}.check_scope_decisions", f"{_CREDS}.scope_sets"),
    _p(TOKENS_APPROVAL_BINDING, "mcp_tools", "mcp_overbroad_credentials",
       "An approval grant authorizes only the exact call it was issued for, once.",
       f"{_TOKENS}.check_approval", f"{_CREDS}.approval_cases"),

    _p(SECURITY_PERMISSION_ALGEBRA, "rest_api", "broken_object_level_authorization",
       "Every Aksara entry point that evaluates permission classes (view and object phase, AND/OR composition, "
       "ai_allow, check_permissions and the PolicyDecision adapters) decides as the documented permission model does.",
       "fuzz.oracles.security.check_permission_algebra", "strategies.security.permission_cases"),
    _p(SECURITY_PRINCIPAL_RESOLUTION, "tenant_context", "cross_tenant_access",
       "A request's principal is the identity and tenant its trusted server-side state names, in the documented "
       "order, never a client header's tenant.",
       "fuzz.oracles.security.check_principal_resolution", "strategies.security.permission_cases"),
    _p(SECURITY_MCP_CLAIMS, "mcp_tools", "mcp_overbroad_credentials",
       "MCP claims objects grant no scope or role beyond the claims, bind the claimed tenant and audience, treat an "
       "unusable exp as expired, and the require_* scope helpers compose the scope check as any/all.",
       "fuzz.oracles.security.check_mcp_claims", "strategies.security.claim_mappings"),
    _p(SECURITY_MATRIX_LOADER, "diagnostics", "insecure_configuration",
       "load_security_matrix loads a valid security matrix exactly as written and refuses an invalid or missing one "
       "with its documented exception.",
       "fuzz.oracles.security.check_matrix_load", "strategies.security.matrix_loads", expected="block"),
    _p(SECURITY_POLICY_DECISIONS, "tenant_context", "cross_tenant_access",
       "PolicyEngine (can, visible_fields, writable_fields, query_filter, validate_payload) and the payload "
       "enforcement helpers (single, request-level, bulk, upsert) decide as the documented policy model does: "
       "expired, scope, audience, tenant-required and cross-tenant denials; hidden and non-writable fields by flag "
       "and principal; the principal's tenant filter; a refused payload names its denied fields.",
       "fuzz.oracles.security.check_policy_decisions", "strategies.security.policy_cases"),

    _p(DOCTOR_VERDICT_MATCHES_SPEC, "diagnostics", "insecure_configuration",
       "aksara doctor's verdict on a configuration is the Production Hardening specification's verdict.",
       f"{_DOCTOR}.check_verdict_matches_spec", "strategies.doctor.doctor_inputs", expected="block"),
    _p(DOCTOR_NEVER_CRASHES, "diagnostics", "insecure_configuration",
       "aksara doctor diagnoses every configuration, loadable or not, without crashing.",
       f"{_DOCTOR}.check_never_crashes", "strategies.doctor.unloadable_inputs", expected="block"),
    _p(DOCTOR_MONOTONE, "diagnostics", "insecure_configuration",
       "Weakening a configuration never turns a failing doctor verdict into a passing one.",
       f"{_DOCTOR}.check_monotone", "strategies.doctor.weakenings", expected="block"),

    # The ORM is where every generated REST filter and write ends: its properties stand under the REST boundary.
    _p(ORM_READ_DIFFERENTIAL, "rest_api", "sql_injection",
       "Every ORM read (every lookup a field supports, Q combined with AND, OR and NOT, F comparisons, ForeignKey "
       "filters, ordering with NULLs, limit/offset, count, exists, first, get, get_or_none, fetch_with_count, "
       "aggregates and annotations over columns and one relation hop, select_related, prefetch_related, reverse "
       "ForeignKey, many-to-many and OneToOne managers) answers what a three-valued Python model of the rows computes; "
       "an exception the model does not name is a crash, known by its crash state.",
       f"{_ORM}.check_read", _ORM_PROGRAMS, replay=_ORM_REPLAY),
    _p(ORM_WRITE_DIFFERENTIAL, "rest_api", "malformed_payloads",
       "ORM writes (create, bulk_create, bulk_update, save, get_or_create, upsert, filtered update with F, filtered "
       "and instance delete, a rolled-back transaction.atomic() block, many-to-many add/remove/set/clear, OneToOne "
       "rows) leave exactly the rows a Python model computes, answer its counts and send the documented signals; an "
       "exception the model does not name is a crash, known by its crash state.",
       f"{_ORM}.check_table", _ORM_PROGRAMS, replay=_ORM_REPLAY),
    _p(ORM_ROUND_TRIP, "rest_api", "schema_bypass",
       "A value the ORM accepts for a field is stored and read back as the field holds it, for every field class.",
       f"{_ORM}.check_row_values", _ORM_PROGRAMS, replay=_ORM_REPLAY),
    _p(ORM_INVALID_REFUSED, "rest_api", "malformed_payloads",
       "A value a field cannot store is refused with Aksara's ValidationError and writes nothing, never a "
       "database or other error.",
       f"{_ORM}.check_refusal", "strategies.orm.hostile_cases", replay=_ORM_REPLAY),
    _p(ORM_TRACE_COMPLETE, "rest_api", "malformed_payloads",
       "A query trace session (db_trace_enabled) records every call the ORM makes through Aksara's Database, the "
       "same calls in the same order as query capture, and is stored under its request id.",
       f"{_ORM}.check_trace", _ORM_PROGRAMS, replay=_ORM_REPLAY),

    # Reliability is no primary risk of the Threat Model: an effect run twice, lost, or run after its
    # cancellation is an action nobody authorized, so those properties stand under object-level authorization.
    _p(TASKS_PROVENANCE, "background_tasks", "cross_tenant_access",
       "A task or durable operation runs under the tenant and principal of the request that enqueued it, never "
       "those its payload claims; a durable worker or an outbox exporter given a tenant claims or exports only that "
       "tenant's operations and transitions.",
       f"{_TASKS}.check_provenance", "strategies.tasks.hostile_claims"),
    _p(TASKS_EXACTLY_ONCE, "background_tasks", "broken_object_level_authorization",
       "Several workers on one database run each effect once: a succeeded operation of any effect class has "
       "exactly one effect (after a lost answer an idempotent send is repeated with its key, an at-least-once one "
       "reconciled first, a nonretryable one never sent again), a task one per claim and a repeat only after a "
       "crash or an expired lease, completed by its last claim.",
       f"{_TASKS}.check_exactly_once", _TASKS_MACHINE),
    _p(TASKS_NOTHING_LOST, "background_tasks", "broken_object_level_authorization",
       "Killed, stalled and failing workers and exporters lose nothing: once drained, every task and operation is "
       "terminal with the outcome its faults, cancellations and approvals allow (a lost external answer nothing "
       "can recover fails as external_outcome_unknown, never as another reason), and every outbox transition is "
       "exported and was accepted by the sink.",
       f"{_TASKS}.check_nothing_lost", _TASKS_MACHINE),
    _p(TASKS_RETRY_BACKOFF, "background_tasks", "broken_object_level_authorization",
       "A failed task is retried after exactly its exponential backoff delay, never earlier.",
       f"{_TASKS}.check_backoff", _TASKS_MACHINE, applies="a planned task failure with attempts left"),
    _p(TASKS_DURABLE_CONFLICTS, "background_tasks", "broken_object_level_authorization",
       "Durable dispatch, cancellation and approval answer as documented: one operation per idempotency key, 409 on "
       "a changed replay or a decided or terminal operation, 404 across tenants, 403 for a non-approver.",
       f"{_TASKS}.check_decision", _TASKS_MACHINE),
    _p(STUDIO_CONSOLE_REQUIRES_STAFF, "studio_admin", "studio_admin_exposure",
       "Every admin route admits only staff, every Studio route only a staff session or Studio's own token; "
       "every other caller (API tokens included on Studio) is refused before anything else, whatever value a path "
       "parameter carries.",
       f"{_STUDIO}.check_console_access", f"{_STUDIO_PROPS}.console_routes"),
    _p(STUDIO_CROSS_ORIGIN_REFUSED, "studio_admin", "studio_admin_exposure",
       "A state-changing console request from a browser session with a foreign Origin or Referer, or without "
       "the admin's CSRF token, is refused and changes nothing.",
       f"{_STUDIO}.check_cross_origin_refused", f"{_STUDIO_PROPS}.cross_origin_sweep",
       applies="a state-changing console route whose same-origin request with its token gets past the gate"),
    _p(STUDIO_REDIRECT_ON_SITE, "studio_admin", "studio_admin_exposure",
       "No console response redirects to another site, whatever next/redirect value the request carries.",
       f"{_STUDIO}.check_redirect_on_site", "strategies.studio.redirect_targets"),
    _p(STUDIO_SESSION_API_BOUNDARY, "studio_admin", "broken_authentication",
       "A console session cookie alone opens no REST API route that refuses an anonymous caller.",
       f"{_STUDIO}.check_session_api_boundary", f"{_STUDIO_PROPS}.session_api_sweep",
       applies="a target with console session principals, on an API route that refuses anonymous callers"),
    _p(STUDIO_NO_SECRET, "studio_admin", "secret_leakage",
       "No console response, to any caller, contains a configured secret or a secret-bearing setting's value, "
       "and no Studio response a stored value of an ai_sensitive field.",
       f"{_STUDIO}.check_no_secret", f"{_STUDIO_PROPS}.console_routes"),
    _p(STUDIO_MOUNTED_AS_CONFIGURED, "studio_admin", "studio_admin_exposure",
       "An app serves Studio only when enable_studio is set and, outside debug, studio_expose_in_production too; "
       "the admin only with enable_admin=True or, unset, in debug with auth available; MCP only with mcp_enabled.",
       f"{_STUDIO}.check_mounted_as_configured", "strategies.studio.mount_cases"),

    _p(LIFECYCLE_POOL_RELEASED, "rest_api", "malformed_payloads",
       "Once an app's lifespan ends, normally or because start-up or its own lifespan failed, none of its "
       "connections is left open; while it runs its pool stays within max_pool_size and serves every concurrent "
       "request.",
       f"{_LIFECYCLE}.check_pool_released", "strategies.lifecycle.lifecycle_cases",
       applies="an app whose database is reachable"),
    _p(LIFECYCLE_FAILS_FAST, "rest_api", "insecure_configuration",
       "An app whose database refuses connections does not start: its start-up raises.",
       f"{_LIFECYCLE}.check_fails_fast", "strategies.lifecycle.lifecycle_cases",
       applies="an app whose database refuses connections"),
    _p(WORKFLOWS_STEP_ONCE, "background_tasks", "broken_object_level_authorization",
       "A DurableStep that completed never runs its body again unless forced and returns its stored result; "
       "concurrent callers of a succeeding step run it once; a failed step runs again; the state table holds what "
       "the calls left.",
       f"{_WORKFLOWS}.check_step_once", "strategies.workflows.step_programs"),

    _p(MIDDLEWARE_RESPONSE_HEADERS_WELL_FORMED, "rest_api", "malformed_payloads",
       "Whatever request id, tenant, locale or timezone header a request carries, every response header has a "
       "token name and a value without CR, LF, NUL or another control character.",
       f"{_MIDDLEWARE}.check_response_headers_well_formed", "strategies.middleware.context_requests",
       applies="a target that mounts Aksara request-context middleware"),
    _p(MIDDLEWARE_CONTEXT_NOT_AUTHORITY, "tenant_context", "cross_tenant_access",
       "Request-context headers change neither the caller nor its rows: the request is refused, or gets the "
       "status and rows it gets without them.",
       f"{_MIDDLEWARE}.check_context_not_authority", "strategies.middleware.context_requests",
       applies="a target that mounts Aksara request-context middleware, on a request answered below 500"),
    _p(MIDDLEWARE_LOG_CONTEXT_TRUSTED, "tenant_context", "cross_tenant_access",
       "The request log record names the caller's trusted tenant, never one a request header selected.",
       f"{_MIDDLEWARE}.check_log_context_trusted", "strategies.middleware.context_requests",
       applies="a target whose Aksara logging middleware writes a request record"),

    _p(STREAMS_OWN_EVENTS, "tenant_context", "cross_tenant_access",
       "A stream subscriber receives only its own tenant's events, and only if it may read the list.",
       f"{_STREAMS}.check_own_events", "fuzz.properties.streams.own_events_case"),
    _p(STREAMS_POOL_NOT_EXHAUSTED, "rest_api", "malformed_payloads",
       "While as many stream subscribers as the connection pool holds (and one more) listen, ordinary "
       "requests are still answered in time.",
       f"{_STREAMS}.check_pool_not_exhausted", "fuzz.properties.streams.pool_case"),
    _p(STREAMS_SLOW_CONSUMER_ISOLATED, "rest_api", "malformed_payloads",
       "Subscribers that stop reading do not delay the events of an attentive subscriber.",
       f"{_STREAMS}.check_slow_consumer_isolated", "fuzz.properties.streams.slow_consumer_case",
       applies="a subscriber that receives its tenant's events when nobody stalls"),

    _p(MIGRATIONS_GENERATION_VALID, "migrations", "sql_injection",
       "Generation rejects hostile models cleanly or yields loadable migration source and parseable DDL.",
       f"{_MIG}.check_source", "strategies.models.schema_histories"),
    _p(MIGRATIONS_APPLY_SUCCEEDS, "migrations", "sql_injection",
       "The generated DDL of accepted models applies to PostgreSQL.",
       f"{_MIG}.check_apply", "strategies.models.schema_histories"),
    _p(MIGRATIONS_CATALOG_MATCHES, "migrations", "sql_injection",
       "After applying, the database catalog holds exactly what the models declare.",
       f"{_MIG}.check_catalog", "strategies.models.schema_histories"),
    _p(MIGRATIONS_IDEMPOTENT, "migrations", "sql_injection",
       "Detecting changes again after applying finds nothing to do.",
       f"{_MIG}.check_idempotent", "strategies.models.schema_histories"),
    _p(MIGRATIONS_REVERSE_RESTORES, "migrations", "sql_injection",
       "Reversing the operations restores the previous catalog.",
       f"{_MIG}.check_reverse", "strategies.models.schema_histories"),
    _p(MIGRATIONS_QUOTING_HOLDS, "migrations", "sql_injection",
       "No identifier or default escapes its quoting (the canary table survives).",
       f"{_MIG}.check_canary", "strategies.identifiers.CANARY_TABLE"),
    _p(MIGRATIONS_GUARDRAIL_BLOCKS, "migrations", "sql_injection",
       "RunSQL blocks every whitespace, comment, case or quoting spelling of the statements it claims to block.",
       f"{_MIG}.check_guardrail", "strategies.raw_sql.dangerous_statements"),
    _p(MIGRATIONS_HANDWRITTEN_ROUND_TRIP, "migrations", "sql_injection",
       "Hand-written operations (every field class, hostile names and defaults) apply, leave exactly the schema "
       "they describe and reverse; a violation is reported under its stage's migrations property.",
       f"{_MIG}.check_handwritten", "strategies.handwritten.hand_migrations"),
    _p(MIGRATIONS_EXECUTOR_CONVERGES, "migrations", "sql_injection",
       "Aksara's executor migrating a history's files to a step, again, and after a rollback to an earlier step "
       "leaves the catalog and applied-migrations record of applying that prefix directly, reports exactly the "
       "files it applied and lists exactly the rest as pending.",
       "fuzz.oracles.migrations_executor.check_executor_stage", "strategies.migration_plans.executor_plans",
       applies="a history with at least one migration file that applies directly"),
    _p(MIGRATIONS_GRAPH_ORDERS, "migrations", "sql_injection",
       "The migration graph orders every file after its dependencies (tuples or documented filename stems), names "
       "each app's heads, roots and conflicts, and refuses a dependency cycle with a ValueError naming it.",
       "fuzz.oracles.migrations_executor.check_graph_order", "strategies.migration_plans.migration_graphs"),
    *[_p(OPENAPI_CHECKS[name], "generated_schemas", risk, f"Schemathesis {name}: {what}.",
         "fuzz.oracles.openapi.schemathesis_failure_findings", "strategies.openapi.cases", per_principal=True,
         applies=SCHEMATHESIS_APPLIES.get(name, ""))
      for name, (risk, what) in SCHEMATHESIS_CHECKS.items()],
]}

assert all(p.surface in SURFACES and p.risk in RISKS for p in PROPERTIES.values())


def get(property_id: str) -> Property:
    """The catalogue entry of ``property_id`` (KeyError when it is not declared)."""
    return PROPERTIES[property_id]


def resolve(dotted: str) -> Any:
    """The object a dotted path names: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"nothing importable in {dotted!r}")


FUZZ_DIR = Path(__file__).resolve().parent


def fuzz_test_modules() -> list[str]:
    return sorted(f"fuzz.{p.stem}" for p in FUZZ_DIR.glob("test_*.py"))


def declared_tests() -> dict[str, tuple[str, ...]]:
    """Test node id (file::function) -> the property ids its ``@judges`` declares."""
    out: dict[str, tuple[str, ...]] = {}
    for name in fuzz_test_modules():
        try:
            module = importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - a module that skips itself (missing extra) declares nothing
            continue
        for attr, obj in vars(module).items():
            ids = getattr(obj, "judges", None)
            if attr.startswith("test") and isinstance(ids, tuple):
                out[f"fuzz/{name.split('.', 1)[1]}.py::{attr}"] = ids
    return out


def tests_of(declared: dict[str, tuple[str, ...]] | None = None) -> dict[str, list[str]]:
    """Property id -> the fuzz tests that judge it."""
    declared = declared_tests() if declared is None else declared
    out: dict[str, list[str]] = {pid: [] for pid in PROPERTIES}
    for test, ids in declared.items():
        for pid in ids:
            out.setdefault(pid, []).append(test)
    return out


def entries(with_tests: bool = True) -> list[dict[str, Any]]:
    tests = tests_of() if with_tests else {}
    rows = []
    for p in PROPERTIES.values():
        row = asdict(p)
        row["surface_name"], row["risk_name"] = SURFACES[p.surface][0], RISKS[p.risk][0]
        row["severity"] = RISKS[p.risk][1]
        if with_tests:
            row["tests"] = tests.get(p.id, [])
        rows.append(row)
    return rows


def render_markdown(rows: Iterable[dict[str, Any]] | None = None) -> str:
    """The README's "What is checked" table."""
    rows = entries() if rows is None else rows
    lines = ["| property | surface | risk | claim | tests |", "|---|---|---|---|---|"]
    for r in rows:
        tests = ", ".join(sorted({t.split("::", 1)[0].removeprefix("fuzz/") for t in r["tests"]})) or "—"
        lines.append(f"| `{r['id']}` | {r['surface_name']} | {r['risk_name']} | {r['claim']} | {tests} |")
    return "\n".join(lines) + "\n"


def render_table(rows: Iterable[dict[str, Any]]) -> str:
    rows = list(rows)
    width = max(len(r["id"]) for r in rows)
    lines = [f"{'property':{width}}  {'surface':18} {'risk':34} tests"]
    for r in rows:
        lines.append(f"{r['id']:{width}}  {r['surface']:18} {r['risk']:34} {len(r['tests'])}")
        lines.append(f"{'':{width}}  {r['claim']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.catalog", description="The suite's property catalogue.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="the catalogue as JSON")
    group.add_argument("--markdown", action="store_true", help="the README's 'What is checked' table")
    args = parser.parse_args(argv)
    rows = entries()
    if args.json:
        sys.stdout.write(json.dumps({"surfaces": {k: dict(zip(("name", "category", "boundary"), v))
                                                  for k, v in SURFACES.items()},
                                     "risks": {k: dict(zip(("name", "severity"), v)) for k, v in RISKS.items()},
                                     "properties": rows}, indent=2) + "\n")
    elif args.markdown:
        sys.stdout.write(render_markdown(rows))
    else:
        sys.stdout.write(render_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The suite adapts to the installed Aksara release by feature detection.

Older releases are simulated by replacing ``targets.features.missing`` (the detection
helper), never Aksara: the reference target still builds on the real Aksara, its metadata
says what is absent, and properties that need an absent feature skip naming it.
"""

from __future__ import annotations

import pytest

from fuzz import plugin
from targets import features
from tests.foundation.test_cli import run_pytest

OLD_RELEASE = {  # what Aksara 0.5.47 lacks, as far as the reference target is concerned
    "mcp", "mcp_approval", "filter_backend", "principal", "mcp_claims", "policy_engine", "scope_check",
    "doctor", "route_iter", "startup_ddl_guard", "setting:mcp_require_scoped_tokens",
    "setting:mcp_token_audience", "setting:mcp_approval_secret", "admin_site", "bulk_payload_policy",
    "request_principal",
}


def simulate_absent(monkeypatch: pytest.MonkeyPatch, absent: set[str]) -> None:
    real = features.missing

    def missing(name: str) -> str | None:
        return f"Aksara (simulated) lacks {features.label(name)}" if name in absent else real(name)

    monkeypatch.setattr(features, "missing", missing)


def test_refapp_builds_and_describes_itself_without_optional_features(monkeypatch):
    simulate_absent(monkeypatch, OLD_RELEASE | {"paginator:CursorPagination"})
    from targets.refapp.target import RefappTarget

    target = RefappTarget("hardened")
    settings = target.settings()
    assert target.info.mcp_path is None
    assert settings["mcp_enabled"] is False
    assert not {"mcp_require_scoped_tokens", "mcp_token_audience", "mcp_approval_secret"} & set(settings)
    tickets, comments, categories, *_ = target.info.resources
    assert tickets.filter_backend and comments.filter_backend  # DjangoFilterBackend stands in
    assert [r.paginator for r in target.info.resources[:3]] == ["limit_offset", "page_number", "limit_offset"]
    from aksara.api import filters

    assert target.viewsets[0].filter_backends == [filters.DjangoFilterBackend, filters.SearchFilter,
                                                  filters.OrderingFilter]
    app = target.build_app("postgresql://nobody@127.0.0.1:1/none")  # builds without connecting
    from targets.routes import inventory

    paths = {route.path for route in inventory(app, target.info)}
    assert "/tickets/" in paths and not any(p.startswith("/mcp") for p in paths)

    from targets.refapp.auth import AppPrincipal

    identity = target.resolver()(target.agent_token("agent-x", ("mcp:read:ticket",)))
    assert isinstance(identity.principal, AppPrincipal) and identity.principal.is_ai_agent
    assert identity.tenant_id == "a0000000-0000-4000-8000-00000000000a"


def test_refapp_without_admin_sites_mounts_no_admin_and_has_no_session_callers(monkeypatch):
    simulate_absent(monkeypatch, {"admin_site"})
    from targets.refapp.target import RefappTarget

    target = RefappTarget("hardened")
    assert target.info.admin_prefixes == ()
    assert target.info.console_principals == ()
    app = target.build_app("postgresql://nobody@127.0.0.1:1/none")
    assert not any(getattr(r, "path", "").startswith("/admin") for r in app.routes)


@pytest.mark.parametrize("absent", ["principal", "filter_backend", "mcp"])
def test_a_target_built_from_an_absent_feature_is_unavailable_naming_it(monkeypatch, absent):
    simulate_absent(monkeypatch, {absent})
    from targets.loader import TargetError, TargetUnavailable, load_target

    with pytest.raises(TargetUnavailable) as caught:
        load_target("platform", "hardened")
    assert isinstance(caught.value, TargetError)
    assert "the platform target" in str(caught.value) and features.label(absent) in str(caught.value)


def test_no_allowlist_backend_means_no_filter_backend_in_metadata(monkeypatch):
    simulate_absent(monkeypatch, {"filter_backend", "django_filter_backend"})
    from targets.refapp.target import RefappTarget

    target = RefappTarget("defaults")
    assert not any(r.filter_backend for r in target.info.resources)
    assert all(b.__name__ in ("SearchFilter", "OrderingFilter") for v in target.viewsets for b in v.filter_backends)


def test_the_installed_release_has_what_the_reference_app_uses():
    from targets.refapp.target import RefappTarget

    target = RefappTarget("hardened")
    assert target.info.mcp_path == ("/mcp/" if features.has("mcp") else None)
    assert set(target.settings()) <= features.settings_keywords()


@pytest.mark.parametrize("needed, named", [("mcp_approval", "MCP approval tokens"),
                                           ("doctor", "release-mode security checks")])
def test_a_property_needing_an_absent_feature_skips_naming_it(monkeypatch, request, needed, named):
    simulate_absent(monkeypatch, OLD_RELEASE)
    request.node.add_marker(pytest.mark.aksara_features("agent_tokens", needed))
    with pytest.raises(pytest.skip.Exception) as skipped:
        plugin.pytest_runtest_setup(request.node)
    assert named in str(skipped.value) and "lacks" in str(skipped.value)


def test_a_property_whose_features_are_present_runs(request):
    request.node.add_marker(pytest.mark.aksara_features("agent_tokens"))
    try:
        plugin.pytest_runtest_setup(request.node)
    except pytest.skip.Exception as skipped:  # a skip here would leave this test skipped, never red
        pytest.fail(f"a property whose features are present was skipped: {skipped}")


def test_unknown_feature_name_is_an_error():
    with pytest.raises(KeyError):
        features.missing("no-such-feature")


@pytest.mark.live
def test_bad_aksara_version_is_one_line_and_exit_4():
    result = run_pytest("fuzz/test_tokens.py", "--aksara-version", "latest", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert "Traceback" not in output, output
    assert len([line for line in output.splitlines() if "--aksara-version" in line]) == 1, output

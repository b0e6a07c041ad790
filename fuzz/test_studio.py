"""Aksara's browser consoles (admin and Studio) as the target mounts them.

Sweeps (every combination once, routes read from the app's routing table):
- every caller (API principals and console principals) x console route x method: admitted only as the
  docs say, and no secret in any answer (Studio/admin exposure, secret leakage);
- every state-changing console route x cross-origin / missing-CSRF attack from a staff browser session
  (Studio/admin exposure);
- every console session x REST API route x method: the session cookie alone opens nothing an anonymous
  caller is refused (broken authentication).
Then exploration: hostile redirect targets in every redirect parameter of every console GET route and
login form (Studio/admin exposure), and hostile values in every path parameter of every console route (a
Studio model name, query batch or session id, an admin model or row), as every caller: refused unless
admitted, no server error for an admitted caller, no secret or ai_sensitive value in the answer.

And, target-independent: every configuration of the optional surfaces (debug, enable_admin, enable_studio,
studio_expose_in_production, mcp_enabled) builds an app that serves admin, Studio and MCP exactly as the docs
say (Studio/admin exposure).
"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties import studio as props
from fuzz.sweep import swept, sweeps
from strategies.studio import HOSTILE_SEGMENTS, REDIRECT_TARGETS, mount_cases, path_segments, redirect_targets


@pytest.fixture(scope="module")
def redirect_combos(live_target):
    return props.redirect_combinations(live_target)


@pytest.fixture(scope="module")
def parameter_combos(live_target):
    return props.parameter_combinations(live_target)


@judges(catalog.STUDIO_CONSOLE_REQUIRES_STAFF, catalog.STUDIO_NO_SECRET, also=(catalog.HTTP_NO_SERVER_ERROR,))
def test_console_access_sweep(live_target):
    """Every caller on every console route and method, once; all are checked before the findings are judged."""
    judge(props.access_sweep(live_target))


@judges(catalog.STUDIO_CROSS_ORIGIN_REFUSED)
def test_cross_origin_sweep(live_target):
    """Every state-changing console route under every browser-session attack, once."""
    judge(props.cross_origin_sweep(live_target))


@judges(catalog.STUDIO_SESSION_API_BOUNDARY)
def test_session_api_boundary_sweep(live_target):
    """Every console session on every REST API route and method, once."""
    judge(props.session_api_sweep(live_target))


def _redirect_sweep(redirect_combos, **_):
    """Each (caller, console route) once, the hostile spellings taken in turn."""
    return [(combo, REDIRECT_TARGETS[i % len(REDIRECT_TARGETS)]) for i, combo in enumerate(redirect_combos)]


_EXPLORE: dict[int, st.SearchStrategy] = {}


def _explore(redirect_combos):
    key = id(redirect_combos)
    if key not in _EXPLORE:
        _EXPLORE[key] = st.tuples(st.sampled_from(redirect_combos), redirect_targets())
    return _EXPLORE[key]


@judges(catalog.STUDIO_REDIRECT_ON_SITE)
@sweeps(catalog.STUDIO_REDIRECT_ON_SITE, _redirect_sweep)
@scaled(0.5)
@given(data=st.data())
def test_no_open_redirect(live_target, redirect_combos, data):
    """A hostile target in every redirect parameter never sends the browser off-site."""
    if not redirect_combos:
        pytest.skip("the target mounts no admin or Studio route")
    (principal, method, route, path), hostile = data.draw(swept(_explore(redirect_combos)), label="case")
    with props.scratch_cwd():
        judge(props.redirect_case(live_target, principal, method, route, path, hostile))


def _parameter_sweep(parameter_combos, live_target, **_):
    """Each (caller, console route with a path parameter) once, the hostile classes taken in turn; then, for each
    admitted caller, every known value of each parameter (the others at their first known value): each model on
    Studio's model inspector, as each console credential."""
    hostile = [(combo, tuple(HOSTILE_SEGMENTS[(i + j) % len(HOSTILE_SEGMENTS)] for j in range(len(combo[3]))))
               for i, combo in enumerate(parameter_combos)]
    valid = []
    for combo in parameter_combos:
        principal, method, route, params, known = combo
        if not props.admits(live_target, principal, method, route) or not all(known):
            continue
        for j in range(len(params)):
            for value in known[j]:
                valid.append((combo, tuple(value if k == j else known[k][0] for k in range(len(params)))))
    return hostile + list(dict.fromkeys(valid))


_EXPLORE_PARAMETERS: dict[int, st.SearchStrategy] = {}


def _explore_parameters(parameter_combos):
    key = id(parameter_combos)
    if key not in _EXPLORE_PARAMETERS:
        _EXPLORE_PARAMETERS[key] = st.sampled_from(parameter_combos).flatmap(
            lambda combo: st.tuples(st.just(combo), st.tuples(*(path_segments(known) for known in combo[4]))))
    return _EXPLORE_PARAMETERS[key]


@judges(catalog.STUDIO_CONSOLE_REQUIRES_STAFF, catalog.STUDIO_NO_SECRET, also=(catalog.HTTP_NO_SERVER_ERROR,))
@sweeps((catalog.STUDIO_CONSOLE_REQUIRES_STAFF, catalog.STUDIO_NO_SECRET), _parameter_sweep)
@scaled(0.5)
@given(data=st.data())
def test_console_path_parameters(live_target, parameter_combos, data):
    """A hostile value in every path parameter of every console route, as every caller."""
    if not parameter_combos:
        pytest.skip("the target mounts no admin or Studio route with a path parameter")
    (principal, method, route, params, _listed), values = data.draw(swept(_explore_parameters(parameter_combos)),
                                                                    label="case")
    with props.scratch_cwd():
        judge(props.parameter_case(live_target, principal, method, route, dict(zip(params, values))))


@judges(catalog.STUDIO_MOUNTED_AS_CONFIGURED)
def test_surfaces_mounted_as_configured():
    """Every configuration of the optional surfaces (strategies.studio.mount_cases), each app built for it."""
    findings = [f for case in mount_cases() for f in props.mounted_as_configured(case)]
    judge(findings)

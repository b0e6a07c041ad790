"""studio.mounted_as_configured: the docs' mounting rules, quiet on real Aksara for every configuration, and a
planted fault in Aksara's own mounting decision caught for exactly the configurations it changes."""

from __future__ import annotations

import pytest

from fuzz.oracles.studio import expected_surfaces
from fuzz.properties.studio import mounted_as_configured
from strategies.studio import MountCase, mount_cases
from tests.support.plants import mounting


def problems(cases):
    return sorted((f.facts["problem"], f.facts["surface"], f.facts["debug"], f.facts["enable_admin"],
                   f.facts["studio_expose_in_production"]) for c in cases for f in mounted_as_configured(c))


@pytest.mark.parametrize("case, auth, mcp, expected", [
    (MountCase(False, None, True, False, False), True, True, set()),  # production: Studio needs the flag
    (MountCase(False, None, True, True, True), True, True, {"studio", "mcp"}),
    (MountCase(True, None, True, False, False), True, True, {"studio", "admin"}),  # debug: both auto-mount
    (MountCase(True, None, False, False, False), False, True, set()),  # no auth contrib: no admin
    (MountCase(False, True, False, False, True), True, False, {"admin"}),  # MCP absent from the release
    (MountCase(True, False, False, True, False), True, True, set()),  # enable_admin=False: never
])
def test_expected_surfaces_read_the_docs(case, auth, mcp, expected):
    assert expected_surfaces(case, auth, mcp) == expected


def test_every_configuration_is_quiet_on_real_aksara():
    assert len(mount_cases()) == 48
    assert problems(mount_cases()) == []


def test_studio_served_in_production_without_the_flag_is_caught(monkeypatch):
    mounting.plant(monkeypatch)
    found = problems(mount_cases())
    # enable_studio set, debug off, studio_expose_in_production off: 3 enable_admin values x 2 mcp values
    assert found == [("exposed", "studio", "False", admin, "False") for admin in ("False", "None", "True")
                     for _ in range(2)]


def test_admin_auto_mounted_outside_debug_is_caught(monkeypatch):
    mounting.plant_admin_outside_debug(monkeypatch)
    found = problems(mount_cases())
    assert {(p, s, d, a) for p, s, d, a, _ in found} == {("exposed", "admin", "False", "None")}
    assert len(found) == 8  # every enable_studio x expose x mcp combination of it

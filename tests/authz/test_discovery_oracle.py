"""authz.discovery_exact: quiet on real Aksara for every registration form, and a planted fault in Aksara's routing
helpers (tests/support/plants/discovery.py) caught in exactly the forms that use the broken helper."""

from __future__ import annotations

import pytest

from fuzz.properties.authz import discovery_exact
from targets.routes import REGISTRATION_FORMS
from tests.support.plants import discovery as plants

pytestmark = pytest.mark.live


def problems(live):
    return sorted({(f.facts["form"], f.facts["problem"]) for form in REGISTRATION_FORMS
                   for f in discovery_exact(live, form)})


def test_quiet_on_real_aksara(live_target):
    assert problems(live_target) == []


def test_discovery_dropping_imported_viewsets_is_caught(live_target, monkeypatch):
    plants.plant(monkeypatch)
    assert problems(live_target) == [(form, problem) for form in ("discover", "include_all", "include_app")
                                     for problem in ("routes_differ", "viewsets_differ")]


def test_registering_the_first_viewset_only_is_caught(live_target, monkeypatch):
    plants.plant_first_only(monkeypatch)
    # include_all_app_viewsets applies include_app_viewsets to each app of settings.apps
    assert problems(live_target) == [(form, problem) for form in ("include_all", "include_app")
                                     for problem in ("routes_differ", "viewsets_differ")]

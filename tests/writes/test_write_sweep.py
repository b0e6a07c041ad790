"""The write sweep finds a fault planted behind exactly one payload class × field kind, on every seed.

Planted in the installed Aksara for the test only: a create of a ticket whose integer field arrives
as a JSON boolean (type confusion × integer; pydantic's lax mode lets it through validation) fails
with a server error. Random write bodies reach that one combination rarely (one class of 17, a few
fields of 15, one value shape of several); the sweep sends it once in every run.
"""

from __future__ import annotations

import json

from aksara.api.viewsets import ModelViewSet
from hypothesis import HealthCheck, Phase, settings
import pytest

from fuzz import test_writes
from fuzz.findings import NewFinding
from fuzz.oracles.context import OracleContext
from fuzz.profiles import PROFILES
from strategies.writes import known_rows

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def seeded_rows(live_target):
    return known_rows(live_target)


def test_the_write_sweep_finds_the_one_body_class_and_field_kind_that_fails(live_target, seeded_rows, monkeypatch):
    real = ModelViewSet.create

    async def create(self, data, request):
        if self.model.__tablename__ == "tickets":
            sent = json.loads(await request.body() or b"null")
            if isinstance(sent, dict) and isinstance(sent.get("priority"), bool):
                raise RuntimeError("planted: a boolean integer reaches the insert")
        return await real(self, data, request)

    monkeypatch.setattr(ModelViewSet, "create", create)
    given_test = test_writes.test_hostile_write_bodies.given_test
    monkeypatch.setattr(given_test, "_hypothesis_internal_use_settings", settings(
        max_examples=PROFILES["ci"], database=None, deadline=None, suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False))
    for seed in SEEDS:
        monkeypatch.setattr(given_test, "_hypothesis_internal_use_seed", seed)
        with pytest.raises(NewFinding) as raised:
            test_writes.test_hostile_write_bodies(live_target=live_target, oracle_context=OracleContext(live_target.info),
                                                  seeded_rows=seeded_rows, resource_name="Ticket")
        finding = raised.value.finding
        assert finding.property_id == "http.no_server_error", raised.value
        assert isinstance(json.loads(finding.exchanges[-1].body or b"{}").get("priority"), bool), seed
    live_target.reset()

"""Replay a finding artifact against a fresh target and say whether it still reproduces.

HTTP findings are replayed request by request (each principal's credentials are
re-resolved from the target) and the property's oracle is applied again to the
replayed exchanges. Findings with a Python ``reproducer`` run it: the reproducer
raises ``AssertionError`` while the defect is present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fuzz.findings import Finding
from fuzz.oracles.context import OracleContext
from fuzz.oracles.registry import load_all
from fuzz.transcript import Exchange


class StillReproduces(AssertionError):
    """The replayed finding still violates its property."""


def load_finding(directory: Path) -> Finding:
    data = json.loads((Path(directory) / "finding.json").read_text(encoding="utf-8"))
    return Finding(
        property_id=data["property"],
        message=data["message"],
        observed=data.get("observed"),
        expected=data.get("expected"),
        exchanges=tuple(Exchange.from_json(e) for e in data.get("exchanges", [])),
        facts=data.get("facts", {}),
        reproducer=data.get("reproducer"),
    )


def replay_exchanges(live: Any, finding: Finding) -> list[Exchange]:
    live.reset()
    replayed = []
    for original in finding.exchanges:
        replayed.append(live.replay(original))
    for original, again in zip(finding.exchanges, replayed):
        print(f"original: {original.one_line()}\nreplayed: {again.one_line()}\n  {again.response_text[:300]}")
    return replayed


def replay_artifact(directory: Path, live: Any) -> None:
    """Raise :class:`StillReproduces` while the artifact's finding still holds."""
    finding = load_finding(directory)
    if finding.reproducer and not finding.exchanges:
        namespace: dict[str, Any] = {"__name__": "aksara_fuzz_reproducer"}
        try:
            exec(compile(finding.reproducer, str(directory / "finding.json"), "exec"), namespace)
        except AssertionError as exc:
            raise StillReproduces(f"[{finding.property_id}] still reproduces: {exc}") from None
        return
    replayed = replay_exchanges(live, finding)
    live.reset()
    oracle = load_all().get(finding.property_id)
    if oracle is not None:
        context = OracleContext(live.info)
        again = [f for ex in replayed for f in oracle(ex, context)]
        if again:
            raise StillReproduces(f"still reproduces:\n{again[0].describe()}")
        return
    last, original = replayed[-1], finding.exchanges[-1]
    if last.status == original.status and last.response_text == original.response_text:
        raise StillReproduces(
            f"[{finding.property_id}] same response as when found ({last.status}); "
            "no exchange oracle is registered for this property, so identity of the response is the test"
        )

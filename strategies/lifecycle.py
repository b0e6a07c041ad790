"""How an app is wired to its database, and what goes wrong while it starts, runs and stops.

Every case is one :class:`LifecycleCase` (the sweep takes them all, :func:`lifecycle_cases`):

- ``kind``: the four ways Aksara's docs and modules wire an app to PostgreSQL: ``aksara`` (``Aksara(database_url=...)``,
  Aksara's own lifespan), ``aksara_user_lifespan`` (the same with an application lifespan Aksara wraps),
  ``fastapi_lifespan`` (a plain FastAPI app with ``aksara.fastapi.create_lifespan`` and ``AksaraMiddleware``) and
  ``fastapi_init`` (``aksara.fastapi.init_aksara``'s start-up and shutdown handlers);
- ``fault``: ``none``, ``unreachable`` (the database refuses connections: nothing listens on the port) or
  ``lifespan_raises`` (the application's own lifespan fails after Aksara started; only where there is one);
- ``requests``: how many requests that use the pool are sent, all at once, while it runs;
- ``max_pool``: the pool's maximum size (1: the requests must queue for the one connection).

No I/O: fuzz/properties/lifecycle.py runs them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

KINDS = ("aksara", "aksara_user_lifespan", "fastapi_lifespan", "fastapi_init")
FAULTS = ("none", "unreachable", "lifespan_raises")


@dataclass(frozen=True)
class LifecycleCase:
    """One app: how it is wired, what fails, how many concurrent requests it serves, its pool's size."""

    kind: str
    fault: str = "none"
    requests: int = 0
    max_pool: int = 2


def applies(kind: str, fault: str) -> bool:
    """Whether ``fault`` can happen to an app wired as ``kind`` (only an application lifespan can raise)."""
    return fault != "lifespan_raises" or kind == "aksara_user_lifespan"


def lifecycle_cases() -> list[LifecycleCase]:
    """Every kind x applicable fault x (no request, three concurrent ones) x pool of 1 or 3."""
    return [LifecycleCase(kind, fault, requests, pool)
            for kind, fault, requests, pool in itertools.product(KINDS, FAULTS, (0, 3), (1, 3))
            if applies(kind, fault) and not (fault == "unreachable" and requests)]

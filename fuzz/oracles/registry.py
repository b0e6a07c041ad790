"""Exchange oracles by property id, so a replayed artifact re-applies the one that found it.

Other oracle modules add theirs with :func:`register`.
"""

from __future__ import annotations

from typing import Callable

from fuzz import catalog
from fuzz.oracles import http

EXCHANGE_ORACLES: dict[str, Callable] = {
    catalog.HTTP_NO_SERVER_ERROR: http.check_no_server_error,
    catalog.HTTP_ERROR_ENVELOPE: http.check_error_envelope,
    catalog.HTTP_NO_LEAK: http.check_no_leak,
    catalog.HTTP_RESPONDS_IN_TIME: http.check_responds_in_time,
}


def register(property_id: str, check: Callable) -> Callable:
    """Add ``check`` as the exchange oracle of ``property_id``."""
    EXCHANGE_ORACLES[property_id] = check
    return check


def load_all() -> dict[str, Callable]:
    """Every registered exchange oracle (imports the modules that register theirs)."""
    from fuzz.oracles import openapi, writes  # noqa: F401 - importing them registers their oracles

    return EXCHANGE_ORACLES

"""OpenAPI fuzzing with Schemathesis (the ``openapi`` extra), in process against the live target.

Schemathesis generates cases from the target's own generated OpenAPI document (its
fuzzing phase in positive and negative mode, NUL bytes allowed, and its stateful
phase over the links it infers); every case is sent through
:meth:`targets.client.LiveTarget.request` as one principal, so transcripts, reset and
the suite's oracles are the same as for every other property. All of Schemathesis'
checks run on each response, and the suite's oracles run as registered Schemathesis
checks next to them. Failures become :class:`fuzz.findings.Finding` values and go
through :func:`fuzz.findings.report` (ledger, artifacts, summary).

This package imports Schemathesis lazily: :func:`schemathesis_missing` says why the
OpenAPI property cannot run when it is not installed.
"""

from __future__ import annotations

import importlib

INSTALL_HINT = "pip install 'aksara-fuzz[openapi]'"


def schemathesis_missing() -> str | None:
    """``None`` when Schemathesis imports; otherwise the reason the OpenAPI property is skipped."""
    try:
        module = importlib.import_module("schemathesis")
    except ImportError as exc:
        return f"Schemathesis is not installed ({exc}); OpenAPI fuzzing needs it: {INSTALL_HINT}"
    version = getattr(module, "__version__", "0")
    if int(version.split(".")[0]) < 4:
        return f"Schemathesis {version} is too old (4.x needed) for OpenAPI fuzzing: {INSTALL_HINT}"
    return None

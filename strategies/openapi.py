"""What the OpenAPI area generates: Schemathesis cases from the target's own OpenAPI document.

The target's generated document is fetched in process (``GET`` of its OpenAPI route as the
anonymous principal) and built into a Schemathesis schema with positive and negative data,
NUL bytes allowed and the stateful phase on; :func:`cases` draws one operation's fuzzing-phase
cases in every generation mode, and :func:`case_data` / :func:`case_from_data` turn a case into
plain data and back (what a replayed artifact stores). Schemathesis is the ``openapi`` extra and
is imported lazily: :func:`schemathesis_missing` says why the area cannot run without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from targets.base import TargetInfo
    from targets.client import LiveTarget

INSTALL_HINT = "pip install 'aksara-fuzz[openapi]'"
OPENAPI_PATHS = ("/openapi.json",)
# what a case sends, in the order a replay rebuilds it
CASE_PARTS = ("path_parameters", "headers", "cookies", "query", "body", "media_type")


class OpenApiUnavailable(RuntimeError):
    """The target serves no OpenAPI document the suite can load."""


def schemathesis_missing() -> str | None:
    """``None`` when Schemathesis imports; otherwise the reason the OpenAPI property is skipped."""
    try:
        import schemathesis
    except ImportError as exc:
        return f"Schemathesis is not installed ({exc}); OpenAPI fuzzing needs it: {INSTALL_HINT}"
    version = getattr(schemathesis, "__version__", "0")
    if int(version.split(".")[0]) < 4:
        return f"Schemathesis {version} is too old (4.x needed) for OpenAPI fuzzing: {INSTALL_HINT}"
    return None


def openapi_path(info: TargetInfo) -> str:
    """The target's OpenAPI document route (a public path ending in ``openapi.json``)."""
    for path in info.public_paths:
        if path.endswith("openapi.json"):
            return path
    return OPENAPI_PATHS[0]


def schemathesis_config() -> Any:
    """Schemathesis configuration: positive and negative data, NUL bytes, every check on."""
    from schemathesis import Config

    return Config.from_dict({
        "generation": {"mode": "all", "allow-x00": True},
        "phases": {"stateful": {"enabled": True}},
    })


def load_schema(live: LiveTarget) -> Any:
    """The Schemathesis schema of the live target's OpenAPI document."""
    import schemathesis

    exchange = live.request("anonymous", "GET", openapi_path(live.info))
    document = exchange.response_json()
    if exchange.status != 200 or not isinstance(document, dict):
        raise OpenApiUnavailable(f"GET {openapi_path(live.info)} answered {exchange.status}, not an OpenAPI document")
    return schemathesis.openapi.from_dict(document, config=schemathesis_config())


def operations(schema: Any) -> list[Any]:
    """Every operation of the schema Schemathesis could build."""
    from schemathesis.core.result import Ok

    return [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]


def cases(operation: Any) -> Any:
    """Schemathesis' fuzzing-phase cases for ``operation``: positive and negative data."""
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    return st.one_of([operation.as_strategy(generation_mode=mode) for mode in GenerationMode])


def case_data(case: Any) -> dict[str, Any]:
    """What a Schemathesis case sends, as plain data."""
    from schemathesis.core import NotSet

    data: dict[str, Any] = {"operation": case.operation.label}
    for part in CASE_PARTS:
        value = getattr(case, part, None)
        if value is None or isinstance(value, NotSet):
            continue
        data[part] = dict(value) if part in ("path_parameters", "headers", "cookies", "query") else value
    return data


def case_from_data(operation: Any, parts: dict[str, Any]) -> Any:
    """The case of ``operation`` that sends ``parts`` (the inverse of :func:`case_data`)."""
    return operation.Case(**{k: v for k, v in parts.items() if k in CASE_PARTS})

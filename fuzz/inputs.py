"""A property's input as JSON, so a replay can run the property's own oracle on the same input again.

:func:`encode` turns the suite's input values (frozen dataclasses of ``strategies/`` and ``fuzz/``,
tuples, bytes, the payload sentinels) into plain JSON; :func:`decode` rebuilds them. Classes are
named by ``module:qualname`` and only the suite's own modules are imported back.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
import zlib
from typing import Any

ALLOWED_MODULES = ("strategies.", "fuzz.")
#: Modules renamed since inputs were first stored: old artifacts still decode.
MOVED_MODULES = {"strategies.credentials": "strategies.tokens", "fuzz.properties.robustness": "fuzz.properties.http"}
_LARGE = 64 * 1024


class InputError(ValueError):
    """The input cannot be encoded or decoded."""


def _sentinels() -> dict[str, Any]:
    from strategies.payloads import NO_DOCUMENT

    return {"strategies.payloads:NO_DOCUMENT": NO_DOCUMENT}


def encode(value: Any) -> Any:
    """``value`` as JSON-compatible data that :func:`decode` turns back into an equal value."""
    try:
        return _encode(value, {id(v): k for k, v in _sentinels().items()})
    except RecursionError:
        raise InputError("the input is nested too deeply to store") from None


def _encode(value: Any, sentinels: dict[int, str]) -> Any:
    if id(value) in sentinels and not isinstance(value, (int, float, str, bool)) and value is not None:
        return {"__sentinel__": sentinels[id(value)]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        if len(raw) > _LARGE:
            return {"__bytes_z__": base64.b64encode(zlib.compress(raw, 1)).decode("ascii")}
        return {"__bytes__": base64.b64encode(raw).decode("ascii")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        fields = {f.name: _encode(getattr(value, f.name), sentinels) for f in dataclasses.fields(value) if f.init}
        return {"__type__": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, sentinels) for v in value]}
    if isinstance(value, list):
        return [_encode(v, sentinels) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _encode(v, sentinels) for k, v in value.items()}
        return {"__items__": [[_encode(k, sentinels), _encode(v, sentinels)] for k, v in value.items()]}
    raise InputError(f"cannot store a {type(value).__name__} as replay input")


def decode(data: Any) -> Any:
    """The value :func:`encode` stored."""
    try:
        return _decode(data, _sentinels())
    except RecursionError:
        raise InputError("the stored input is nested too deeply") from None


def _decode(data: Any, sentinels: dict[str, Any]) -> Any:
    if isinstance(data, list):
        return [_decode(v, sentinels) for v in data]
    if not isinstance(data, dict):
        return data
    if "__sentinel__" in data:
        return sentinels[data["__sentinel__"]]
    if "__bytes__" in data:
        return base64.b64decode(data["__bytes__"])
    if "__bytes_z__" in data:
        return zlib.decompress(base64.b64decode(data["__bytes_z__"]))
    if "__tuple__" in data:
        return tuple(_decode(v, sentinels) for v in data["__tuple__"])
    if "__items__" in data:
        return {_key(_decode(k, sentinels)): _decode(v, sentinels) for k, v in data["__items__"]}
    if "__type__" in data:
        module, _, qualname = data["__type__"].partition(":")
        module = MOVED_MODULES.get(module, module)
        if not module.startswith(ALLOWED_MODULES):
            raise InputError(f"refusing to import {module!r} for a replay input")
        cls: Any = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        return cls(**{k: _decode(v, sentinels) for k, v in data["fields"].items()})
    return {k: _decode(v, sentinels) for k, v in data.items()}


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def replay_input(area: str, call: str, **args: Any) -> dict[str, Any]:
    """What a replayer needs: the area's replayer, the property function it calls, its arguments (encoded).

    An input that cannot be stored is recorded with the reason, so its replay says so instead of passing.
    """
    try:
        return {"area": area, "call": call, "args": encode(args)}
    except InputError as exc:
        return {"area": area, "call": call, "unstorable": str(exc)}

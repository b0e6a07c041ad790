"""Crash capture: which exception made the app answer 5xx, and where inside Aksara it was raised.

A server error is identified by its *crash state* (as crash-bucketing fuzzers do):
the root cause's exception type, the top frames inside the ``aksara`` package
nearest the raise point (``module:function``, no line numbers, so releases that
move code keep the same identity), the SQLSTATE and the failing statement's first
keyword for database errors, and a normalised message class.

The app runs in this process, so :func:`instrument` records exceptions where they
pass, without changing Aksara's files:

- every handler in ``app.exception_handlers`` is wrapped; a handler that answers
  5xx records the exception it was given (Aksara turns ``DatabaseError`` into
  ``HTTPException(500)`` inside an ``except`` block, so the root cause is in the
  chain);
- a pure-ASGI recording layer is placed inside every user middleware (the last one
  innermost), so an exception propagating out of the routes or out of any
  middleware is recorded before an outer middleware (Aksara's debug middleware
  catches everything) turns it into a 500 envelope; the layer re-raises it.

Everything is feature-detected: an app without ``exception_handlers`` or
``user_middleware`` (an older release, a plain ASGI app) simply records less.
The recorder belongs to the app and is read by :class:`targets.client.LiveTarget`
around each request (requests on one target are sequential; MCP tool calls
re-dispatch to REST in process, possibly in other tasks, and land in the same
recorder). Nothing is computed unless something was recorded.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import re
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Iterator

PACKAGE = "aksara"
FRAMES = 3
STACK = 12
_BASE_GROUP = getattr(builtins, "BaseExceptionGroup", None)  # Python 3.11+; the backport's class otherwise
if _BASE_GROUP is None:
    try:
        from exceptiongroup import BaseExceptionGroup as _BASE_GROUP  # type: ignore[no-redef]
    except ImportError:
        pass
_COMPREHENSIONS = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"})
_ATTR = "_aksara_fuzz_crash_recorder"
# Modules that only carry an exception (ASGI plumbing, drivers, the recorder): never an app frame.
_PLUMBING = (
    "starlette", "fastapi", "anyio", "asyncio", "contextlib", "httpx", "httpcore", "concurrent",
    "threading", "functools", "sniffio", "pydantic", "pydantic_core", "asyncpg", "targets.crash",
)
_SQL_LOCALS = ("query", "sql", "statement", "stmt")
_SQL_KEYWORD = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*\(?\s*([A-Za-z]+)", re.S)
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NUMBER = re.compile(r"\d+")
_MARKS = re.compile("[\U000F0000-\U000FFFFD]")
_CODE_NAMES = re.compile(r"'[A-Za-z_][\w.]*'(?= object\b)|(?<=attribute )'[A-Za-z_]\w*'|<class '[A-Za-z_][\w.]*'>")


@dataclass(frozen=True)
class CrashState:
    """The identity of one server error: root-cause type, Aksara frames, database facts, message class."""

    exception: str
    wrapper: str = ""
    frames: tuple[str, ...] = ()
    stack: tuple[str, ...] = ()
    sqlstate: str = ""
    sql_operation: str = ""
    message: str = ""
    status: int = 500
    origin: str = ""  # the raise point: the innermost frame outside the web and database plumbing

    def state(self) -> str:
        """Exception and frames as one line, e.g. ``ValueError @ aksara.a:f < aksara.b:g``."""
        return f"{self.exception} @ {' < '.join(self.frames)}" if self.frames else self.exception

    def facts(self) -> dict[str, str]:
        """The crash as ledger-signature facts (all strings)."""
        return {
            "exception": self.exception,
            "crash_wrapper": self.wrapper,
            "crash_frames": " < ".join(self.frames),
            "crash_stack": " < ".join(self.stack),
            "crash_state": self.state(),
            "sqlstate": self.sqlstate,
            "sql_operation": self.sql_operation,
            "crash_message": self.message,
            "crash_origin": self.origin,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "exception": self.exception,
            "wrapper": self.wrapper,
            "frames": list(self.frames),
            "stack": list(self.stack),
            "sqlstate": self.sqlstate,
            "sql_operation": self.sql_operation,
            "message": self.message,
            "status": self.status,
            "origin": self.origin,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CrashState":
        return cls(
            exception=str(data.get("exception", "")),
            wrapper=str(data.get("wrapper", "")),
            frames=tuple(str(f) for f in data.get("frames", ())),
            stack=tuple(str(f) for f in data.get("stack", ())),
            sqlstate=str(data.get("sqlstate", "")),
            sql_operation=str(data.get("sql_operation", "")),
            message=str(data.get("message", "")),
            status=int(data.get("status", 500)),
            origin=str(data.get("origin", "")),
        )


def chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first (``__cause__``, else ``__context__``).

    An exception group (a task group's, e.g. around a middleware) is a wrapper: the chain goes on
    into its first exception, which is where the request actually failed. A group that only
    wraps an exception already in the chain (Starlette re-raises a middleware's lone exception
    out of its group, so the group becomes that exception's context) is no part of the chain.
    """
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and not any(current is s for s in seen):
        grouped = getattr(current, "exceptions", None) if _is_group(current) else None
        if grouped and any(grouped[0] is s for s in seen):
            break
        seen.append(current)
        if grouped:
            current = grouped[0]
        else:
            current = current.__cause__ if current.__cause__ is not None else current.__context__
    return seen


def _is_group(exc: BaseException) -> bool:
    return _BASE_GROUP is not None and isinstance(exc, _BASE_GROUP)


def _frames(tb: TracebackType | None) -> list[Any]:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _innermost_first(exceptions: list[BaseException], outer: TracebackType | None) -> Iterator[Any]:
    """Frames from the root cause's raise point outwards, each frame once.

    ``outer`` is the outermost exception's traceback as recorded (later frames, up to
    where an outer middleware caught it, are not part of the crash).
    """
    seen: set[int] = set()
    tracebacks = [e.__traceback__ for e in exceptions[:0:-1]] + [outer]
    for tb in tracebacks:
        for frame in reversed(_frames(tb)):
            if id(frame) not in seen:
                seen.add(id(frame))
                yield frame


def _module(frame: Any) -> str:
    return str(frame.f_globals.get("__name__", "?"))


def _in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _named(frame: Any) -> bool:
    """A frame that names code: comprehensions are skipped (Python 3.12 inlines them)."""
    return frame.f_code.co_name not in _COMPREHENSIONS


def normalise_message(text: str, limit: int = 160) -> str:
    """A message class: uuids, quoted values and digits replaced, whitespace collapsed.

    Python type and attribute names in the standard phrasing (``'str' object has no
    attribute 'toordinal'``, ``<class 'list'>``) are code, not values, and are kept.
    """
    text = _UUID.sub("<uuid>", _MARKS.sub("?", text))
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return chr(0xF0000 + len(kept) - 1)  # a private-use mark: no digits, no quotes

    text = _CODE_NAMES.sub(keep, text)
    text = _QUOTED.sub("<q>", text)
    text = _NUMBER.sub("<n>", text)
    text = _MARKS.sub(lambda m: kept[ord(m.group(0)) - 0xF0000], text)
    text = " ".join(text.split())
    return text[:limit]


def message_class(exc: BaseException) -> str:
    """The normalised message; for validation errors, each error's type and location (indices dropped)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            items = errors()
        except Exception:  # noqa: BLE001 - not a pydantic-style error list
            items = None
        if isinstance(items, (list, tuple)) and items and all(isinstance(i, dict) for i in items):
            parts = []
            for item in items:
                loc = ".".join(str(p) for p in item.get("loc", ()) if not isinstance(p, int))
                part = f"{item.get('type', '?')}@{loc}"
                if part not in parts:
                    parts.append(part)
            return normalise_message("validation: " + ", ".join(parts))
    return normalise_message(str(exc))


def crash_state(exc: BaseException, status: int = 500, package: str = PACKAGE, *,
                traceback: TracebackType | None = None, endpoint: Any = None) -> CrashState:
    """The crash state of ``exc`` (the exception that produced a 5xx).

    ``traceback`` is ``exc``'s traceback where it was recorded (default: as it is now);
    ``endpoint`` the route endpoint that was serving, used as the frame when no frame
    of the package is on the stack (e.g. a response-model error raised by FastAPI
    after an Aksara endpoint returned).
    """
    exceptions = chain(exc)
    root = exceptions[-1]
    frames = [f for f in _innermost_first(exceptions, traceback or exc.__traceback__) if _named(f)]
    names = [f"{_module(f)}:{f.f_code.co_name}" for f in frames if _in(_module(f), (package,))]
    if not names and endpoint is not None:
        module = str(getattr(endpoint, "__module__", "") or "")
        name = str(getattr(endpoint, "__name__", "") or "")
        if module and name:
            names = [f"{module}:{name}"]
    own = [f"{_module(f)}:{f.f_code.co_name}" for f in frames if not _in(_module(f), _PLUMBING)]
    if not names:  # not an Aksara crash: the app's own frames nearest the raise point
        names = own
    sqlstate = next(
        (str(getattr(e, "sqlstate", None) or getattr(e, "pgcode", None))
         for e in exceptions if getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)),
        "",
    )
    operation = ""
    if sqlstate or any("database" in type(e).__name__.lower() for e in exceptions):
        operation = _sql_operation(frames, package)
    return CrashState(
        exception=type(root).__name__,
        wrapper=type(exc).__name__ if exc is not root else "",
        frames=tuple(names[:FRAMES]),
        stack=tuple(names[:STACK]),
        sqlstate=sqlstate,
        sql_operation=operation,
        message=message_class(root),
        status=status,
        origin=own[0] if own else "",
    )


def raised_in(exc: BaseException) -> str:
    """The module whose code raised the root cause of ``exc`` (its crash origin: the innermost frame outside the
    web and database plumbing), or ``""``."""
    return crash_state(exc).origin.partition(":")[0]


def raised_by_suite(exc: BaseException) -> bool:
    """``exc`` was raised by the suite's own code (a lab, a strategy, a target), not by Aksara or below it: a bug of
    the suite (or an API the release lacks, to feature-detect), never a finding about Aksara."""
    module = raised_in(exc)
    return any(module == p or module.startswith(p + ".") for p in ("fuzz", "strategies", "targets"))


def exception_facts(exc: BaseException) -> dict[str, str]:
    """The crash facts of an exception an in-process call raised: how the ledger and a replay know its cause."""
    try:
        return crash_state(exc).facts()
    except Exception as error:  # noqa: BLE001 - a capture bug must not lose the finding
        return {"exception": type(exc).__name__, "crash_message": f"<crash capture failed: {error!r}>"}


def _sql_operation(frames: list[Any], package: str) -> str:
    for frame in frames:
        if not _in(_module(frame), (package, "asyncpg")):
            continue
        for name in _SQL_LOCALS:
            value = frame.f_locals.get(name)
            if isinstance(value, str):
                match = _SQL_KEYWORD.match(value)
                if match:
                    return match.group(1).upper()
    return ""


class CrashRecorder:
    """The exceptions that produced a 5xx since the last :meth:`clear` (each once)."""

    def __init__(self) -> None:
        self.events: list[tuple[BaseException, int, TracebackType | None, Any]] = []

    def clear(self) -> None:
        if self.events:
            self.events = []

    def record(self, exc: BaseException, status: int, scope: Any = None) -> None:
        """Note ``exc`` (once) when it produced ``status`` >= 500, with its traceback as it is now."""
        if status >= 500 and not any(e is exc for e, *_ in self.events):
            endpoint = scope.get("endpoint") if isinstance(scope, dict) else None
            self.events.append((exc, status, exc.__traceback__, endpoint))

    def crash(self) -> CrashState | None:
        """The crash state of the last recorded exception, or ``None`` when nothing crashed."""
        if not self.events:
            return None
        exc, status, tb, endpoint = self.events[-1]
        try:
            return crash_state(exc, status, traceback=tb, endpoint=endpoint)
        except Exception as error:  # noqa: BLE001 - a capture bug must not lose the exchange
            return CrashState(exception=type(exc).__name__, message=f"<crash capture failed: {error!r}>")


class RecordingLayer:
    """A pure-ASGI layer that records an exception propagating through it, then re-raises it."""

    recorder: CrashRecorder  # set on the per-app subclass (:func:`instrument`)

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            status = getattr(exc, "status_code", 500)
            self.recorder.record(exc, status if isinstance(status, int) else 500, scope)
            raise


def _wrap_handler(handler: Any, recorder: CrashRecorder) -> Any:
    if getattr(handler, "__crash_recorder__", None) is recorder:
        return handler

    def note(request: Any, exc: Any, response: Any) -> None:
        status = getattr(response, "status_code", None)
        if isinstance(status, int) and isinstance(exc, BaseException):
            recorder.record(exc, status, getattr(request, "scope", None))

    if inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(getattr(handler, "__call__", None)):
        @functools.wraps(handler)
        async def wrapped(request: Any, exc: Any) -> Any:
            response = await handler(request, exc)
            note(request, exc, response)
            return response
    else:
        @functools.wraps(handler)
        def wrapped(request: Any, exc: Any) -> Any:  # type: ignore[misc]
            response = handler(request, exc)
            note(request, exc, response)
            return response

    wrapped.__crash_recorder__ = recorder  # type: ignore[attr-defined]
    return wrapped


def instrument(app: Any) -> CrashRecorder:
    """Record the exceptions behind ``app``'s 5xx answers; idempotent, never fails on an unknown app."""
    recorder = getattr(app, _ATTR, None)
    if isinstance(recorder, CrashRecorder):
        return recorder
    recorder = CrashRecorder()
    try:
        setattr(app, _ATTR, recorder)
    except Exception:  # noqa: BLE001 - an app that refuses attributes is still served
        return recorder
    handlers = getattr(app, "exception_handlers", None)
    if isinstance(handlers, dict):
        for key, handler in list(handlers.items()):
            if callable(handler):
                handlers[key] = _wrap_handler(handler, recorder)
    middleware = getattr(app, "user_middleware", None)
    if isinstance(middleware, list):
        try:
            from starlette.middleware import Middleware
        except ImportError:
            return recorder
        # the recorder rides on a subclass, not in the middleware's kwargs: apps may export their middleware's
        # kwargs (Aksara's AI context does, as JSON), and the suite's object must not change what they answer
        layer = type("RecordingLayer", (RecordingLayer,), {"recorder": recorder})
        layered = []
        for entry in middleware:
            layered += [entry, Middleware(layer)]
        middleware[:] = layered or [Middleware(layer)]
        if getattr(app, "middleware_stack", None) is not None:
            app.middleware_stack = None  # rebuilt with the layers on the next request
    return recorder

"""The log records an app emits while it serves one request, captured in process.

"Security diagnostics and logs" are an asset of Aksara's threat model and secret leakage one
of its risks: a token, secret key or password in a log record is as much a leak as one in a
response. :func:`instrument` attaches one handler to the root logger and to Aksara's and the MCP SDK's
loggers, lowered to DEBUG, again before every request, so every record Aksara (or the app, or a
library it calls) emits reaches the handler whatever the app configured; the client takes the records of each request with the
exchange (:attr:`targets.transcript.Exchange.logs`).
"""

from __future__ import annotations

import logging
import threading

#: The loggers heard at DEBUG whatever the app set: Aksara's own and the MCP SDK's it serves with.
HEARD = ("aksara", "mcp")
#: Records kept per request, and characters per record: enough to show a leak, bounded for artifacts.
MAX_RECORDS = 50
MAX_CHARS = 2000


class LogRecorder(logging.Handler):
    """Every record emitted since the last :meth:`take`, as ``logger: LEVEL message`` lines."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()
        self._last: logging.LogRecord | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record is self._last:  # heard on the aksara logger and again on the root logger
            return
        self._last = record
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format still shows what it carried
            text = f"{record.msg!r} % {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" | {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        with self._lines_lock:
            if len(self._lines) < MAX_RECORDS:
                self._lines.append(f"{record.name}: {record.levelname} {text}"[:MAX_CHARS])

    def attach(self) -> None:
        """Hear every record again, whatever the app did to logging since (called before each request).

        An app's start-up may raise a logger's level or stop it propagating to the root logger; the
        recorder sits on the root logger and on each of :data:`HEARD`, which it lowers to DEBUG (a record
        that reaches it twice is kept once). Nothing is printed: with a handler on the root logger,
        Python's last-resort console handler stays silent.
        """
        for name in HEARD:
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
                logger.setLevel(logging.DEBUG)
            if self not in logger.handlers:
                logger.addHandler(self)
        root = logging.getLogger()
        if self not in root.handlers:
            root.addHandler(self)

    def take(self) -> tuple[str, ...]:
        """The records since the last call, and forget them."""
        with self._lines_lock:
            lines, self._lines = tuple(self._lines), []
        return lines


_RECORDER: list[LogRecorder] = []


def instrument() -> LogRecorder:
    """The process's recorder (one per process), attached as :meth:`LogRecorder.attach` says."""
    if not _RECORDER:
        _RECORDER.append(LogRecorder())
    recorder = _RECORDER[0]
    recorder.attach()
    return recorder

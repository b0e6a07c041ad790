"""The log records an app emits while it serves one request, captured in process.

"Security diagnostics and logs" are an asset of Aksara's threat model and secret leakage one
of its risks: a token, secret key or password in a log record is as much a leak as one in a
response. :func:`instrument` attaches one handler to the root logger and lowers the ``aksara``
logger to DEBUG, so every record Aksara (or the app, or a library it calls) emits reaches the
handler whatever the app configured; the client takes the records of each request with the
exchange (:attr:`targets.transcript.Exchange.logs`).
"""

from __future__ import annotations

import logging
import threading

#: Records kept per request, and characters per record: enough to show a leak, bounded for artifacts.
MAX_RECORDS = 50
MAX_CHARS = 2000


class LogRecorder(logging.Handler):
    """Every record emitted since the last :meth:`take`, as ``logger: LEVEL message`` lines."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format still shows what it carried
            text = f"{record.msg!r} % {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" | {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        with self._lines_lock:
            if len(self._lines) < MAX_RECORDS:
                self._lines.append(f"{record.name}: {record.levelname} {text}"[:MAX_CHARS])

    def take(self) -> tuple[str, ...]:
        """The records since the last call, and forget them."""
        with self._lines_lock:
            lines, self._lines = tuple(self._lines), []
        return lines


_RECORDER: list[LogRecorder] = []


def instrument() -> LogRecorder:
    """The process's recorder, attached to the root logger once (idempotent); the ``aksara`` logger is lowered
    to DEBUG on every call, since a target started later may have raised it again (the reference app's
    configure silences it)."""
    if not _RECORDER:
        recorder = LogRecorder()
        logging.getLogger().addHandler(recorder)
        _RECORDER.append(recorder)
    aksara_logger = logging.getLogger("aksara")
    if aksara_logger.getEffectiveLevel() > logging.DEBUG:
        aksara_logger.setLevel(logging.DEBUG)
    return _RECORDER[0]

"""The terminal side of a CLI run: a progress line on stderr, and the monitor's log records kept off stdout."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

PROGRESS_MIN_JOBS = 6  # fewer than this finish before a progress line would be read


class Progress:
    """`polling 12/40 jobs` rewritten in place on a terminal; silent when the stream is not one."""

    def __init__(self, stream: TextIO, min_jobs: int = PROGRESS_MIN_JOBS) -> None:
        self._stream = stream
        self._on = stream.isatty()
        self._min_jobs = min_jobs
        self._lock = threading.Lock()
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        """Called by the run's worker threads after each job."""
        if not self._on or total < self._min_jobs:
            return
        with self._lock:
            self._stream.write(f"\rpolling {done}/{total} jobs")
            self._stream.flush()
            self._shown = True

    def close(self) -> None:
        """Erase the progress line so what follows starts on a clean line."""
        with self._lock:
            if self._shown:
                self._stream.write("\r\033[K")
                self._stream.flush()
                self._shown = False


class LogCapture(logging.Handler):
    """Collects the jobwatch package's warnings and errors during a command; prints them when verbose."""

    def __init__(self, stream: TextIO, verbose: bool) -> None:
        super().__init__(logging.DEBUG if verbose else logging.WARNING)
        self._stream = stream
        self._verbose = verbose
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if ".jobwatch." not in f".{record.name}.":
            return
        self.records.append(record)
        if self._verbose:
            fields = " ".join(f"{k}={v}" for k, v in _extra(record).items())
            suffix = f" ({fields})" if fields else ""
            self._stream.write(f"{record.levelname.lower()}: {record.getMessage()}{suffix}\n")

    def errors(self, message: str) -> list[str]:
        """The `error` field of the records whose message starts with `message` (e.g. why polls failed)."""
        matching = (_extra(r) for r in self.records if r.getMessage().startswith(message))
        return [str(fields["error"]) for fields in matching if "error" in fields]


@contextmanager
def captured_logs(stream: TextIO, verbose: bool) -> Iterator[LogCapture]:
    """Route the package's log records to a LogCapture (and so not to stdout) for the duration of a command."""
    handler = LogCapture(stream, verbose)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    if verbose:
        root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _extra(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}

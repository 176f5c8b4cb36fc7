"""Job states and error records the alert scenarios share, shaped like Bright Data's answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.support.harness import Harness

# Every scenario's first job is created at BASE and every run passes `now`, so each message (timestamps,
# durations, alert ids) is the same on every machine and can be kept as a golden file.
BASE = datetime(2025, 4, 28, 13, 0, tzinfo=UTC)


def at(minutes: float) -> float:
    """Epoch seconds `minutes` after BASE."""
    return BASE.timestamp() + minutes * 60


def running(processed: int, rate: float, inputs: int = 1000) -> dict[str, Any]:
    """A running state with `processed` inputs done at `rate` (success over processed), one page per input."""
    success = round(processed * rate)
    return {
        "status": "running",
        "inputs": inputs,
        "success": success,
        "fails": processed - success,
        "pages": processed,
        "pages_left": inputs - processed,
        "job_time": processed * 1500,
    }


def ended(status: str, processed: int, rate: float, inputs: int = 1000) -> dict[str, Any]:
    """A finished state; the inputs not processed are left undone."""
    return {**running(processed, rate, inputs), "status": status}


def error(code: str, message: str, n: int = 1) -> dict[str, Any]:
    """One hp_errors record, as GET /dca/jobs/{id}/hp_errors lists them."""
    return {"input": {"url": f"https://shop.example/item/{n}"}, "error": message, "error_code": code}


def errors(*counts: tuple[str, int, str]) -> list[dict[str, Any]]:
    """`(code, how many, message)` -> that many records per code, each message numbered after the first."""
    out = []
    for code, count, message in counts:
        out += [error(code, message if i == 0 else f"{message} ({i + 1})", i) for i in range(count)]
    return out


def poll_each_state(harness: Harness, states: int, start: float = 0.0) -> list[int]:
    """One run per scripted state, five minutes apart from `start` minutes; the new alerts of each run."""
    counts = []
    for n in range(states):
        counts.append(harness.run(now=at(start + 5 * n)).alerts)
        harness.bd.tick()
    return counts

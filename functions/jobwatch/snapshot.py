"""One poll of one job: Bright Data's /dca/log body parsed into a JobSnapshot, or a clear error."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

STATUSES = frozenset({"building", "running", "done", "failed", "cancelled"})
TERMINAL = frozenset({"done", "failed", "cancelled"})

_INT_FIELDS = ("inputs", "dup_inputs", "lines", "fails", "pages", "pages_left", "success", "navigations")
_TEXT_FIELDS = ("collector", "template", "created", "started", "finished", "trigger")
# DynamoDB numbers hold 38 digits and no smaller magnitude than 1e-130: counts and rates are kept well inside.
MAX_COUNT = 10**15
RATE_DIGITS = 9
# Bright Data's name -> ours, where they differ (ours say the unit).
_RENAMED = {"job_time": "job_time_ms", "queue_time": "queue_time_ms"}


class BadResponseError(ValueError):
    """Bright Data answered with a body that is not a usable job record."""


@dataclass(frozen=True)
class JobSnapshot:
    """What Bright Data reported about one job at one poll. Every field but id and status may be missing."""

    job_id: str
    status: str
    collector: str | None = None
    template: str | None = None
    inputs: int | None = None
    dup_inputs: int | None = None
    lines: int | None = None
    fails: int | None = None
    pages: int | None = None
    pages_left: int | None = None
    success: int | None = None
    navigations: int | None = None
    created: str | None = None
    started: str | None = None
    finished: str | None = None
    trigger: str | None = None
    success_rate: float | None = None
    job_time_ms: int | None = None
    queue_time_ms: int | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def rate(self) -> float | None:
        """The success rate: `success_rate` as reported, else success / inputs, else None."""
        if self.success_rate is not None:
            return self.success_rate
        if self.success is not None and self.inputs:
            return min(1.0, self.success / self.inputs)
        return None

    @property
    def judged_rate(self) -> float | None:
        """The rate the alert rules judge. A finished job: its final rate. A running job: success over the inputs
        processed so far, since a running job's success / inputs only grows towards its final value."""
        if self.status == "running" and self.success is not None and self.fails is not None:
            return self.success / self.processed if self.processed else None
        return self.rate

    @property
    def processed(self) -> int:
        """Inputs that have an outcome so far (succeeded or failed)."""
        return (self.success or 0) + (self.fails or 0)

    @property
    def progress(self) -> tuple[object, ...]:
        """The fields whose change means the job moved; equal progress on two polls means no progress."""
        return (self.status, self.pages_left, self.lines, self.success, self.fails, self.inputs)

    def started_at(self) -> datetime | None:
        """When the job started running (or was created, if it has not started), if Bright Data said."""
        return parse_time(self.started) or parse_time(self.created)

    def material(self) -> dict[str, Any]:
        """The fields whose change is worth a write: all but the clock-driven running times."""
        return {k: v for k, v in self.to_dict().items() if k not in ("job_time_ms", "queue_time_ms")}

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSnapshot:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for key in (*_INT_FIELDS, "job_time_ms", "queue_time_ms"):
            if values.get(key) is not None:
                values[key] = int(values[key])
        if values.get("success_rate") is not None:
            values["success_rate"] = float(values["success_rate"])
        return cls(**values)


def parse_job(job_id: str, body: bytes | str) -> JobSnapshot:
    """Parse a /dca/log body for `job_id`; raise BadResponseError saying what is wrong with it."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper than Python's stack
        raise BadResponseError(f"body is not JSON ({len(body)} bytes)") from None
    if not isinstance(data, dict):
        raise BadResponseError(f"body is JSON {type(data).__name__}, expected an object")
    # One version of the API reference capitalises keys (Status, Success_rate): accept both, prefer lower case.
    record: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(key, str) and (key.lower() not in record or key.islower()):
            record[key.lower()] = value
    reported_id = record.get("id")
    if reported_id is not None and reported_id != job_id:
        raise BadResponseError(f"body describes job {str(reported_id)[:40]!r}, not {job_id}")
    status = record.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        raise BadResponseError(f"field 'status' is {_short(status)}, expected one of {', '.join(sorted(STATUSES))}")
    values: dict[str, Any] = {"job_id": job_id, "status": status}
    for key in _INT_FIELDS + tuple(_RENAMED):
        values[_RENAMED.get(key, key)] = _count(record, key)
    for key in _TEXT_FIELDS:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise BadResponseError(f"field {key!r} is {_short(value)}, expected text")
        values[key] = value
    values["success_rate"] = _rate(record)
    return JobSnapshot(**values)


def parse_time(value: str | None) -> datetime | None:
    """Parse Bright Data's ISO-8601 timestamps (`2025-04-28T13:22:17.502Z`); None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # A time without a zone is UTC, as Bright Data's are: never the local zone of whoever runs the code.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count(record: dict[str, Any], key: str) -> int | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadResponseError(f"field {key!r} is {_short(value)}, expected a whole number >= 0")
    if value < 0 or value != int(value) or value > MAX_COUNT:
        raise BadResponseError(f"field {key!r} is {_short(value)}, expected a whole number from 0 to {MAX_COUNT:.0e}")
    return int(value)


def _rate(record: dict[str, Any]) -> float | None:
    value = record.get("success_rate")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise BadResponseError(f"field 'success_rate' is {_short(value)}, expected a fraction from 0 to 1")
    return round(float(value), RATE_DIGITS)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

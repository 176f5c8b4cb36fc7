"""The alert model: what happened to which job, how bad, and why. Stored as JSON, rendered by the notifiers."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from jobwatch.snapshot import JobSnapshot

SCHEMA_VERSION = 1


class Kind(StrEnum):
    FAILED = "job_failed"
    CANCELLED = "job_cancelled"
    LOW_RATE = "low_success_rate"
    RECOVERED = "success_rate_recovered"
    STUCK = "job_stuck"
    STALLED = "job_stalled"
    DONE = "job_done"
    NOT_FOUND = "job_not_found"
    TOKEN_REJECTED = "token_rejected"


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"
    RESOLVED = "resolved"


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.RESOLVED: 2, Severity.INFO: 3}
# Kinds whose message gains from the job's per-input errors (GET /dca/jobs/{id}/hp_errors).
EXPLAINED_KINDS = frozenset({Kind.FAILED, Kind.LOW_RATE})


@dataclass(frozen=True)
class ErrorSummary:
    """One per-input error code of a job: how often it occurred and one example message."""

    code: str
    count: int
    example: str


@dataclass(frozen=True)
class Alert:
    """One notification about one job (or about the monitor itself, when job_id is None)."""

    alert_id: str
    kind: Kind
    severity: Severity
    job_id: str | None
    summary: str
    created_at: str
    old_status: str | None = None
    snapshot: JobSnapshot | None = None
    label: str | None = None
    threshold: float | None = None
    refers_to: str | None = None
    job_url: str | None = None
    errors: tuple[ErrorSummary, ...] = ()
    errors_note: str | None = None
    muted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def collector(self) -> str | None:
        return self.snapshot.collector if self.snapshot else None

    @property
    def new_status(self) -> str | None:
        return self.snapshot.status if self.snapshot else None

    def with_errors(self, errors: tuple[ErrorSummary, ...], note: str | None) -> Alert:
        return replace(self, errors=errors, errors_note=note)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON document (schema version SCHEMA_VERSION) sent to SNS subscribers and stored."""
        data = asdict(self)
        data["snapshot"] = self.snapshot.to_dict() if self.snapshot else None
        data["collector"] = self.collector
        data["new_status"] = self.new_status
        data["schema_version"] = SCHEMA_VERSION
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        snapshot = data.get("snapshot")
        return cls(
            alert_id=data["alert_id"],
            kind=Kind(data["kind"]),
            severity=Severity(data["severity"]),
            job_id=data.get("job_id"),
            summary=data["summary"],
            created_at=data["created_at"],
            old_status=data.get("old_status"),
            snapshot=JobSnapshot.from_dict(snapshot) if snapshot else None,
            label=data.get("label"),
            threshold=data.get("threshold"),
            refers_to=data.get("refers_to"),
            job_url=data.get("job_url"),
            errors=tuple(ErrorSummary(**e) for e in data.get("errors") or ()),
            errors_note=data.get("errors_note"),
            muted=bool(data.get("muted", False)),
            extra=dict(data.get("extra") or {}),
        )

    @classmethod
    def from_json(cls, text: str) -> Alert:
        return cls.from_dict(json.loads(text))

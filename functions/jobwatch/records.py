"""In-memory views of the table's items: a tracked job (the monitor's own item has the same shape), a collector."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from jobwatch.alerts import Alert
from jobwatch.engine import JobState
from jobwatch.snapshot import JobSnapshot

MONITOR_KEY = "#monitor"
COLLECTOR_PREFIX = "collector#"
HISTORY_LIMIT = 20


@dataclass(frozen=True)
class PendingAlert:
    """An alert decided and stored, still owed to some channels."""

    alert: Alert
    channels: tuple[str, ...]
    attempts: int = 0
    last_error: str | None = None

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "alert": self.alert.to_json(),
            "channels": list(self.channels),
            "attempts": self.attempts,
        }
        if self.last_error:
            item["last_error"] = self.last_error
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PendingAlert:
        return cls(
            alert=Alert.from_json(item["alert"]),
            channels=tuple(item.get("channels") or ()),
            attempts=int(item.get("attempts", 0)),
            last_error=item.get("last_error"),
        )


@dataclass(frozen=True)
class JobRecord:
    """One tracked job as stored. `version` guards every write the monitor makes (optimistic concurrency)."""

    job_id: str
    version: int = 0
    active: bool = True
    label: str | None = None
    collector: str | None = None
    rules: dict[str, Any] = field(default_factory=dict)
    snapshot: JobSnapshot | None = None
    state: JobState = field(default_factory=JobState)
    pending: dict[str, PendingAlert] = field(default_factory=dict)
    history: tuple[dict[str, Any], ...] = ()
    polled_at: float | None = None
    tracked_at: float | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
    last_error: str | None = None
    source: str | None = None
    untracked: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def leased_by_other(self, owner: str, now: float) -> bool:
        return self.lease_owner not in (None, owner) and self.lease_until is not None and self.lease_until > now

    def with_history(self, *entries: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        return (self.history + tuple(entries))[-HISTORY_LIMIT:]

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> JobRecord:
        snapshot = item.get("snapshot")
        return cls(
            job_id=item["job_id"],
            version=int(item.get("version", 0)),
            active=item.get("active") == "job",
            label=item.get("label"),
            collector=item.get("collector") or (snapshot or {}).get("collector"),
            rules=dict(item.get("rules") or {}),
            snapshot=JobSnapshot.from_dict(snapshot) if snapshot else None,
            state=JobState.from_dict(item.get("state")),
            pending={key: PendingAlert.from_item(value) for key, value in (item.get("pending") or {}).items()},
            history=tuple(item.get("history") or ()),
            polled_at=_float(item.get("polled_at")),
            tracked_at=_float(item.get("tracked_at")),
            lease_owner=item.get("lease_owner"),
            lease_until=_float(item.get("lease_until")),
            last_error=item.get("last_error"),
            source=item.get("source"),
            untracked=bool(item.get("untracked", False)),
            meta=dict(item.get("meta") or {}),
        )

    def evolve(self, **changes: Any) -> JobRecord:
        return replace(self, **changes)


@dataclass(frozen=True)
class CollectorRecord:
    """A watched collector: its rules apply to its jobs, and discovery tracks its new jobs."""

    collector_id: str
    rules: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return COLLECTOR_PREFIX + self.collector_id

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> CollectorRecord:
        return cls(
            collector_id=item["job_id"].removeprefix(COLLECTOR_PREFIX),
            rules=dict(item.get("rules") or {}),
        )


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None

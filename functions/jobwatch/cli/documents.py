"""The JSON documents `jobwatch list --json` and `jobwatch show --json` print: stable keys, ISO-8601 times."""

from __future__ import annotations

from typing import Any

from jobwatch.cli.views import JobDetail, JobRow, RuleValue
from jobwatch.engine import iso


def row_document(row: JobRow) -> dict[str, Any]:
    record, snap = row.record, row.record.snapshot
    return {
        "job_id": record.job_id,
        "label": record.label,
        "collector": record.collector,
        "tracking": row.tracking,
        "status": row.status,
        "success_rate": snap.judged_rate if snap else None,
        "success": snap.success if snap else None,
        "inputs": snap.inputs if snap else None,
        "polled_at": _iso(record.polled_at),
        "pending": len(record.pending),
        "muted_until": _iso(row.muted_until),
        "last_alert": row.last_alert,
    }


def detail_document(view: JobDetail) -> dict[str, Any]:
    record = view.row.record
    job = row_document(view.row)
    job.update(
        tracked_at=_iso(record.tracked_at),
        source=record.source,
        collector_watched=view.collector_watched,
        last_error=record.last_error,
    )
    return {
        "job": job,
        "snapshot": record.snapshot.to_dict() if record.snapshot else None,
        "rules": rules_document(view.rules),
        "pending": [
            {
                "alert_id": p.alert.alert_id,
                "kind": p.alert.kind.value,
                "severity": p.alert.severity.value,
                "summary": p.alert.summary,
                "at": p.alert.created_at,
                "channels": list(p.channels),
                "attempts": p.attempts,
                "last_error": p.last_error,
            }
            for p in record.pending.values()
        ],
        "history": list(record.history),
    }


def rules_document(rules: list[RuleValue]) -> dict[str, Any]:
    return {
        r.name: {"value": list(r.value) if isinstance(r.value, tuple) else r.value, "source": r.source} for r in rules
    }


def _iso(epoch: float | None) -> str | None:
    return iso(epoch) if epoch is not None else None

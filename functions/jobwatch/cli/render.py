"""How the CLI prints jobs: a plain-text table, a detail page, and the same data as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobwatch.cli.views import JobDetail, JobRow, RuleValue
from jobwatch.engine import iso

COLUMNS = ("JOB", "LABEL / COLLECTOR", "STATUS", "RATE", "SUCCESS/INPUTS", "POLLED", "ALERTS")
NAME_WIDTH = 32


def table(rows: Sequence[JobRow], now: float) -> str:
    """`jobwatch list`: one line a job, columns padded to their widest cell."""
    cells = [COLUMNS, *(_cells(row, now) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells]
    return "\n".join(lines)


def _cells(row: JobRow, now: float) -> tuple[str, ...]:
    record, snap = row.record, row.record.snapshot
    name = record.label or record.collector or "-"
    status = row.status or "not polled yet"
    if row.tracking == "untracked":
        status = f"{row.status} (untracked)" if row.status else "untracked"
    rate = snap.judged_rate if snap else None  # what the rules judge: of a running job, success / processed
    counts = f"{_n(snap.success)}/{_n(snap.inputs)}" if snap and (snap.success, snap.inputs) != (None, None) else "-"
    return (
        record.job_id,
        name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…",
        status,
        f"{rate:.1%}" if rate is not None else "-",
        counts,
        age(record.polled_at, now),
        alert_state(row, now),
    )


def alert_state(row: JobRow, now: float) -> str:
    """Pending deliveries first, then a mute in force, then the last alert; `ok` when there never was one."""
    parts = []
    if row.record.pending:
        parts.append(f"{len(row.record.pending)} pending")
    if row.muted_until is not None:
        parts.append(f"muted for {span(row.muted_until - now)}")
    last = row.last_alert
    if last is not None and not row.record.pending:
        parts.append(f"{last['kind']} {'muted' if last.get('muted') else 'sent'}")
    return ", ".join(parts) or "ok"


def detail(view: JobDetail, now: float) -> str:
    """`jobwatch show`: the job, its latest snapshot, its effective rules, pending alerts and history."""
    record, row = view.row.record, view.row
    collector = record.collector or "-"
    if record.collector:
        collector += " (watched)" if view.collector_watched else " (not watched: its rules do not apply)"
    lines = [f"Job {record.job_id}" + (f" — {record.label}" if record.label else "")]
    lines += _pairs(
        [
            ("collector", collector),
            ("tracking", f"{row.tracking}, since {_when(record.tracked_at)} (by {record.source or 'unknown'})"),
            ("status", row.status or "not polled yet"),
            ("last polled", f"{_when(record.polled_at)} ({age(record.polled_at, now)})"),
            ("alerts", alert_state(row, now)),
        ]
    )
    snapshot = record.snapshot.to_dict() if record.snapshot else {}
    snapshot.pop("job_id", None)
    lines += ["", "Latest snapshot", *(_pairs(list(snapshot.items())) if snapshot else ["  (not polled yet)"])]
    lines += ["", "Effective rules (default -> collector -> job)", *rule_lines(view.rules, now)]
    lines += ["", "Pending alerts", *(_pending_lines(record.pending.values()) or ["  none"])]
    lines += ["", "Alert history", *([_history_line(h) for h in record.history] or ["  none"])]
    return "\n".join(lines)


def rule_lines(rules: Sequence[RuleValue], now: float) -> list[str]:
    shown = [(r.name, rule_text(r, now), r.source) for r in rules]
    width = max(len(text) for _, text, _ in shown)
    return [f"  {name:<20}{text:<{width}}  {source}" for name, text, source in shown]


def rule_text(rule: RuleValue, now: float) -> str:
    value = rule.value
    if rule.name == "mute_until":
        return "-" if value is None else f"{iso(value)} ({'in ' + span(value - now) if value > now else 'ended'})"
    if rule.name == "channels":
        return ",".join(value) or "all configured"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if rule.name in ("min_success_rate", "recovery_margin"):
        return f"{value:g} ({value:.0%})"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _pending_lines(pending: Any) -> list[str]:
    lines = []
    for owed in pending:
        alert = owed.alert
        note = f"attempt {owed.attempts}" + (f", last error: {owed.last_error}" if owed.last_error else "")
        lines.append(f"  {alert.created_at}  {alert.severity.value:<8}  {alert.summary}")
        lines.append(f"    owed to {', '.join(owed.channels)} ({note})  [{alert.alert_id}]")
    return lines


def _history_line(entry: dict[str, Any]) -> str:
    if entry.get("muted"):
        fate = "muted, not delivered"
    else:
        fate = "delivered to " + (", ".join(entry.get("delivered") or []) or "nobody")
        if entry.get("failed"):
            fate += "; gave up on " + ", ".join(entry["failed"])
    return f"  {entry.get('at', '?')}  {entry.get('severity', '?'):<8}  {entry.get('summary', '')}  ({fate})"


def _pairs(pairs: list[tuple[str, Any]]) -> list[str]:
    width = max(len(name) for name, _ in pairs) + 2
    return [f"  {name:<{width}}{value}" for name, value in pairs]


def age(epoch: float | None, now: float) -> str:
    return "never" if epoch is None else f"{span(now - epoch)} ago"


def span(seconds: float) -> str:
    """A short human duration: `45s`, `12m`, `3h 5m`, `2d 4h`."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return f"{minutes}m"
    if hours < 24:
        return f"{hours}h {minutes % 60}m" if minutes % 60 else f"{hours}h"
    return f"{days}d {hours % 24}h" if hours % 24 else f"{days}d"


def _when(epoch: float | None) -> str:
    return iso(epoch) if epoch is not None else "unknown"


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)

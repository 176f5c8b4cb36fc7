"""The rule engine: previous state + new snapshot + rules -> new state + alerts. Pure: no I/O, no clock reads."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from jobwatch.alerts import Alert, Kind, Severity
from jobwatch.rules import Rules
from jobwatch.snapshot import JobSnapshot

_TERMINAL_ALERTS = {"failed": (Kind.FAILED, Severity.CRITICAL), "cancelled": (Kind.CANCELLED, Severity.WARNING)}


@dataclass(frozen=True)
class JobState:
    """What the engine remembers between polls so that every alert is edge-triggered. Lives in DynamoDB."""

    status_alerted: str | None = None
    low_rate: bool = False
    low_rate_crossings: int = 0
    stuck_alerted: bool = False
    stall_alerted: bool = False
    stalls: int = 0
    done_notified: bool = False
    changed_at: float | None = None
    terminal_alerts: int = 0  # failed/cancelled alerts so far: each gets an id of its own

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> JobState:
        if not data:
            return cls()
        return cls(
            status_alerted=data.get("status_alerted"),
            terminal_alerts=int(data.get("terminal_alerts", 0)),
            low_rate=bool(data.get("low_rate", False)),
            low_rate_crossings=int(data.get("low_rate_crossings", 0)),
            stuck_alerted=bool(data.get("stuck_alerted", False)),
            stall_alerted=bool(data.get("stall_alerted", False)),
            stalls=int(data.get("stalls", 0)),
            done_notified=bool(data.get("done_notified", False)),
            changed_at=float(data["changed_at"]) if data.get("changed_at") is not None else None,
        )


@dataclass(frozen=True)
class JobContext:
    """The facts about a job that are not in its snapshot: who labelled it, where to link, how often we poll."""

    job_id: str
    label: str | None = None
    job_url: str | None = None
    schedule_period_seconds: float = 300.0


@dataclass(frozen=True)
class Decision:
    state: JobState
    alerts: list[Alert] = field(default_factory=list)


def decide_alerts(
    ctx: JobContext, previous: JobSnapshot | None, state: JobState, snapshot: JobSnapshot, rules: Rules, now: float
) -> Decision:
    """Judge one new snapshot. Each rule fires once per edge; the returned state remembers which edges fired."""
    old_status = previous.status if previous else None
    moved = previous is None or previous.progress != snapshot.progress
    state = replace(state, changed_at=now if moved or state.changed_at is None else state.changed_at)
    alerts: list[Alert] = []

    def emit(kind: Kind, severity: Severity, summary: str, n: int = 1, **extra: Any) -> None:
        alerts.append(
            Alert(
                alert_id=f"{ctx.job_id}/{kind.value}/{n}",
                kind=kind,
                severity=severity,
                job_id=ctx.job_id,
                summary=summary,
                created_at=iso(now),
                old_status=old_status,
                snapshot=snapshot,
                label=ctx.label,
                threshold=rules.min_success_rate,
                job_url=ctx.job_url,
                muted=rules.muted(now),
                **extra,
            )
        )

    if snapshot.status in _TERMINAL_ALERTS and state.status_alerted != snapshot.status:
        kind, severity = _TERMINAL_ALERTS[snapshot.status]
        n = state.terminal_alerts + 1
        emit(kind, severity, f"Job {ctx.job_id} {snapshot.status}" + _was(old_status, snapshot.status), n)
        state = replace(state, status_alerted=snapshot.status, terminal_alerts=n)
    state = _judge_rate(ctx, state, snapshot, rules, emit)
    state = _judge_time(state, snapshot, rules, now, ctx, emit)
    if rules.notify_done and snapshot.status == "done" and not state.low_rate and not state.done_notified:
        emit(Kind.DONE, Severity.INFO, f"Job {ctx.job_id} finished" + _rate_text(snapshot))
        state = replace(state, done_notified=True)
    return Decision(state=state, alerts=alerts)


def _judge_rate(ctx: JobContext, state: JobState, snapshot: JobSnapshot, rules: Rules, emit: Any) -> JobState:
    rate = snapshot.judged_rate
    meaningful = snapshot.status == "done" or (
        snapshot.status == "running" and snapshot.processed >= max(rules.min_inputs, 1)
    )
    if rate is None or not meaningful:
        return state
    threshold = rules.min_success_rate
    if not state.low_rate and rate < threshold:
        n = state.low_rate_crossings + 1
        emit(Kind.LOW_RATE, Severity.WARNING, f"Job {ctx.job_id} success rate {rate:.0%} is below {threshold:.0%}", n)
        return replace(state, low_rate=True, low_rate_crossings=n)
    # Hysteresis: recover only clearly above the threshold, or when the job finished at or above it.
    recovered = rate >= threshold + rules.recovery_margin or (snapshot.status == "done" and rate >= threshold)
    if state.low_rate and recovered:
        n = state.low_rate_crossings
        summary = f"Job {ctx.job_id} success rate recovered to {rate:.0%} (threshold {threshold:.0%})"
        emit(Kind.RECOVERED, Severity.RESOLVED, summary, n, refers_to=f"{ctx.job_id}/{Kind.LOW_RATE.value}/{n}")
        return replace(state, low_rate=False)
    return state


def _judge_time(
    state: JobState, snapshot: JobSnapshot, rules: Rules, now: float, ctx: JobContext, emit: Any
) -> JobState:
    if snapshot.terminal:
        return state
    started = snapshot.started_at()
    if started is not None and not state.stuck_alerted:
        minutes = (now - started.timestamp()) / 60
        if minutes > rules.max_running_minutes:
            limit = rules.max_running_minutes
            emit(
                Kind.STUCK,
                Severity.WARNING,
                f"Job {ctx.job_id} {snapshot.status} for {minutes:.0f} min (limit {limit:.0f})",
            )
            state = replace(state, stuck_alerted=True)
    if snapshot.status != "running" or state.changed_at is None:
        return state
    quiet_polls = int((now - state.changed_at) / ctx.schedule_period_seconds + 1e-6)
    if quiet_polls == 0 and state.stall_alerted:
        return replace(state, stall_alerted=False)
    if quiet_polls >= rules.stall_polls and not state.stall_alerted:
        n = state.stalls + 1
        emit(Kind.STALLED, Severity.WARNING, f"Job {ctx.job_id} made no progress for {quiet_polls} polls", n)
        state = replace(state, stall_alerted=True, stalls=n)
    return state


def _was(old: str | None, new: str) -> str:
    return f" (was {old})" if old and old != new else ""


def _rate_text(snapshot: JobSnapshot) -> str:
    return f", success rate {snapshot.rate:.0%}" if snapshot.rate is not None else ""


def iso(epoch: float) -> str:
    """Epoch seconds -> `2025-04-28T13:22:17Z`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

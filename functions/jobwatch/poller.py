"""One job, one poll: fetch, judge, and store the new snapshot together with the alerts it causes.

The alerts and the snapshot land in one conditional write; delivery happens later, from what was stored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools import Logger

from jobwatch.alerts import EXPLAINED_KINDS, Alert, ErrorSummary, Kind, Severity
from jobwatch.brightdata import (
    BrightDataClient,
    BrightDataError,
    JobNotFoundError,
    RateLimitedError,
    TokenRejectedError,
)
from jobwatch.control import RunControl
from jobwatch.engine import JobContext, decide_alerts, iso
from jobwatch.polling import is_due, seen_refresh_due
from jobwatch.records import JobRecord, PendingAlert
from jobwatch.snapshot import BadResponseError, JobSnapshot
from jobwatch.store import Store

logger = Logger(child=True)
TOP_ERRORS = 5
NOT_FOUND = "not found (404)"


@dataclass(frozen=True)
class JobOutcome:
    """What one job's turn in a run came to. `record` is set when it holds alerts this run must deliver."""

    job_id: str
    result: str  # polled | unchanged | not_found | error | skipped | left_over | contended | not_due
    record: JobRecord | None = None
    alert_kinds: tuple[str, ...] = ()  # the kinds of the alerts this poll raised
    error: str | None = None
    collector: str | None = None
    rate: float | None = None


def poll_one(record: JobRecord, client: BrightDataClient, store: Store, ctl: RunControl) -> JobOutcome:
    """Poll `record`'s job unless the run has stopped, and store what changed. Never raises for a job fault."""
    now = ctl.clock()
    if record.leased_by_other(ctl.run_id, now):
        return JobOutcome(record.job_id, "skipped")
    if retiring(record):
        return _hold_pending(record, store, ctl, "skipped")
    if ctl.stopped or not ctl.time_left():
        return _hold_pending(record, store, ctl, "left_over")
    if not is_due(record, now, ctl.settings):
        return _hold_pending(record, store, ctl, "not_due")
    fetched = _fetch(record, client, store, ctl)
    if isinstance(fetched, JobOutcome):
        return fetched
    return _judge_and_store(record, fetched, client, store, ctl, now)


def _fetch(record: JobRecord, client: BrightDataClient, store: Store, ctl: RunControl) -> JobSnapshot | JobOutcome:
    """The job's new snapshot, or the outcome of a poll that did not give one."""
    try:
        return client.fetch_job(record.job_id)
    except JobNotFoundError:
        return _not_found(record, store, ctl)
    except TokenRejectedError as exc:
        if ctl.stop("token_rejected"):
            logger.error("Bright Data rejected the API token; stopping this run", job_id=record.job_id, error=str(exc))
        return _hold_pending(record, store, ctl, "left_over")
    except RateLimitedError as exc:
        if ctl.stop("rate_limited", exc.retry_after):
            logger.warning("Bright Data answered 429; no more requests this run", job_id=record.job_id, error=str(exc))
        return _hold_pending(record, store, ctl, "left_over")
    except (BrightDataError, BadResponseError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("poll failed; keeping the last snapshot", job_id=record.job_id, error=error)
        held = _hold_pending(record, store, ctl, "error")
        return JobOutcome(record.job_id, "error", held.record, error=error)


def _judge_and_store(
    record: JobRecord, snapshot: JobSnapshot, client: BrightDataClient, store: Store, ctl: RunControl, now: float
) -> JobOutcome:
    # A job tracked by hand learns its collector from its first snapshot: that poll is judged by its rules too.
    rules = ctl.rules_for(record.evolve(collector=snapshot.collector or record.collector))
    job_ctx = JobContext(
        job_id=record.job_id,
        label=record.label,
        job_url=_job_url(ctl, record.job_id, snapshot.collector),
        schedule_period_seconds=ctl.settings.schedule_period_minutes * 60,
    )
    decision = decide_alerts(job_ctx, record.snapshot, record.state, snapshot, rules, now)
    alerts = [_explain(alert, client, ctl) for alert in decision.alerts]
    channels = _channels(rules.channels, ctl.settings.channels)
    pending = dict(record.pending)
    pending.update({a.alert_id: PendingAlert(a, channels) for a in alerts if not a.muted})
    muted = [history_entry(a, delivered=(), muted=True) for a in alerts if a.muted]
    moved = record.snapshot is None or snapshot.material() != record.snapshot.material()
    changed = moved or decision.state != record.state or bool(alerts)
    after = record.evolve(
        snapshot=snapshot,
        state=decision.state,
        pending=pending,
        history=record.with_history(*muted),
        polled_at=now,
        last_error=None,
        collector=snapshot.collector or record.collector,
    )
    outcome = dict(collector=snapshot.collector or record.collector, rate=snapshot.rate)
    if not changed and not pending and record.last_error is None and not seen_refresh_due(record, now, ctl.settings):
        return JobOutcome(record.job_id, "unchanged", **outcome)  # type: ignore[arg-type]
    written = _write(record, after, store, ctl, deactivate=snapshot.terminal)
    if written is None:
        return JobOutcome(record.job_id, "contended")
    result = "polled" if changed else "unchanged"
    return JobOutcome(record.job_id, result, written if written.pending else None, _kinds(alerts), **outcome)  # type: ignore[arg-type]


def retiring(record: JobRecord) -> bool:
    """Whether the job is done being polled: finished, or gone from Bright Data. It leaves the active index once
    its pending alerts are delivered."""
    return (record.snapshot is not None and record.snapshot.terminal) or record.last_error == NOT_FOUND


def history_entry(
    alert: Alert, delivered: tuple[str, ...], muted: bool = False, failed: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A short line of the job's alert history, kept on its item for `jobwatch show`."""
    entry: dict[str, Any] = {
        "alert_id": alert.alert_id,
        "kind": alert.kind.value,
        "severity": alert.severity.value,
        "summary": alert.summary,
        "at": alert.created_at,
        "delivered": list(delivered),
    }
    if muted:
        entry["muted"] = True
    if failed:
        entry["failed"] = list(failed)
    return entry


def _write(before: JobRecord, after: JobRecord, store: Store, ctl: RunControl, deactivate: bool) -> JobRecord | None:
    """Conditional write; takes the lease when alerts are pending. None when another run got there first."""
    now = ctl.clock()
    if after.pending:
        after = after.evolve(lease_owner=ctl.run_id, lease_until=ctl.lease_until())
    else:
        after = after.evolve(lease_owner=None, lease_until=None)
    expires = now + ctl.settings.ttl_days * 86400 if deactivate and not after.pending else None
    if not store.save(before, after, ctl.run_id, now, expires_at=expires):
        logger.info("another run changed this job first; leaving it to that run", job_id=before.job_id)
        return None
    return after.evolve(version=before.version + 1, active=after.active and expires is None)


def _hold_pending(record: JobRecord, store: Store, ctl: RunControl, result: str) -> JobOutcome:
    """No poll this time, but alerts still owed are leased for delivery in this run."""
    if not record.pending:
        return JobOutcome(record.job_id, result)
    written = _write(record, record, store, ctl, deactivate=False)
    return JobOutcome(record.job_id, result, written)


def _not_found(record: JobRecord, store: Store, ctl: RunControl) -> JobOutcome:
    now = ctl.clock()
    rules = ctl.rules_for(record)
    alert = Alert(
        alert_id=f"{record.job_id}/{Kind.NOT_FOUND.value}/1",
        kind=Kind.NOT_FOUND,
        severity=Severity.INFO,
        job_id=record.job_id,
        summary=f"Job {record.job_id} is unknown to Bright Data or expired (kept 16 days); no longer tracked",
        created_at=iso(now),
        old_status=record.snapshot.status if record.snapshot else None,
        snapshot=record.snapshot,
        label=record.label,
        job_url=_job_url(ctl, record.job_id, record.collector),
        muted=rules.muted(now),
    )
    pending = dict(record.pending)
    history = record.history
    if alert.muted:
        history = record.with_history(history_entry(alert, (), muted=True))
    else:
        pending[alert.alert_id] = PendingAlert(alert, _channels(rules.channels, ctl.settings.channels))
    after = record.evolve(pending=pending, history=history, polled_at=now, last_error=NOT_FOUND, active=False)
    logger.info("job not found at Bright Data; no longer tracking it", job_id=record.job_id)
    written = _write(record, after, store, ctl, deactivate=not pending)
    if written is None:
        return JobOutcome(record.job_id, "contended")
    kinds = () if alert.muted else (alert.kind.value,)
    return JobOutcome(record.job_id, "not_found", written if written.pending else None, kinds)


def _explain(alert: Alert, client: BrightDataClient, ctl: RunControl) -> Alert:
    """Add the job's top per-input error codes to failure and low-rate alerts; say so when they can't be had."""
    if alert.kind not in EXPLAINED_KINDS or alert.job_id is None:
        return alert
    if ctl.stopped:
        return alert.with_errors((), "per-input errors not fetched: the run stopped early (rate limit or token)")
    try:
        records = client.fetch_errors(alert.job_id)
    except RateLimitedError as exc:
        ctl.stop("rate_limited", exc.retry_after)
        return alert.with_errors((), "per-input errors not fetched: Bright Data rate limit (429)")
    except (BrightDataError, BadResponseError) as exc:
        return alert.with_errors((), f"per-input errors could not be fetched ({type(exc).__name__})")
    if not records:
        return alert.with_errors((), "no per-input errors recorded (they are kept for high-priority jobs only)")
    return alert.with_errors(summarize_errors(records), None)


def summarize_errors(records: list[dict[str, Any]]) -> tuple[ErrorSummary, ...]:
    """The TOP_ERRORS most frequent error codes with counts and the first message seen for each."""
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for record in records:
        code = str(record.get("error_code") or record.get("code") or "unknown")[:60]
        counts[code] += 1
        examples.setdefault(code, str(record.get("error") or record.get("message") or "")[:500])
    return tuple(ErrorSummary(code, n, examples[code]) for code, n in counts.most_common(TOP_ERRORS))


def _kinds(alerts: list[Alert]) -> tuple[str, ...]:
    return tuple(alert.kind.value for alert in alerts)


def _channels(wanted: tuple[str, ...], configured: tuple[str, ...]) -> tuple[str, ...]:
    # A rule naming a channel this deployment lacks must not swallow the alert: fall back to what exists.
    return tuple(c for c in wanted if c in configured) or configured


def _job_url(ctl: RunControl, job_id: str, collector: str | None) -> str | None:
    template = ctl.settings.job_url_template
    if not template:
        return None
    # The collector comes from Bright Data's answer: quoted, it can add no path, query or line to the link.
    return template.replace("{job_id}", job_id).replace("{collector}", quote(collector or "", safe=""))

"""One monitoring run: read the work list, poll jobs concurrently, deliver what they owe, remember the run."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from jobwatch.alerts import Alert, Kind, Severity
from jobwatch.brightdata import BrightDataClient
from jobwatch.control import RunControl
from jobwatch.delivery import deliver_all
from jobwatch.discovery import discover
from jobwatch.engine import iso
from jobwatch.ids import InvalidIdError, validate_job_id
from jobwatch.notify import Notifier
from jobwatch.poller import JobOutcome, poll_one
from jobwatch.records import JobRecord, PendingAlert
from jobwatch.settings import Settings
from jobwatch.store import Store

logger = Logger(child=True)
DEFAULT_RETRY_AFTER = 60.0  # a 429 without Retry-After: wait at least this long before calling again


@dataclass(frozen=True)
class Monitor:
    """The adapters one run works with; built once per Lambda container (or CLI process)."""

    settings: Settings
    store: Store
    brightdata: BrightDataClient
    notifiers: Sequence[Notifier]
    on_token_rejected: Callable[[], None] = lambda: None  # e.g. drop cached secrets so a rotated token is read


@dataclass
class RunSummary:
    run_id: str
    polled: int = 0
    changed: int = 0
    alerts: int = 0
    sent: int = 0
    delivery_failures: int = 0
    abandoned: int = 0
    ack_failures: int = 0  # deliveries whose acknowledging write failed: they may be sent again
    state_write_failures: int = 0  # the monitor's own item (backoff, cursor) could not be written
    errors: int = 0
    left_over: int = 0
    skipped: int = 0
    not_found: int = 0
    discovered: int = 0
    rate_limited: bool = False
    token_rejected: bool = False
    concurrency: int = 0
    duration_ms: int = 0
    error_ids: list[str] = field(default_factory=list)
    alert_kinds: dict[str, int] = field(default_factory=dict)  # alerts raised this run, by kind
    rates: list[tuple[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The handler's short answer: counts and flags, without the per-job detail."""
        data = asdict(self)
        data.pop("rates")
        data["error_ids"] = self.error_ids[:20]
        return data


def run(
    monitor: Monitor,
    job_ids: Sequence[object] | None = None,
    clock: Callable[[], float] = time.time,
    remaining_seconds: Callable[[], float] = lambda: 900.0,
    run_id: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Poll the due active jobs (or just `job_ids`), store snapshots and alerts, deliver, and summarize.
    `progress(done, total)` is called from the worker threads after each job (the CLI's progress line)."""
    started = time.monotonic()
    settings, store = monitor.settings, monitor.store
    summary = RunSummary(run_id=run_id or uuid.uuid4().hex[:12])
    ctl = RunControl(summary.run_id, settings, clock, remaining_seconds)
    me = store.monitor()
    ctl.collector_rules = {c.collector_id: c.rules for c in store.collectors()}
    now = clock()
    wait_until = float(me.meta.get("rate_limited_until") or 0)
    if now < wait_until:
        ctl.stop("rate_limited_wait")
        logger.info("still inside Bright Data's Retry-After; only delivering pending alerts", until=iso(wait_until))
    cursor = me.meta.get("cursor")
    if job_ids is None:
        pages: Iterable[list[JobRecord]] = store.active_job_pages(cursor if isinstance(cursor, str) else None)
    else:
        pages = [_rotate(_on_demand(store, job_ids, now, summary), cursor)]
    summary.concurrency = _concurrency(me, settings)
    outcomes = _poll_all(monitor, ctl, pages, summary, discovering=job_ids is None, progress=progress)
    _count(summary, outcomes)
    summary.rate_limited = ctl.stop_reason in ("rate_limited", "rate_limited_wait")
    summary.token_rejected = ctl.stop_reason == "token_rejected"
    if summary.token_rejected:
        monitor.on_token_rejected()
    holders = [o.record for o in outcomes if o.record is not None and o.record.pending]
    me_now = _remember_run(me, store, ctl, summary, outcomes)
    if me_now is not None and me_now.pending:
        holders.append(me_now)
    report = deliver_all(holders, monitor.notifiers, store, ctl.run_id, clock, settings.group_limit, settings.ttl_days)
    summary.sent, summary.delivery_failures, summary.abandoned = report.sent, report.failed, report.abandoned
    summary.ack_failures = report.ack_failures
    summary.duration_ms = int((time.monotonic() - started) * 1000)
    logger.info("run finished", **summary.to_dict())
    return summary


def _poll_all(
    monitor: Monitor,
    ctl: RunControl,
    pages: Iterable[list[JobRecord]],
    summary: RunSummary,
    discovering: bool,
    progress: Callable[[int, int], None] | None,
) -> list[JobOutcome]:
    """Poll every job of `pages` (then the newly discovered ones) on the worker pool, in order. Workers start on
    the first page while the next ones load, so reading the work list adds little to the run."""
    total, done = [0], itertools.count(1)  # next() on a count is atomic: no two workers report the same number

    def poll(record: JobRecord) -> JobOutcome:
        outcome = _poll_safely(record, monitor, ctl)
        if progress is not None:
            progress(next(done), total[0])
        return outcome

    futures: list[Future[JobOutcome]] = []
    known: set[str] = set()
    with ThreadPoolExecutor(max_workers=summary.concurrency, thread_name_prefix="poll") as pool:
        for page in pages:
            total[0] += len(page)  # before submitting: a worker never reports more done than the total
            known.update(r.job_id for r in page)
            futures += [pool.submit(poll, record) for record in page]
        if discovering and not ctl.stopped:
            found = discover(monitor.brightdata, monitor.store, ctl, known)
            summary.discovered = len(found)
            total[0] += len(found)
            futures += [pool.submit(poll, record) for record in found]
        return [future.result() for future in futures]


def _poll_safely(record: JobRecord, monitor: Monitor, ctl: RunControl) -> JobOutcome:
    try:
        return poll_one(record, monitor.brightdata, monitor.store, ctl)
    except Exception as exc:
        logger.exception("job failed unexpectedly; the run goes on", job_id=record.job_id)
        return JobOutcome(record.job_id, "error", error=f"{type(exc).__name__}")


def _on_demand(store: Store, job_ids: Sequence[object], now: float, summary: RunSummary) -> list[JobRecord]:
    """The jobs an on-demand event names; ones not tracked yet start being tracked."""
    records = []
    for raw in dict.fromkeys(str(j) if not isinstance(j, str) else j for j in job_ids):
        try:
            job_id = validate_job_id(raw)
        except InvalidIdError as exc:
            logger.error("rejected a job id from the event", error=str(exc))
            summary.errors += 1
            summary.error_ids.append(str(raw)[:40])
            continue
        record = store.get_job(job_id)
        if record is None:
            store.create_job(job_id, {"tracked_at": now, "source": "on-demand"})
            record = store.get_job(job_id)
        if record is not None:
            records.append(record)
    return records


def _rotate(records: list[JobRecord], cursor: object) -> list[JobRecord]:
    """Jobs in id order, starting at the first job the previous run had no time for."""
    records.sort(key=lambda r: r.job_id)
    if isinstance(cursor, str):
        start = next((i for i, r in enumerate(records) if r.job_id >= cursor), 0)
        records = records[start:] + records[:start]
    return records


def _concurrency(me: JobRecord, settings: Settings) -> int:
    remembered = me.meta.get("concurrency")
    return max(1, min(settings.concurrency, int(remembered))) if remembered else settings.concurrency


def _count(summary: RunSummary, outcomes: list[JobOutcome]) -> None:
    for o in outcomes:
        summary.polled += o.result in ("polled", "unchanged", "not_found")
        summary.changed += o.result == "polled"
        summary.alerts += len(o.alert_kinds)
        for kind in o.alert_kinds:
            summary.alert_kinds[kind] = summary.alert_kinds.get(kind, 0) + 1
        summary.errors += o.result == "error"
        summary.left_over += o.result == "left_over"
        summary.skipped += o.result in ("skipped", "contended")
        summary.not_found += o.result == "not_found"
        if o.result == "error":
            summary.error_ids.append(o.job_id)
        if o.rate is not None and o.result in ("polled", "unchanged"):
            summary.rates.append((o.collector or "none", o.rate))


def _remember_run(
    me: JobRecord, store: Store, ctl: RunControl, summary: RunSummary, outcomes: list[JobOutcome]
) -> JobRecord | None:
    """Update the monitor's own item: concurrency (AIMD), Retry-After, resume cursor, the token alert."""
    meta = dict(me.meta)
    now = ctl.clock()
    limit = ctl.settings.concurrency
    current = _concurrency(me, ctl.settings)
    if ctl.stop_reason == "rate_limited":
        meta["concurrency"] = max(1, current // 2)
        meta["rate_limited_until"] = now + max(ctl.retry_after or 0.0, DEFAULT_RETRY_AFTER)
    elif summary.polled and current < limit:
        meta["concurrency"] = current + 1
    if meta.get("concurrency") == limit:
        meta.pop("concurrency")
    left = next((o.job_id for o in outcomes if o.result == "left_over"), None)
    meta["cursor"] = left if ctl.stop_reason != "token_rejected" else meta.get("cursor")
    pending = dict(me.pending)
    new_alerts = 0
    if summary.token_rejected and not meta.get("token_rejected"):
        alert = _token_alert(int(meta.get("token_alerts", 0)) + 1, now)
        pending[alert.alert_id] = PendingAlert(alert, ctl.settings.channels)
        meta.update(token_rejected=True, token_alerts=int(meta.get("token_alerts", 0)) + 1)
        new_alerts = 1
    elif summary.polled and meta.get("token_rejected"):
        meta["token_rejected"] = False
        logger.info("Bright Data accepts the API token again")
    meta = {k: v for k, v in meta.items() if v is not None}
    if meta == me.meta and not pending:
        return None
    after = me.evolve(meta=meta, pending=pending)
    if pending:
        after = after.evolve(lease_owner=ctl.run_id, lease_until=ctl.lease_until())
    try:
        saved = store.save(me, after, ctl.run_id, now)
    except (ClientError, BotoCoreError) as exc:
        # The jobs' own writes and deliveries stand; what is lost is this run's memory (backoff, cursor, the
        # token alert), which the next run rebuilds from what it meets. Deliveries must not wait on it.
        logger.error("could not update the monitor item; the run goes on", error=type(exc).__name__)
        summary.state_write_failures += 1
        return None
    if not saved:
        logger.info("another run updated the monitor item first")
        return None
    summary.alerts += new_alerts
    if new_alerts:
        summary.alert_kinds[Kind.TOKEN_REJECTED.value] = 1
    return after.evolve(version=me.version + 1)


def _token_alert(n: int, now: float) -> Alert:
    return Alert(
        alert_id=f"monitor/{Kind.TOKEN_REJECTED.value}/{n}",
        kind=Kind.TOKEN_REJECTED,
        severity=Severity.CRITICAL,
        job_id=None,
        summary="Bright Data rejected the API token (HTTP 401): polling is paused until the secret holds a valid token",
        created_at=iso(now),
    )

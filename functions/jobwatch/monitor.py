"""One monitoring run: read the work list, poll jobs concurrently, deliver what they owe, remember the run."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from jobwatch.brightdata import BrightDataClient
from jobwatch.control import RunControl
from jobwatch.delivery import deliver_all
from jobwatch.discovery import discover
from jobwatch.engine import iso
from jobwatch.ids import InvalidIdError, validate_job_id
from jobwatch.memory import concurrency, remember_run
from jobwatch.notify import Notifier
from jobwatch.poller import JobOutcome, poll_one
from jobwatch.records import JobRecord
from jobwatch.settings import Settings
from jobwatch.store import Store
from jobwatch.summary import RunSummary

logger = Logger(child=True)
__all__ = ["Monitor", "RunSummary", "run"]


@dataclass(frozen=True)
class Monitor:
    """The adapters one run works with; built once per Lambda container (or CLI process)."""

    settings: Settings
    store: Store
    brightdata: BrightDataClient
    notifiers: Sequence[Notifier]
    on_token_rejected: Callable[[], None] = lambda: None  # e.g. drop cached secrets so a rotated token is read


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
    summary.concurrency = concurrency(me, settings)
    outcomes = _poll_all(monitor, ctl, pages, summary, discovering=job_ids is None, progress=progress)
    summary.count(outcomes)
    summary.rate_limited = ctl.stop_reason in ("rate_limited", "rate_limited_wait")
    summary.token_rejected = ctl.stop_reason == "token_rejected"
    if summary.token_rejected:
        monitor.on_token_rejected()
    holders = [o.record for o in outcomes if o.record is not None and o.record.pending]
    me_now = remember_run(me, store, ctl, summary, outcomes)
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

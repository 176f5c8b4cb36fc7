"""Delivering stored alerts, then acknowledging them on their items.

Runs after every poll of the run, from records whose lease this run holds. Per channel, a run with more alerts
than `group_limit` sends one grouped message instead of a flood. A channel's failure never stops another.
A delivery that succeeded but whose acknowledging write then failed is sent again next run: the one window
in which jobwatch can duplicate an alert (see README, "Failure modes").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from jobwatch.notify import Delivery, Notifier
from jobwatch.poller import history_entry, retiring
from jobwatch.records import MONITOR_KEY, JobRecord, PendingAlert
from jobwatch.store import Store

logger = Logger(child=True)
MAX_ATTEMPTS = 288  # a day of five-minute runs; then the alert is dropped, logged and counted as abandoned


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    abandoned: int = 0
    ack_failures: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def deliver_all(
    records: Sequence[JobRecord],
    notifiers: Sequence[Notifier],
    store: Store,
    owner: str,
    clock: Callable[[], float],
    group_limit: int,
    ttl_days: int,
) -> DeliveryReport:
    """Send every pending alert of `records` on its channels, then write each record's outcome back."""
    report = DeliveryReport()
    outcomes: dict[tuple[str, str], Delivery] = {}  # (alert_id, channel) -> result
    for notifier in notifiers:
        owed = [p for r in records for p in r.pending.values() if notifier.channel in p.channels]
        if not owed:
            continue
        if len(owed) > group_limit:
            result = notifier.send_group([p.alert for p in owed])
            outcomes.update({(p.alert.alert_id, notifier.channel): result for p in owed})
        else:
            outcomes.update({(p.alert.alert_id, notifier.channel): notifier.send(p.alert) for p in owed})
    for record in records:
        _acknowledge(record, outcomes, store, owner, clock(), ttl_days, report)
    return report


def _acknowledge(
    record: JobRecord,
    outcomes: dict[tuple[str, str], Delivery],
    store: Store,
    owner: str,
    now: float,
    ttl_days: int,
    report: DeliveryReport,
) -> None:
    pending: dict[str, PendingAlert] = {}
    finished = []
    for alert_id, owed in record.pending.items():
        left: list[str] = []
        failed: list[str] = []
        done: list[str] = []
        errors: list[str] = []
        for channel in owed.channels:
            result = outcomes.get((alert_id, channel))
            if result is None:
                left.append(channel)  # no notifier for it this run
            elif result.ok:
                done.append(channel)
                report.sent += 1
                report.by_channel[channel] = report.by_channel.get(channel, 0) + 1
            else:
                errors.append(f"{channel}: {result.error}")
                give_up = not result.retry or owed.attempts + 1 >= MAX_ATTEMPTS
                (failed if give_up else left).append(channel)
                report.failed += 1
                report.abandoned += give_up
                log = logger.error if give_up else logger.warning
                log(
                    "delivery failed",
                    job_id=record.job_id,
                    alert_id=alert_id,
                    channel=channel,
                    error=result.error,
                    retry=not give_up,
                )
        if left:
            pending[alert_id] = PendingAlert(
                owed.alert, tuple(left), owed.attempts + 1, "; ".join(errors)[:500] or None
            )
        else:
            finished.append(history_entry(owed.alert, delivered=tuple(done), failed=tuple(failed)))
    after = record.evolve(pending=pending, history=record.with_history(*finished), lease_owner=None, lease_until=None)
    retire = record.job_id != MONITOR_KEY and not pending and (not record.active or retiring(record))
    expires = now + ttl_days * 86400 if retire else None
    try:
        saved = store.save(record, after, owner, now, expires_at=expires)
    except (ClientError, BotoCoreError) as exc:
        logger.error("acknowledging write failed", job_id=record.job_id, error=type(exc).__name__)
        saved = False
    if not saved:
        report.ack_failures += 1
        logger.error("could not record deliveries; they may be sent again next run", job_id=record.job_id)

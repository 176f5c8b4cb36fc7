"""What a run remembers on the monitor's own item for the next: concurrency (additive increase, multiplicative
decrease after a 429), Bright Data's Retry-After, the resume cursor, and the one token-rejected alert."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from jobwatch.alerts import Alert, Kind, Severity
from jobwatch.control import RunControl
from jobwatch.engine import iso
from jobwatch.poller import JobOutcome
from jobwatch.records import JobRecord, PendingAlert
from jobwatch.settings import Settings
from jobwatch.store import Store
from jobwatch.summary import RunSummary

logger = Logger(child=True)
DEFAULT_RETRY_AFTER = 60.0  # a 429 without Retry-After: wait at least this long before calling again


def concurrency(me: JobRecord, settings: Settings) -> int:
    """The concurrency this run may use: the remembered one after 429s, never above the setting."""
    remembered = me.meta.get("concurrency")
    return max(1, min(settings.concurrency, int(remembered))) if remembered else settings.concurrency


def remember_run(
    me: JobRecord, store: Store, ctl: RunControl, summary: RunSummary, outcomes: list[JobOutcome]
) -> JobRecord | None:
    """Update the monitor's own item: concurrency (AIMD), Retry-After, resume cursor, the token alert."""
    meta = dict(me.meta)
    now = ctl.clock()
    limit = ctl.settings.concurrency
    current = concurrency(me, ctl.settings)
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

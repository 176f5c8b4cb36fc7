"""What goes in and out of the handler besides settings: the event's job ids, the run's metrics."""

from __future__ import annotations

from collections import defaultdict

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from jobwatch.monitor import RunSummary


class BadEventError(ValueError):
    """The invocation event is not a scheduled event nor `{"job_ids": [...]}`."""


def job_ids_from_event(event: object) -> list[object] | None:
    """None for a scheduled run (poll every due job); the list for an on-demand `{"job_ids": [...]}` event."""
    if not isinstance(event, dict) or "job_ids" not in event:
        return None
    job_ids = event["job_ids"]
    if not isinstance(job_ids, list) or not job_ids:
        raise BadEventError('event field "job_ids" must be a non-empty list of job ids, as in {"job_ids": ["j_..."]}')
    return list(job_ids)


def publish_metrics(metrics: Metrics, summary: RunSummary) -> None:
    """The run's counts as EMF metrics, the alerts by kind, and the mean success rate of each collector's jobs."""
    counts = {
        "JobsPolled": summary.polled,
        "JobsChanged": summary.changed,
        "PollErrors": summary.errors,
        "AlertsCreated": summary.alerts,
        "AlertsSent": summary.sent,
        "DeliveryFailures": summary.delivery_failures,
        "DeliveryAbandoned": summary.abandoned,
        "AckFailures": summary.ack_failures,
        "StateWriteFailures": summary.state_write_failures,
        "JobsLeftOver": summary.left_over,
        "JobsDiscovered": summary.discovered,
        "RateLimitedRuns": int(summary.rate_limited),
        "TokenRejectedRuns": int(summary.token_rejected),
    }
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.add_metric(name="RunDuration", unit=MetricUnit.Milliseconds, value=summary.duration_ms)
    for kind, count in sorted(summary.alert_kinds.items()):
        _dimensioned(metrics, "Alerts", MetricUnit.Count, count, "kind", kind)
    by_collector: dict[str, list[float]] = defaultdict(list)
    for collector, rate in summary.rates:
        by_collector[collector].append(rate)
    for collector, rates in sorted(by_collector.items()):
        _dimensioned(metrics, "SuccessRate", MetricUnit.Percent, 100 * sum(rates) / len(rates), "collector", collector)


def _dimensioned(metrics: Metrics, name: str, unit: MetricUnit, value: float, dimension: str, key: str) -> None:
    """One EMF document for a metric with a dimension of its own (plus `service`, as every jobwatch metric)."""
    with single_metric(name=name, unit=unit, value=value, namespace=metrics.namespace) as metric:
        metric.add_dimension(name=dimension, value=key)

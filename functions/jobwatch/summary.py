"""What one run did, in counts: the handler's answer, the run's metrics, the CLI's summary line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from jobwatch.poller import JobOutcome


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

    def count(self, outcomes: list[JobOutcome]) -> None:
        """Add the outcomes of the run's polls."""
        for o in outcomes:
            self.polled += o.result in ("polled", "unchanged", "not_found")
            self.changed += o.result == "polled"
            self.alerts += len(o.alert_kinds)
            for kind in o.alert_kinds:
                self.alert_kinds[kind] = self.alert_kinds.get(kind, 0) + 1
            self.errors += o.result == "error"
            self.left_over += o.result == "left_over"
            self.skipped += o.result in ("skipped", "contended")
            self.not_found += o.result == "not_found"
            if o.result == "error":
                self.error_ids.append(o.job_id)
            if o.rate is not None and o.result in ("polled", "unchanged"):
                self.rates.append((o.collector or "none", o.rate))

"""What every worker of one run shares: the clock, the time budget, and the stop signal after a 429 or 401."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from jobwatch.records import JobRecord
from jobwatch.rules import Rules, effective_rules
from jobwatch.settings import Settings


@dataclass
class RunControl:
    """Shared by the workers of one run. Once stopped, no worker starts another Bright Data request."""

    run_id: str
    settings: Settings
    clock: Callable[[], float]
    remaining_seconds: Callable[[], float]
    collector_rules: dict[str, dict[str, object]] = field(default_factory=dict)
    stop_reason: str | None = None
    retry_after: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def stopped(self) -> bool:
        return self.stop_reason is not None

    def stop(self, reason: str, retry_after: float | None = None) -> bool:
        """Stop the run's requests; True for the first caller (who logs it), False for the rest."""
        with self._lock:
            if self.stop_reason is not None:
                return False
            self.stop_reason, self.retry_after = reason, retry_after
            return True

    def time_left(self) -> bool:
        """Whether a new poll may start: the Lambda's remaining time is above the safety margin."""
        return self.remaining_seconds() > self.settings.safety_margin_seconds

    def lease_until(self) -> float:
        """A lease outlives this invocation, so no other run can deliver what this one holds."""
        return self.clock() + self.remaining_seconds() + 60

    def rules_for(self, record: JobRecord) -> Rules:
        collector = self.collector_rules.get(record.collector or "") if record.collector else None
        return effective_rules(Rules.defaults(self.settings), collector, record.rules)

"""Alert-quality scenarios run against a fixed clock: jobs are created at BASE and every run passes `now`, so
each message (timestamps, durations, alert ids) is the same on every machine and can be kept as a golden file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from jobwatch.sim.brightdata import BrightDataSimulator
from tests.alerts.channels import RecordingSns, install
from tests.support.harness import TOKEN, Harness

BASE = datetime(2025, 4, 28, 13, 0, tzinfo=UTC)


def at(minutes: float) -> float:
    """Epoch seconds `minutes` after BASE, the moment the scenario's first job was created."""
    return BASE.timestamp() + minutes * 60


@pytest.fixture
def bd() -> Iterator[BrightDataSimulator]:
    with BrightDataSimulator(token=TOKEN, base_time=BASE) as server:
        yield server


@pytest.fixture
def recorder(harness: Harness) -> RecordingSns:
    """The default harness with its SNS publishes recorded."""
    return install(harness)

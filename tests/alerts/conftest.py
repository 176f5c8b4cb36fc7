"""Alert-quality scenarios: a Bright Data simulator on a fixed clock (see scenarios.BASE), SNS publishes recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobwatch.sim.brightdata import BrightDataSimulator
from tests.alerts.channels import RecordingSns, install
from tests.alerts.scenarios import BASE
from tests.support.harness import TOKEN, Harness


@pytest.fixture
def bd() -> Iterator[BrightDataSimulator]:
    with BrightDataSimulator(token=TOKEN, base_time=BASE) as server:
        yield server


@pytest.fixture
def recorder(harness: Harness) -> RecordingSns:
    """The default harness with its SNS publishes recorded."""
    return install(harness)

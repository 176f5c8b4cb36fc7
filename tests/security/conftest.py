"""Security suite fixtures: every log line captured at DEBUG, SNS publishes recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.channels import RecordingSns, install
from tests.security.leaks import LogCapture, start_capture, stop_capture
from tests.support.harness import Harness


@pytest.fixture
def capture(caplog: pytest.LogCaptureFixture) -> Iterator[LogCapture]:
    handler = start_capture(caplog)
    yield handler
    stop_capture(handler)


@pytest.fixture
def recorder(harness: Harness) -> RecordingSns:
    """The harness with its SNS publishes recorded (the email text and the JSON document of each)."""
    return install(harness)

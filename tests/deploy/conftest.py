"""Fixtures of the deploy suite: one `sam build`, one moto server and the stacks deployed into it, per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobwatch.sim.aws import moto_server
from tests.deploy.samapp import MAIN_PARAMETERS, SSM_PARAMETERS, Build, Stack, deploy, sam_build, tool

_timings: dict[str, str] = {}


@pytest.fixture(scope="session")
def sam_binary() -> Path:
    return tool(".venv-sam", "sam", "/tmp/v-sam/bin/sam")


@pytest.fixture(scope="session")
def build(sam_binary: Path) -> Build:
    """template.yaml built by `sam build` (cached under .aws-sam/test-builds/ by a hash of its inputs)."""
    result = sam_build(sam_binary)
    _timings["sam build"] = "cached" if result.cached else f"{result.seconds:.1f} s"
    return result


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def stack(moto_endpoint: str, build: Build) -> Stack:
    return deploy(moto_endpoint, build, "jobwatch", MAIN_PARAMETERS)


@pytest.fixture(scope="session")
def ssm_stack(moto_endpoint: str, build: Build) -> Stack:
    return deploy(moto_endpoint, build, "jobwatch-ssm", SSM_PARAMETERS)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how long the SAM build took, so CI logs show what a clean build costs."""
    for name, timing in _timings.items():
        terminalreporter.write_line(f"deploy suite: {name} {timing}")

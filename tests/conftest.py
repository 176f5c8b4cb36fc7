"""Fixtures shared by every suite: fake AWS credentials, moto, the loopback servers, Powertools caches."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from jobwatch.sim.aws import fake_credentials_env
from jobwatch.sim.brightdata import BrightDataSimulator
from jobwatch.sim.slack import SlackReceiver
from tests.support import atomic_moto
from tests.support.harness import TOKEN, Aws, Harness

atomic_moto.install()
# Powertools reads these when jobwatch.handler is imported, which may happen at collection time.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Jobwatch")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "jobwatch")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in fake_credentials_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Jobwatch")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "jobwatch")
    parameters.clear_caches()
    yield
    parameters.clear_caches()


@pytest.fixture
def bd() -> Iterator[BrightDataSimulator]:
    with BrightDataSimulator(token=TOKEN) as server:
        yield server


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver() as server:
        yield server


@pytest.fixture
def aws(slack: SlackReceiver) -> Iterator[Aws]:
    with mock_aws():
        yield Aws.provision(boto3.session.Session(region_name="us-east-1"), slack.webhook_url)


@pytest.fixture
def harness(aws: Aws, bd: BrightDataSimulator, slack: SlackReceiver) -> Harness:
    return Harness.build(aws, bd, slack)

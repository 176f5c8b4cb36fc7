"""The Lambda handler end to end over real HTTP: moto in server mode (AWS_ENDPOINT_URL), loopback Bright Data
and Slack, the same events/*.json that `sam local invoke` uses, and the EMF metrics it prints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from jobwatch import handler
from jobwatch.settings import ConfigError
from jobwatch.sim.aws import moto_server
from jobwatch.sim.brightdata import BrightDataSimulator
from jobwatch.sim.slack import SlackReceiver
from tests.support.harness import Aws, settings_env

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLE_JOB = "j_ma13y9ay1piehrso8r"  # the job id in events/on_demand.json


@dataclass
class FakeContext:
    function_name: str = "jobwatch-monitor"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:jobwatch-monitor"
    aws_request_id: str = "req-0001"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch, bd: BrightDataSimulator, slack: SlackReceiver) -> Iterator[Aws]:
    with moto_server() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        aws = Aws.provision(boto3.session.Session(region_name="us-east-1"), slack.webhook_url)
        for name, value in settings_env(aws, bd.url).items():
            monkeypatch.setenv(name, value)
        handler.container_monitor.cache_clear()
        yield aws
        handler.container_monitor.cache_clear()


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def _metrics(stdout: str) -> dict[str, Any]:
    for line in stdout.splitlines():
        if line.startswith("{") and "_aws" in line and "JobsPolled" in line:
            return json.loads(line)
    raise AssertionError("no EMF metrics line printed")


def test_scheduled_event_polls_tracked_jobs_and_reports_metrics(
    deployed: Aws, bd: BrightDataSimulator, slack: SlackReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a failing and a healthy job tracked in the (moto server) table
    bd.add_job("j_serverfail001", [{"status": "failed", "inputs": 20, "success": 2, "fails": 18}])
    bd.add_job("j_serverokay001", [{"status": "running", "inputs": 20, "success": 5, "fails": 0}])
    table = deployed.session.client("dynamodb")
    for job_id in ("j_serverfail001", "j_serverokay001"):
        table.put_item(TableName="jobwatch-test", Item={"job_id": {"S": job_id}, "active": {"S": "job"}})

    # When the schedule invokes the handler with events/scheduled.json
    result = handler.lambda_handler(_event("scheduled.json"), FakeContext())

    # Then the summary, the stored snapshots, the alerts and the metrics agree
    assert (result["polled"], result["alerts"], result["sent"], result["errors"]) == (2, 1, 2, 0)
    item = table.get_item(TableName="jobwatch-test", Key={"job_id": {"S": "j_serverfail001"}})["Item"]
    assert item["snapshot"]["M"]["status"]["S"] == "failed"
    assert [m["text"] for m in slack.messages] == ["🔴 Job j_serverfail001 failed"]
    assert [m["doc"]["alert_id"] for m in deployed.sns_messages()] == ["j_serverfail001/job_failed/1"]
    metrics = _metrics(capsys.readouterr().out)
    assert (metrics["JobsPolled"], metrics["AlertsCreated"], metrics["AlertsSent"]) == ([2.0], [1.0], [2.0])
    assert metrics["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Jobwatch"


def test_on_demand_event_polls_just_the_named_jobs(deployed: Aws, bd: BrightDataSimulator) -> None:
    bd.add_job(SAMPLE_JOB, [{"status": "cancelled"}])
    bd.add_job("j_notaskedfor01", [{"status": "failed"}])

    result = handler.lambda_handler(_event("on_demand.json"), FakeContext())

    assert (result["polled"], result["alerts"]) == (1, 1)
    assert bd.count(path_prefix="/dca/log/j_notaskedfor01") == 0


def test_bad_event_and_missing_setting_fail_the_invocation_with_a_clear_message(
    deployed: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match=r'event field "job_ids" must be a non-empty list'):
        handler.lambda_handler({"job_ids": "j_notalist0001"}, FakeContext())

    handler.container_monitor.cache_clear()
    monkeypatch.delenv("JOBWATCH_TABLE_NAME")
    with pytest.raises(ConfigError, match="JOBWATCH_TABLE_NAME is not set"):
        handler.lambda_handler(_event("scheduled.json"), FakeContext())

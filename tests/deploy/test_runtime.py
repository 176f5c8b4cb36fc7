"""The built function runs as Lambda runs it: awslambdaric in its own process, the function code in a
/var/task-like directory, the layer's python/ in an /opt-like one, nothing else importable, the environment the
deployed stack gives the function, and a loopback Runtime API handing it events.

AWS is the moto server the stack was deployed into, Bright Data the loopback simulator and the Slack webhook
the loopback receiver, whose URL is the stack's Slack secret. The layer holds Lambda's python3.12 wheels and the
interpreter here is 3.11: every dependency is pure Python except wrapt, which falls back to its pure Python
implementation when its 3.12 extension does not load.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import pytest

from jobwatch.sim.brightdata import BrightDataSimulator, lifecycle
from jobwatch.sim.slack import SlackReceiver
from tests.deploy.aws_calls import RecordingMotoEndpoint
from tests.deploy.lambda_runtime_api import Outcome, RuntimeApi
from tests.deploy.samapp import (
    MAIN_PARAMETERS,
    REGION,
    REPO_ROOT,
    Build,
    Stack,
    actions_of,
    function_configuration,
    function_environment,
    load_template,
    put_secret,
    required_actions,
    role_statements,
)

pytestmark = [
    pytest.mark.deploy,
    pytest.mark.filterwarnings("ignore:Tried to parse AWS.*not supported by moto:UserWarning"),
]

TOKEN = "bd-token-runtime-5c1e9a"
FAILED_JOB = "j_runtimefailed01"
ON_DEMAND_JOB = json.loads((REPO_ROOT / "events" / "on_demand.json").read_text())["job_ids"][0]
# What Lambda's Python runtime brings in /var/runtime: the runtime interface client and what it imports.
RUNTIME_DISTRIBUTIONS = ("awslambdaric", "simplejson", "snapshot-restore-py")


def event(name: str) -> Any:
    return json.loads((REPO_ROOT / "events" / f"{name}.json").read_text())


def extract(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(target)
    return target


def install_runtime_client(target: Path) -> Path:
    """Copy the runtime interface client (and its dependencies) out of the test environment, files only."""
    for name in RUNTIME_DISTRIBUTIONS:
        dist = distribution(name)
        for file in dist.files or []:
            parts = Path(file).parts
            if parts[0] == ".." or parts[0].endswith(".dist-info") or "__pycache__" in parts:
                continue
            destination = target / file
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(str(dist.locate_file(file))), destination)
    return target


@dataclass
class Container:
    """One warm Lambda execution environment and the loopback services around it."""

    api: RuntimeApi
    process: subprocess.Popen[bytes]
    log: Path
    aws: RecordingMotoEndpoint
    bd: BrightDataSimulator
    slack: SlackReceiver
    traces: socket.socket
    stack: Stack
    alerts_queue_url: str

    def invoke(self, payload: Any) -> Outcome:
        outcome = self.api.invoke(payload, wait_seconds=90, alive=lambda: self.process.poll() is None)
        if outcome.kind in ("init_error", "exited"):
            pytest.fail(f"the function did not start ({outcome.kind}): {outcome.body!r}\n{self.output()}")
        return outcome

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def trace_segments(self) -> str:
        """Every datagram the X-Ray daemon address has received so far, as text."""
        datagrams = []
        try:
            while True:
                datagrams.append(self.traces.recv(65536).decode(errors="replace"))
        except TimeoutError:
            return "\n".join(datagrams)

    def emf_documents(self) -> list[dict[str, Any]]:
        """The CloudWatch embedded-metric documents the function printed (CloudWatch turns them into metrics)."""
        documents = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith('{"_aws"'):
                documents.append(json.loads(line))
        return documents

    def item(self, job_id: str) -> dict[str, Any] | None:
        dynamodb = self.stack.client("dynamodb")
        got = dynamodb.get_item(TableName=self.stack.outputs["JobsTableName"], Key={"job_id": {"S": job_id}})
        return got.get("Item")

    def emails(self) -> list[dict[str, Any]]:
        sqs = self.stack.client("sqs")
        messages = sqs.receive_message(QueueUrl=self.alerts_queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    def granted_actions(self) -> set[str]:
        return {action for s in role_statements(self.stack, "MonitorFunctionRole") for action in actions_of(s)}


def subscribe_queue(stack: Stack) -> str:
    """An SQS queue subscribed to the alert topic, standing in for the email subscriber."""
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName="runtime-test-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stack.client("sns").subscribe(TopicArn=stack.outputs["AlertTopicArn"], Protocol="sqs", Endpoint=arn)
    return url


def lambda_environment(
    stack: Stack, function: dict[str, Any], layout: dict[str, Path], endpoints: dict[str, str]
) -> dict[str, str]:
    """What Lambda's python runtime sets for the deployed `function`, plus the function's own environment.

    `endpoints`: the Runtime API's host:port, the AWS endpoint URL, the X-Ray daemon's host:port and Bright Data's URL.
    """
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        # Lambda's import order: the function, then the layer, then the runtime.
        "PYTHONPATH": os.pathsep.join(str(layout[key]) for key in ("task", "layer", "runtime")),
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only in Lambda
        "LAMBDA_TASK_ROOT": str(layout["task"]),
        "LAMBDA_RUNTIME_DIR": str(layout["runtime"]),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_RUNTIME_API": endpoints["runtime_api"],
        "AWS_LAMBDA_FUNCTION_NAME": function["FunctionName"],
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function["MemorySize"]),
        "AWS_LAMBDA_LOG_GROUP_NAME": stack.physical_id("MonitorLogGroup"),
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]runtimetest",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": endpoints["aws"],
        "AWS_XRAY_DAEMON_ADDRESS": endpoints["xray"],
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        **function_environment(stack),
        # The one deployed setting pointed elsewhere: Bright Data is the loopback simulator.
        "JOBWATCH_API_BASE_URL": endpoints["brightdata"],
    }


@pytest.fixture(scope="module")
def container(stack: Stack, build: Build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """The function started by awslambdaric, waiting for invocations; torn down after the module."""
    root = tmp_path_factory.mktemp("lambda")
    layout = {
        "task": extract(build.zip("function"), root / "var" / "task"),
        "layer": extract(build.zip("layer"), root / "opt") / "python",
        "runtime": install_runtime_client(root / "var" / "runtime"),
    }
    function = function_configuration(stack)
    recorder = RecordingMotoEndpoint()
    traces = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    traces.bind(("127.0.0.1", 0))
    traces.settimeout(1)
    with (
        BrightDataSimulator(token=TOKEN) as bd,
        SlackReceiver() as slack,
        recorder as aws_endpoint,
        RuntimeApi(function["FunctionArn"], timeout_seconds=function["Timeout"]) as api,
    ):
        secrets = stack.client("secretsmanager")
        put_secret(secrets, MAIN_PARAMETERS["BrightDataTokenName"], TOKEN)
        put_secret(secrets, MAIN_PARAMETERS["SlackWebhookName"], slack.webhook_url)
        xray_host, xray_port = traces.getsockname()
        endpoints = {
            "runtime_api": api.address,
            "aws": aws_endpoint,
            "xray": f"{xray_host}:{xray_port}",
            "brightdata": bd.url,
        }
        env = lambda_environment(stack, function, layout, endpoints)
        log = root / "function.log"
        with log.open("wb") as sink:
            # -S: no site-packages, so only the three directories above can be imported from.
            process = subprocess.Popen(
                [sys.executable, "-S", "-m", "awslambdaric", function["Handler"]],
                cwd=layout["task"],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            yield Container(api, process, log, recorder, bd, slack, traces, stack, subscribe_queue(stack))
        finally:
            process.terminate()
            process.wait(timeout=10)
            traces.close()


def test_scheduled_run_stores_the_failed_job_and_alerts_on_slack_and_email(container: Container) -> None:
    # Given: a tracked job that Bright Data reports failed
    container.bd.add_job(FAILED_JOB, [{"status": "failed", "inputs": 100, "success": 40, "fails": 5}])
    container.stack.client("dynamodb").put_item(
        TableName=container.stack.outputs["JobsTableName"],
        Item={"job_id": {"S": FAILED_JOB}, "active": {"S": "job"}},
    )
    mark = len(container.aws.actions)
    # When: the schedule's event arrives
    outcome = container.invoke(event("scheduled"))
    # Then: the run's summary comes back
    assert outcome.kind == "response", f"{outcome.body!r}\n{container.output()}"
    summary = outcome.json()
    assert (summary["polled"], summary["alerts"], summary["errors"]) == (1, 1, 0), summary
    # and the job's snapshot is stored, the job retired from the active index
    item = container.item(FAILED_JOB)
    assert item is not None and item["snapshot"]["M"]["status"] == {"S": "failed"}, item
    assert "active" not in item
    # and the alert reached Slack and the topic
    assert len(container.slack.messages) == 1, container.output()
    assert FAILED_JOB in json.dumps(container.slack.messages[0])
    assert [FAILED_JOB in json.dumps(email) for email in container.emails()] == [True]
    # and nothing the function called is missing from its role, or from what the code says it calls
    called = container.aws.since(mark)
    assert called <= container.granted_actions(), f"called but not granted: {called - container.granted_actions()}"
    assert called <= required_actions(), f"called but not in the required actions: {called - required_actions()}"
    # and the DeliveryAbandoned alarm watches the metric as the function emits it: namespace and dimensions
    alarm = load_template()["Resources"]["DeliveryAbandonedAlarm"]["Properties"]
    [emitted] = [d for d in container.emf_documents() if "DeliveryAbandoned" in d][-1:]
    [directive] = emitted["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == alarm["Namespace"]
    assert {name: emitted[name] for names in directive["Dimensions"] for name in names} == {
        dimension["Name"]: dimension["Value"] for dimension in alarm["Dimensions"]
    }
    # and the trace went to the X-Ray daemon address Lambda sets
    assert container.api.trace_ids[-1] in container.trace_segments(), "no trace segment reached the X-Ray daemon"


def test_on_demand_run_in_the_warm_container_tracks_and_polls_the_named_job(container: Container) -> None:
    # Given: the job events/on_demand.json names, running at Bright Data and not tracked yet
    container.bd.add_job(ON_DEMAND_JOB, lifecycle("ok"))
    assert container.item(ON_DEMAND_JOB) is None
    # When
    outcome = container.invoke(event("on_demand"))
    # Then
    assert outcome.kind == "response", f"{outcome.body!r}\n{container.output()}"
    summary = outcome.json()
    assert (summary["polled"], summary["alerts"], summary["errors"]) == (1, 0, 0), summary
    item = container.item(ON_DEMAND_JOB)
    assert item is not None and item["active"] == {"S": "job"}, item
    assert item["snapshot"]["M"]["status"] == {"S": "building"}, item


def test_a_malformed_event_fails_the_invocation_so_lambda_retries_it(container: Container) -> None:
    # When
    outcome = container.invoke({"job_ids": "j_notalist0001"})
    # Then: reported as a function error (what makes Lambda retry and then dead-letter an async event)
    assert outcome.kind == "error", f"{outcome.body!r}\n{container.output()}"
    assert "job_ids" in outcome.json()["errorMessage"]
    # and the environment survives to serve the next event
    assert container.invoke(event("scheduled")).kind == "response", container.output()

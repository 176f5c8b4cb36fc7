"""`jobwatch demo` (and `make demo`): jobwatch end to end on this machine, offline, in a few seconds.

A simulated Bright Data API runs a handful of jobs through their lifecycles; AWS is moto (DynamoDB from
template.yaml's own table definition, SNS with an SQS queue standing in for the email subscriber, Secrets
Manager); a loopback receiver plays the Slack webhook. The monitor is the real one, wired by `build_monitor`
exactly as the Lambda wires it. Each run's summary and every message as it arrives are printed.
`jobwatch demo --serve` (demo_serve.py) keeps this world running for the real CLI to use instead.

Longer than the house ~150 lines: the scenario, the provisioning and the printing are one script, read together.
It ships with the developer tools only (the Lambda build and the coverage gate leave it out).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import boto3
import yaml  # type: ignore[import-untyped, unused-ignore]
from moto import mock_aws

from jobwatch import operations, render_email
from jobwatch.alerts import Alert
from jobwatch.cli import render, views
from jobwatch.cli.polling import summary_lines
from jobwatch.engine import iso
from jobwatch.monitor import Monitor, run
from jobwatch.runtime import build_monitor
from jobwatch.settings import load_settings
from jobwatch.sim.aws import fake_credentials_env
from jobwatch.sim.brightdata import BrightDataSimulator, lifecycle
from jobwatch.sim.slack import SlackReceiver
from jobwatch.store import Store

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
TABLE, TOKEN_SECRET, WEBHOOK_SECRET = "jobwatch-demo", "jobwatch/demo-token", "jobwatch/demo-slack-webhook"
DEMO_TOKEN = "demo-token-for-the-simulator"  # a loopback fake, and never printed all the same
SHOP = "c_demoshop0001"  # the watched collector: its jobs are found by discovery
RUNS, PERIOD = 6, 300.0
EXPECTED_ALERTS = 4  # failed, low rate, stalled, and the discovered job's low rate (the cancel is muted)
# (job id, label, lifecycle, steps, what to expect) - tracked by hand, as `jobwatch track` does.
JOBS = [
    ("j_demoprices01", "Daily prices", "ok", 4, "finishes fine: no alert"),
    ("j_demoreviews1", "Product reviews", "fail", 3, "fails: a critical alert with the reasons"),
    ("j_demostores01", "Store locator", "low_rate", 4, "half its inputs fail: a low success rate warning"),
    ("j_democatalog1", "Competitor catalog", "cancel", 5, "is cancelled, but muted: history only"),
    ("j_demoranking1", "Search rankings", "hang", 3, "stops making progress: a stall warning"),
]
DISCOVERED = "j_demoshopnew1"  # started on SHOP, never tracked by hand; ends at 93%, under SHOP's 95% rule
SHOP_STATES = [
    {"status": "building", "inputs": 100, "success": 0, "fails": 0},
    {"status": "running", "inputs": 100, "success": 40, "fails": 2},
    {"status": "running", "inputs": 100, "success": 80, "fails": 6},
    {"status": "done", "inputs": 100, "success": 93, "fails": 7},
]
FAIL_REASONS = [
    {"error_code": "dead_page", "error": "404 at /reviews/page/7"},
    {"error_code": "dead_page", "error": "404 at /reviews/page/9"},
    {"error_code": "blocked", "error": "captcha on /reviews"},
]
RULE = "━" * 100


def run_demo(out: TextIO) -> int:
    """Print the demo to `out`; 0 when every expected alert arrived."""
    say = printer(out)
    say(
        f"jobwatch demo: a simulated Bright Data API, a Slack webhook receiver, and AWS in moto (DynamoDB, SNS,\n"
        f"Secrets Manager). The monitor is the real one, wired as the Lambda wires it; {RUNS} runs, 5 minutes apart."
    )
    with _offline_aws(), BrightDataSimulator(token=DEMO_TOKEN) as bd, SlackReceiver() as slack:
        session = boto3.session.Session(region_name="us-east-1")
        topic_arn, queue_url = provision(session, slack.webhook_url)
        add_jobs(bd)
        now = [float(int(time.time()) // 60 * 60)]
        monitor = build_monitor(load_settings(_env(topic_arn, bd.url)), session)
        _setup(monitor, now[0], say)
        inbox = Inbox(session, queue_url, slack)
        for n in range(1, RUNS + 1):
            summary = run(monitor, clock=lambda: now[0], run_id=f"demo-run-{n}")
            say(f"\n{RULE}\nRun {n} of {RUNS} at {iso(now[0])}\n{RULE}")
            for line in summary_lines(summary, monitor.settings, [])[0]:
                say(line)
            inbox.show(monitor.store, say)
            bd.tick()
            now[0] += PERIOD
        say(f"\n{RULE}\nJobs after {RUNS} runs, as `jobwatch list --all` shows them\n{RULE}")
        say(render.table(views.job_rows(monitor.store, include_all=True, now=now[0]), now[0]))
        say("\nTry: jobwatch --help, jobwatch show --help. Nothing above left this machine.")
        return 0 if inbox.slack_seen == inbox.email_seen == EXPECTED_ALERTS else 1


def provision(session: Any, webhook_url: str) -> tuple[str, str]:
    """The table from template.yaml's JobsTable, the alert topic with an SQS subscriber, the two secrets."""
    props = _template()["Resources"]["JobsTable"]["Properties"]
    dynamodb = session.client("dynamodb")
    keys = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
    dynamodb.create_table(TableName=TABLE, **{k: props[k] for k in keys})
    ttl = props["TimeToLiveSpecification"]["AttributeName"]
    dynamodb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})
    sns, sqs = session.client("sns"), session.client("sqs")
    topic_arn = sns.create_topic(Name="jobwatch-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="email-subscriber")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    secrets = session.client("secretsmanager")
    secrets.create_secret(Name=TOKEN_SECRET, SecretString=DEMO_TOKEN)
    secrets.create_secret(Name=WEBHOOK_SECRET, SecretString=webhook_url)
    return topic_arn, queue_url


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]
    """Reads template.yaml; CloudFormation tags (!Ref, !Sub ...) become None: the table needs none of them."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _template() -> dict[str, Any]:
    template: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader
    return template


def add_jobs(bd: BrightDataSimulator) -> None:
    """The scenario's jobs, at their first state: JOBS, and DISCOVERED on the watched collector SHOP."""
    for job_id, _, kind, steps, _ in JOBS:
        bd.add_job(job_id, lifecycle(kind, inputs=100, steps=steps), errors=FAIL_REASONS if kind == "fail" else [])
    bd.add_job(DISCOVERED, SHOP_STATES, collector=SHOP)


def _setup(monitor: Monitor, now: float, say: Callable[[str], None]) -> None:
    store = monitor.store
    say("\nSetup (what `jobwatch track`, `watch-collector` and `mute` do)")
    for job_id, label, _, _, expect in JOBS:
        operations.track(store, [job_id], now, label=label)
        say(f"  track    {job_id}  {label:<20} {expect}")
    operations.watch_collector(store, SHOP, now, {"min_success_rate": 0.95})
    say(f"  watch    {SHOP}  min_success_rate 0.95: its new jobs are tracked by each run, judged at 95%")
    operations.mute(store, "j_democatalog1", now + 2 * 3600)
    say("  mute     j_democatalog1  for 2h: its alerts go to history, not to Slack or email")


def deployment_env(topic_arn: str, api_url: str, period_seconds: float) -> dict[str, str]:
    """The JOBWATCH_* variables of the demo deployment, its poll period `period_seconds` (the demo's pace)."""
    return {
        "JOBWATCH_TABLE_NAME": TABLE,
        "JOBWATCH_TOKEN_PARAMETER": f"secretsmanager:{TOKEN_SECRET}",
        "JOBWATCH_SLACK_WEBHOOK_PARAMETER": f"secretsmanager:{WEBHOOK_SECRET}",
        "JOBWATCH_TOPIC_ARN": topic_arn,
        "JOBWATCH_API_BASE_URL": api_url,
        "JOBWATCH_SCHEDULE_PERIOD_MINUTES": f"{period_seconds / 60:g}",
        "JOBWATCH_MAX_POLL_INTERVAL_MINUTES": "0",
        "JOBWATCH_STALL_POLLS": "2",
        "JOBWATCH_SLACK_MIN_INTERVAL_SECONDS": "0",
    }


def _env(topic_arn: str, api_url: str) -> dict[str, str]:
    # The scripted run has no time to spare for retry backoff or a Lambda-style safety margin.
    extra = {"JOBWATCH_RETRY_BACKOFF_SECONDS": "0.05", "JOBWATCH_SAFETY_MARGIN_SECONDS": "0"}
    return {**deployment_env(topic_arn, api_url, PERIOD), **extra}


class Inbox:
    """What the Slack channel and the email subscriber received since the last look, printed as they see it."""

    def __init__(self, session: Any, queue_url: str, slack: SlackReceiver) -> None:
        self._sqs, self._queue_url, self._slack = session.client("sqs"), queue_url, slack
        self.slack_seen = self.email_seen = 0
        self._muted_seen: set[str] = set()

    def show(self, store: Store, say: Callable[[str], None]) -> None:
        """Print what arrived since the last call: Slack messages, emails, and alerts muted into history."""
        for message in self._slack.messages[self.slack_seen :]:
            say(f"\n  Slack  {message['text']}")
            for line in _slack_lines(message.get("blocks", []))[1:]:
                say(f"  │ {line}")
        self.slack_seen = len(self._slack.messages)
        for subject, body in self._emails():
            say(f"\n  Email  Subject: {subject}")
            for line in body.rstrip("\n").splitlines():
                say(f"  │ {line}")
            self.email_seen += 1
        for record in store.scan_jobs():
            for entry in record.history:
                if entry.get("muted") and entry["alert_id"] not in self._muted_seen:
                    self._muted_seen.add(entry["alert_id"])
                    say(f"\n  Muted  {entry['summary']} (in history; not delivered)")

    def _emails(self) -> Iterator[tuple[str, str]]:
        got = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for message in got.get("Messages", []):
            envelope = json.loads(message["Body"])
            doc = json.loads(envelope["Message"])
            if doc.get("kind") == "group":
                body = render_email.group_body([Alert.from_dict(a) for a in doc["alerts"]])
            else:
                body = render_email.body(Alert.from_dict(doc))
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
            yield envelope.get("Subject", ""), body


def _slack_lines(blocks: list[dict[str, Any]]) -> list[str]:
    """Block Kit as the text a reader sees: bold markers and escapes removed, links as `text (url)`."""
    lines: list[str] = []
    for block in blocks:
        texts = [block["text"]["text"]] if "text" in block else [e["text"] for e in block.get("elements", [])]
        for raw in texts:
            text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2 (\1)", raw).replace("*", "")
            lines += text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").splitlines()
    return lines


@contextmanager
def _offline_aws() -> Iterator[None]:
    """moto in process, fake credentials, and no AWS_ENDPOINT_URL or profile from the caller's shell."""
    saved = {name: os.environ.get(name) for name in (*fake_credentials_env(), "AWS_ENDPOINT_URL", "AWS_PROFILE")}
    os.environ.update(fake_credentials_env())
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws():
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def printer(out: TextIO) -> Callable[[str], None]:
    """A `say(text)` that writes one line to `out` and flushes it (the output may be a pipe)."""

    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    return say

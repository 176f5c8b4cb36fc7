"""A jobwatch deployment in miniature: moto's DynamoDB, SNS (with an SQS subscriber), Secrets Manager, a
loopback Bright Data and a loopback Slack webhook, and the real monitor wired by `build_monitor`."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jobwatch.monitor import Monitor, RunSummary, run
from jobwatch.records import JobRecord
from jobwatch.runtime import build_monitor
from jobwatch.settings import Settings, load_settings
from jobwatch.sim.brightdata import BrightDataSimulator
from jobwatch.sim.slack import SlackReceiver
from jobwatch.store import Store
from tests.support.template import table_definition, ttl_attribute

TABLE = "jobwatch-test"
TOKEN = "bd-token-7f3c9a1e5b2d4c6a"  # the tests search every output for this value: it must never appear
TOKEN_SECRET = "jobwatch/brightdata-token"
WEBHOOK_SECRET = "jobwatch/slack-webhook"


@dataclass
class Aws:
    """The AWS side: resources made from template.yaml's definitions, in moto (in-process or server)."""

    session: Any
    topic_arn: str
    queue_url: str
    _seen: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def provision(cls, session: Any, webhook_url: str | None, token: str = TOKEN) -> Aws:
        dynamodb = session.client("dynamodb")
        dynamodb.create_table(TableName=TABLE, **table_definition())
        dynamodb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute()}
        )
        topic_arn = session.client("sns").create_topic(Name="jobwatch-alerts")["TopicArn"]
        sqs = session.client("sqs")
        queue_url = sqs.create_queue(QueueName="alert-subscriber")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        session.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        secrets = session.client("secretsmanager")
        secrets.create_secret(Name=TOKEN_SECRET, SecretString=token)
        if webhook_url:
            secrets.create_secret(Name=WEBHOOK_SECRET, SecretString=webhook_url)
        return cls(session, topic_arn, queue_url)

    def sns_messages(self) -> list[dict[str, Any]]:
        """Everything the SQS subscriber received so far: subject, the JSON document, message attributes."""
        sqs = self.session.client("sqs")
        while True:
            got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = got.get("Messages", [])
            if not messages:
                return list(self._seen)
            for message in messages:
                envelope = json.loads(message["Body"])
                self._seen.append(
                    {
                        "subject": envelope.get("Subject"),
                        "doc": json.loads(envelope["Message"]),
                        "attributes": {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()},
                    }
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def settings_env(aws: Aws, bd_url: str, slack: bool = True, email: bool = True, **overrides: str) -> dict[str, str]:
    env = {
        "JOBWATCH_TABLE_NAME": TABLE,
        "JOBWATCH_TOKEN_PARAMETER": f"secretsmanager:{TOKEN_SECRET}",
        "JOBWATCH_SLACK_WEBHOOK_PARAMETER": f"secretsmanager:{WEBHOOK_SECRET}" if slack else "",
        "JOBWATCH_TOPIC_ARN": aws.topic_arn if email else "",
        "JOBWATCH_API_BASE_URL": bd_url,
        "JOBWATCH_RETRY_BACKOFF_SECONDS": "0.01",
        "JOBWATCH_HTTP_TIMEOUT_SECONDS": "1",
        "JOBWATCH_SLACK_MIN_INTERVAL_SECONDS": "0",
        "JOBWATCH_MAX_POLL_INTERVAL_MINUTES": "0",
        "JOBWATCH_SAFETY_MARGIN_SECONDS": "0",
        "JOBWATCH_SECRET_MAX_AGE_SECONDS": "0",
    }
    env.update(overrides)
    return env


@dataclass
class Harness:
    """One monitor against one simulated world. `run()` is one scheduled invocation."""

    aws: Aws
    bd: BrightDataSimulator
    slack: SlackReceiver
    settings: Settings
    monitor: Monitor
    runs: list[RunSummary] = field(default_factory=list)

    @classmethod
    def build(cls, aws: Aws, bd: BrightDataSimulator, slack: SlackReceiver, **env: str) -> Harness:
        settings = load_settings(settings_env(aws, bd.url, **env))  # type: ignore[arg-type]
        return cls(aws, bd, slack, settings, build_monitor(settings, aws.session))

    @property
    def store(self) -> Store:
        return self.monitor.store

    def track(self, *job_ids: str, **fields: Any) -> None:
        for job_id in job_ids:
            assert self.store.create_job(job_id, {"tracked_at": time.time(), **fields})

    def run(
        self, job_ids: Sequence[object] | None = None, now: float | None = None, remaining: float = 900.0
    ) -> RunSummary:
        clock = (lambda: now) if now is not None else time.time
        summary = run(self.monitor, job_ids, clock=clock, remaining_seconds=lambda: remaining)
        self.runs.append(summary)
        return summary

    def record(self, job_id: str) -> JobRecord:
        record = self.store.get_job(job_id)
        assert record is not None, f"no item for {job_id}"
        return record

    def item(self, job_id: str) -> dict[str, Any]:
        item = self.store.get(job_id)
        assert item is not None
        return item

    def slack_kinds(self) -> list[str]:
        """The alert ids Slack received, read back from each message's context line."""
        found = []
        for message in self.slack.messages:
            context = next((b for b in message.get("blocks", []) if b["type"] == "context"), None)
            text = context["elements"][0]["text"] if context else message["text"]
            found.append(text.split("`")[1] if "`" in text else text)
        return found

    def sns_alert_ids(self) -> list[str]:
        ids = []
        for message in self.aws.sns_messages():
            doc = message["doc"]
            ids.extend(a["alert_id"] for a in doc["alerts"]) if doc.get("kind") == "group" else ids.append(
                doc["alert_id"]
            )
        return ids

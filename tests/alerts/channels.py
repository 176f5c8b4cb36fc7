"""What each channel received in a scenario, as text for golden files.

SNS is recorded at the publish call (the per-protocol texts an email subscriber and a machine subscriber are
sent) and cross-checked against what moto's SQS subscriber actually got. Slack is what the loopback webhook
accepted. A fake clock can replace the Slack notifier's, so rate-limit scenarios never wait on wall time.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from urllib3.util.retry import Retry

from jobwatch.brightdata import make_http
from jobwatch.notify import Notifier, SlackNotifier, SnsNotifier
from tests.alerts.golden import check, to_json
from tests.support.harness import Harness


@dataclass
class FakeClock:
    """A monotonic clock that moves only when told to, or when the code under test sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSns:
    """An SNS client that remembers every publish and then makes it for real (moto)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> Any:
        self.published.append(kwargs)
        return self._client.publish(**kwargs)


def install(harness: Harness, slack_clock: FakeClock | None = None) -> RecordingSns:
    """Swap the harness monitor's SNS client for a recording one (and, if given, Slack's clock)."""
    recorder = RecordingSns(harness.aws.session.client("sns"))
    notifiers: list[Notifier] = []
    for original in harness.monitor.notifiers:
        notifier = original
        if isinstance(original, SnsNotifier):
            notifier = SnsNotifier(recorder, harness.aws.topic_arn)
        elif isinstance(original, SlackNotifier) and slack_clock is not None:
            notifier = SlackNotifier(
                make_http(1, 2.0, Retry(total=0)),
                lambda: harness.slack.webhook_url,
                min_interval=harness.settings.slack_min_interval_seconds,
                clock=slack_clock,
                sleep=slack_clock.sleep,
            )
        notifiers.append(notifier)
    harness.monitor = dataclasses.replace(harness.monitor, notifiers=notifiers)
    return recorder


def sns_published(recorder: RecordingSns) -> list[dict[str, Any]]:
    """Each publish as a subscriber sees it: subject, attributes, the email text and the JSON document."""
    out = []
    for call in recorder.published:
        assert call["MessageStructure"] == "json"
        message = json.loads(call["Message"])
        assert message["default"] == message["email"]
        assert {message[p] for p in ("email-json", "sqs", "lambda", "http", "https")} == {message["sqs"]}
        out.append(
            {
                "subject": call["Subject"],
                "attributes": {k: v["StringValue"] for k, v in call["MessageAttributes"].items()},
                "email": message["email"],
                "doc": json.loads(message["sqs"]),
            }
        )
    return out


def transcript(harness: Harness, recorder: RecordingSns) -> dict[str, str]:
    """The golden texts of a scenario: Slack payloads (JSON), email messages (text), SNS documents (JSON)."""
    published = sns_published(recorder)
    # What moto's SQS subscriber received must be exactly what was published (order aside).
    received = Counter(json.dumps(m["doc"], sort_keys=True) for m in harness.aws.sns_messages())
    assert received == Counter(json.dumps(p["doc"], sort_keys=True) for p in published)
    emails = []
    for n, p in enumerate(published, 1):
        attributes = ", ".join(f"{k}={v}" for k, v in sorted(p["attributes"].items()))
        emails.append(f"=== email {n} ===\nSubject: {p['subject']}\nAttributes: {attributes}\n\n{p['email']}")
    return {
        "slack.json": to_json(harness.slack.messages),
        "email.txt": "\n".join(emails),
        "sns.json": to_json([{"attributes": p["attributes"], "doc": p["doc"]} for p in published]),
    }


def assert_transcript(scenario: str, harness: Harness, recorder: RecordingSns) -> None:
    """Compare everything every channel received in `scenario` with its golden files."""
    for suffix, text in transcript(harness, recorder).items():
        check(f"{scenario}.{suffix}", text)

"""The two ways an alert leaves jobwatch: a Slack incoming webhook and an SNS topic (email and machines).

A Notifier never raises for a failed delivery: it says whether to try again next run or to give up. Its
error texts never contain the webhook URL or any other secret.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import urllib3
from botocore.exceptions import BotoCoreError, ClientError
from urllib3.util.retry import Retry

from jobwatch import render_email, render_slack
from jobwatch.alerts import SCHEMA_VERSION, Alert
from jobwatch.brightdata import parse_retry_after
from jobwatch.facts import clip, worst_first

IAM_ACTIONS = ("sns:Publish",)
SLACK_DEFAULT_RETRY_AFTER = 30.0  # a 429 without Retry-After: hold off this long
# SNS takes at most 256 KiB per publish, subject and attributes included (4 KiB kept for those); the body
# carries the JSON document five times, once per machine protocol.
SNS_MESSAGE_LIMIT = 256 * 1024 - 4096
DOCUMENT_TEXT_LIMIT = 1000  # the longest text of a document that had to be cut to fit SNS_MESSAGE_LIMIT


@dataclass(frozen=True)
class Delivery:
    """The outcome of one send: delivered, or failed and worth retrying, or failed for good."""

    ok: bool
    retry: bool = False
    error: str | None = None


DELIVERED = Delivery(ok=True)


def retry_later(error: str) -> Delivery:
    return Delivery(ok=False, retry=True, error=error)


def give_up(error: str) -> Delivery:
    return Delivery(ok=False, retry=False, error=error)


class Notifier(Protocol):
    channel: str

    def send(self, alert: Alert) -> Delivery: ...

    def send_group(self, alerts: Sequence[Alert]) -> Delivery: ...


class SlackNotifier:
    """Posts Block Kit messages to an incoming webhook, at most one per `min_interval` seconds. After a 429 it
    sends nothing until Retry-After has passed (sending through 429s can get a Slack app disabled)."""

    channel = "slack"

    def __init__(
        self,
        http: urllib3.PoolManager,
        webhook_url: Callable[[], str],
        min_interval: float = 1.0,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._webhook_url = webhook_url
        self._min_interval = min_interval
        self._timeout = urllib3.Timeout(connect=min(timeout, 5.0), read=timeout)
        self._clock = clock
        self._sleep = sleep
        self._last_post: float | None = None
        self._blocked_until = 0.0

    def send(self, alert: Alert) -> Delivery:
        return self._post(render_slack.message(alert))

    def send_group(self, alerts: Sequence[Alert]) -> Delivery:
        return self._post(render_slack.group_message(alerts))

    def _post(self, payload: dict[str, Any]) -> Delivery:
        if self._clock() < self._blocked_until:
            return retry_later("Slack answered 429; waiting for its Retry-After to pass")
        try:
            url = self._webhook_url()
        except Exception as exc:  # noqa: BLE001 - any failure to read the secret means: try next run
            return retry_later(f"Slack webhook secret could not be read ({type(exc).__name__})")
        result = self._send(url, payload)
        if not result.ok and result.error and "invalid_blocks" in result.error:
            # Slack refused the layout: deliver the plain-text fallback rather than nothing.
            result = self._send(url, {"text": payload["text"]})
        return result

    def _send(self, url: str, payload: dict[str, Any]) -> Delivery:
        if self._last_post is not None:
            wait = self._min_interval - (self._clock() - self._last_post)
            if wait > 0:
                self._sleep(wait)
        self._last_post = self._clock()
        try:
            response = self._http.request(
                "POST",
                url,
                body=json.dumps(payload).encode(),
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
                # No urllib3 retry: its "Retrying ..." warning names the request path, the webhook's secret. A
                # failed post stays pending and the next run tries again.
                retries=Retry(total=0, redirect=0),
            )
        except urllib3.exceptions.HTTPError as exc:
            # The exception text would include the webhook path, which is the secret: name only its kind.
            return retry_later(f"Slack post failed ({type(exc).__name__})")
        text = response.data[:200].decode("utf-8", "replace")
        if response.status == 200:
            return DELIVERED
        if response.status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self._blocked_until = self._clock() + (SLACK_DEFAULT_RETRY_AFTER if retry_after is None else retry_after)
            return retry_later(
                f"Slack rate limit (429, Retry-After {retry_after if retry_after is not None else 'absent'})"
            )
        if response.status in (404, 410):
            return give_up(
                f"Slack webhook is gone (HTTP {response.status} {text}): create a new one and update the secret"
            )
        if response.status == 400:
            return give_up(f"Slack rejected the message (HTTP 400 {text})")
        return retry_later(f"Slack answered HTTP {response.status}")


class SnsNotifier:
    """Publishes with MessageStructure=json: readable text for email, a versioned JSON document for machines,
    and MessageAttributes (event_type, severity, collector, job_id) for subscription filter policies."""

    channel = "email"

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def send(self, alert: Alert) -> Delivery:
        attributes = {"event_type": alert.kind.value, "severity": alert.severity.value}
        if alert.collector:
            attributes["collector"] = alert.collector
        if alert.job_id:
            attributes["job_id"] = alert.job_id
        text, document = render_email.body(alert), alert.to_dict()
        message = _message(text, document)
        if len(message.encode()) > SNS_MESSAGE_LIMIT:
            # An enormous label or error text: cut every long text of the document rather than fail the publish.
            message = _message(text, _clipped(document, DOCUMENT_TEXT_LIMIT))
        return self._publish(render_email.subject(alert), message, attributes)

    def send_group(self, alerts: Sequence[Alert]) -> Delivery:
        """One message for many alerts: the worst first, as many as fit SNS's size limit, the rest counted."""
        ordered = worst_first(alerts)
        text = render_email.group_body(alerts)
        docs = [a.to_dict() for a in ordered]
        keep = len(docs)
        while True:
            document = {
                "schema_version": SCHEMA_VERSION,
                "kind": "group",
                "count": len(docs),
                "left_out": len(docs) - keep,
                "alerts": docs[:keep],
            }
            message = _message(text, document)
            size = len(message.encode())
            if size <= SNS_MESSAGE_LIMIT or keep == 0:
                break
            keep = min(keep - 1, keep * SNS_MESSAGE_LIMIT // size)
        attributes = {"event_type": "group", "severity": ordered[0].severity.value}
        return self._publish(render_email.group_subject(alerts), message, attributes)

    def _publish(self, subject: str, message: str, attributes: dict[str, str]) -> Delivery:
        try:
            self._client.publish(
                TopicArn=self._topic_arn,
                Subject=subject,
                Message=message,
                MessageStructure="json",
                MessageAttributes={k: {"DataType": "String", "StringValue": v[:256]} for k, v in attributes.items()},
            )
        except ClientError as exc:
            return retry_later(f"SNS publish failed ({exc.response.get('Error', {}).get('Code', 'ClientError')})")
        except BotoCoreError as exc:
            return retry_later(f"SNS publish failed ({type(exc).__name__})")
        return DELIVERED


def _clipped(value: Any, limit: int) -> Any:
    """`value` with every string longer than `limit` cut (and marked with an ellipsis), however deep."""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, dict):
        return {key: _clipped(item, limit) for key, item in value.items()}
    if isinstance(value, list):
        return [_clipped(item, limit) for item in value]
    return value


def _message(text: str, document: dict[str, Any]) -> str:
    """The MessageStructure=json body: readable text for email, the JSON document for every machine protocol."""
    doc = json.dumps(document, sort_keys=True)
    protocols = ("email-json", "sqs", "lambda", "http", "https")
    return json.dumps({"default": text, "email": text, **dict.fromkeys(protocols, doc)})

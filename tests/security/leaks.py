"""Everything a run lets out, gathered as text so a test can search it for secrets.

Log records are formatted by Powertools' own LambdaPowertoolsFormatter: the JSON line Lambda would write to
CloudWatch, with every extra key (`error=...`) and any exception's message and traceback. jobwatch logs
through Powertools child loggers; in tests their parent is never set up (the service name is read when the
package is first imported, before conftest sets it), so they print nothing to stdout themselves and propagate
to the root logger, where `LogCapture` sits. stdout and stderr are searched as well, in case that changes.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Mapping
from typing import Any

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from tests.alerts.channels import RecordingSns
from tests.alerts.scenarios import ended, errors, running
from tests.support.harness import TABLE, TOKEN, WEBHOOK_SECRET, Harness

FAILS = [running(100, 1.0), ended("failed", 150, 1.0)]
SCRAPED = errors(("blocked", 2, "Captcha served at https://shop.example/item/7"))


class LogCapture(logging.Handler):
    """Every record of every logger, kept with the JSON line Powertools would print for it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(LambdaPowertoolsFormatter())
        self.lines: list[tuple[logging.LogRecord, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record, self.format(record)))

    def own(self) -> str:
        """jobwatch's own lines, at every level."""
        return "\n".join(line for record, line in self.lines if "jobwatch" in record.name)

    def at_least(self, level: int) -> str:
        """Every logger's lines at `level` or above (Lambda's root handler writes WARNING and up by default)."""
        return "\n".join(line for record, line in self.lines if record.levelno >= level)

    def everything(self) -> str:
        return "\n".join(line for _, line in self.lines)


def start_capture(caplog: pytest.LogCaptureFixture) -> LogCapture:
    """Every logger at DEBUG (caplog restores the levels afterwards) and a LogCapture on the root logger."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    capture = LogCapture()
    logging.getLogger().addHandler(capture)
    for logger in logging.root.manager.loggerDict.values():
        if isinstance(logger, logging.Logger) and not logger.propagate:
            logger.addHandler(capture)  # a logger that does not propagate would otherwise be missed
    return capture


def stop_capture(capture: LogCapture) -> None:
    logging.getLogger().removeHandler(capture)
    for logger in logging.root.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.removeHandler(capture)


def secrets(webhook_url: str) -> dict[str, str]:
    """The Bright Data token, the webhook URL, everything after its host, and its last (key) segment."""
    after_host = "/" + webhook_url.split("://", 1)[1].split("/", 1)[1]
    key = after_host.rstrip("/").rsplit("/", 1)[-1]
    return {"token": TOKEN, "webhook url": webhook_url, "webhook path": after_host, "webhook key": key}


def outputs(harness: Harness, capture: LogCapture, std: Any, recorder: RecordingSns) -> dict[str, str]:
    """Where a secret could leave a run: jobwatch's logs, every WARNING+, stdout/stderr, messages, summaries,
    stored items. Library DEBUG lines are left out: `LogCapture.everything()` has them."""
    items = harness.aws.session.client("dynamodb").scan(TableName=TABLE)["Items"]
    return {
        "jobwatch logs": capture.own(),
        "WARNING+ logs of every logger": capture.at_least(logging.WARNING),
        "stdout": std.out,
        "stderr": std.err,
        "slack payloads": json.dumps(harness.slack.messages, ensure_ascii=False),
        "sns published": json.dumps(recorder.published, ensure_ascii=False, default=str),
        "sns received": json.dumps(harness.aws.sns_messages(), ensure_ascii=False),
        "run summaries": "\n".join(f"{s!r}\n{json.dumps(s.to_dict())}" for s in harness.runs),
        "table items": json.dumps(items, ensure_ascii=False, default=str),
    }


def found(corpus: Mapping[str, str], needles: Mapping[str, str]) -> list[str]:
    """One line per secret found: which, where, and the text around it."""
    hits = []
    for where, text in corpus.items():
        for name, needle in needles.items():
            at = text.find(needle)
            if at >= 0:
                hits.append(f"{name} in {where}: …{text[max(0, at - 120) : at + len(needle) + 40]!r}…")
    return hits


def add_failing_jobs(harness: Harness, *job_ids: str) -> None:
    """Tracked jobs that fail on their second poll, with per-input errors recorded."""
    for job_id in job_ids:
        harness.bd.add_job(job_id, FAILS, errors=SCRAPED)
    harness.track(*job_ids, label="Nightly prices")


def deliver_to_unreachable_webhook(harness: Harness, job_id: str) -> str:
    """Point the webhook secret at a closed loopback port, behind a path that is its secret part, and have a
    failure alert delivered there. Returns that URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/services/T0CLOSED/B0CLOSED/hush5e1f9a2c7d"
    harness.aws.session.client("secretsmanager").put_secret_value(SecretId=WEBHOOK_SECRET, SecretString=url)
    add_failing_jobs(harness, job_id)
    harness.run()
    harness.bd.tick()
    assert harness.run().delivery_failures == 1
    return url

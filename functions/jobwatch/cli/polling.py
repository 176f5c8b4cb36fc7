"""`jobwatch poll`: one run through the Lambda's own wiring (`build_monitor` + `run`), checked and summarised."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from jobwatch.monitor import RunSummary, run
from jobwatch.runtime import SecretReader, aws_config, build_monitor
from jobwatch.settings import SecretRef, Settings


class SecretUnreadableError(RuntimeError):
    """A secret the run needs cannot be read; the message names it and what to do."""


def poll_once(
    session: Any,
    settings: Settings,
    job_ids: Sequence[str] | None,
    clock: Callable[[], float],
    progress: Callable[[int, int], None],
    err: TextIO,
) -> RunSummary:
    """Check the secrets can be read, then run the monitor once, as the scheduled Lambda would."""
    secrets = SecretReader(session, aws_config(settings), max_age=0)
    check_secret(secrets, settings.token_ref, "the Bright Data API token", "JOBWATCH_TOKEN_PARAMETER")
    if settings.slack_webhook_ref:
        try:
            check_secret(secrets, settings.slack_webhook_ref, "the Slack webhook", "JOBWATCH_SLACK_WEBHOOK_PARAMETER")
        except SecretUnreadableError as exc:  # email still works: warn, and let Slack alerts wait for the next run
            err.write(f"jobwatch: warning: {exc}; Slack alerts stay pending\n")
    monitor = build_monitor(settings, session)
    return run(monitor, list(job_ids) if job_ids else None, clock=clock, progress=progress)


def check_secret(secrets: SecretReader, ref: SecretRef, what: str, variable: str) -> None:
    """Read one secret; raise SecretUnreadableError (or the AWS error behind it) saying which and why."""
    try:
        secrets.reader(ref)()
    except GetParameterError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, BotoCoreError):  # no credentials, unreachable endpoint: the boundary names those
            raise cause from None
        code = cause.response.get("Error", {}).get("Code") if isinstance(cause, ClientError) else None
        raise SecretUnreadableError(
            f"{what} secret {ref.backend}:{ref.name} cannot be read ({code or exc}): "
            f"create it, or point {variable} at the one that holds it"
        ) from exc


def summary_lines(summary: RunSummary, settings: Settings, errors: Sequence[str]) -> tuple[list[str], list[str]]:
    """What the run did, as lines for stdout, and what went wrong, one line each for stderr."""
    lines = [
        f"run {summary.run_id}: polled {_n(summary.polled, 'job')} ({summary.changed} changed), "
        f"discovered {summary.discovered}, {_n(summary.alerts, 'new alert')}, {_n(summary.sent, 'message')} sent"
    ]
    if summary.left_over:
        lines.append(f"{summary.left_over} jobs left for the next run (the run stopped early)")
    if summary.not_found:
        lines.append(f"{summary.not_found} jobs are gone from Bright Data (expired or unknown); no longer tracked")
    failed = []
    if summary.token_rejected:
        ref = settings.token_ref
        failed.append(f"Bright Data rejected the API token (HTTP 401): put a valid token in {ref.backend}:{ref.name}")
    if summary.rate_limited:
        failed.append("Bright Data answered 429 (rate limited): no more requests until its Retry-After has passed")
    if summary.errors:
        failed.append(_errors_line(summary, settings, errors))
    if summary.delivery_failures:
        failed.append(f"{summary.delivery_failures} deliveries failed; they are retried next run (see --verbose)")
    return lines, failed


def _errors_line(summary: RunSummary, settings: Settings, errors: Sequence[str]) -> str:
    ids = ", ".join(summary.error_ids[:5]) + (" …" if len(summary.error_ids) > 5 else "")
    reasons = Counter(error.split(" (", 1)[0] for error in errors)
    reason = f" ({reasons.most_common(1)[0][0]})" if reasons else ""
    line = f"{summary.errors} jobs could not be polled{reason}: {ids}"
    if any(error.startswith("TransientError") for error in errors):
        line += f"; is {settings.api_base_url} reachable from here? (JOBWATCH_API_BASE_URL)"
    return line


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")

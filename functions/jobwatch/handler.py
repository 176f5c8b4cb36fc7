"""Lambda entry point: Powertools decorators, settings, one call to `run`. Everything else is below it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:  # the runtime wiring imports boto3; it loads on the first invocation, not at cold import
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from jobwatch.monitor import Monitor

logger = Logger()
metrics = Metrics()
Handler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]


@cache
def container_monitor() -> Monitor:
    """Settings and clients, made once per container: a bad setting fails the invocation, naming it."""
    from jobwatch.runtime import build_monitor  # noqa: PLC0415 - lazy: keeps cold import light
    from jobwatch.settings import load_settings  # noqa: PLC0415

    return build_monitor(load_settings())


@cache
def traced() -> Handler:
    """The run under Powertools' Tracer, made on the first invocation: the X-Ray SDK loads botocore's data files
    (about 0.3 s), which the cold import need not pay for (README, "Performance")."""
    from aws_lambda_powertools import Tracer  # noqa: PLC0415

    return Tracer().capture_lambda_handler(_run, capture_response=False)


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return traced()(event, context)


def _run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from jobwatch.events import job_ids_from_event, publish_metrics  # noqa: PLC0415
    from jobwatch.monitor import run  # noqa: PLC0415

    summary = run(
        container_monitor(),
        job_ids_from_event(event),
        remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000,
        run_id=context.aws_request_id,
    )
    publish_metrics(metrics, summary)
    return summary.to_dict()

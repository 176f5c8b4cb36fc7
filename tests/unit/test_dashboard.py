"""The dashboard in template.yaml: valid CloudWatch dashboard JSON whose every widget reads a metric, with the
dimensions, that jobwatch.events emits; and every metric the issue names has a widget."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from jobwatch.events import publish_metrics
from jobwatch.monitor import RunSummary
from tests.deploy.samapp import load_template

NAMED_BY_THE_ISSUE = {"JobsPolled", "Alerts", "PollErrors", "RateLimitedRuns", "RunDuration", "SuccessRate"}
SEARCH = re.compile(r"SEARCH\('\{(?P<namespace>[^,}]+),(?P<dims>[^}]*)\} MetricName=\"(?P<name>\w+)\"")


def dashboard() -> dict[str, Any]:
    """The dashboard body with the substitutions CloudFormation would make."""
    [resource] = [r for r in load_template()["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body, names = resource["Properties"]["DashboardBody"]["Fn::Sub"]
    assert set(names) == {"Period"}
    text = body.replace("${AWS::Region}", "us-east-1").replace("${Period}", "300")
    return dict(json.loads(text.replace("${MonitorFunction}", "jobwatch-MonitorFunction-abc")))


def charted() -> set[tuple[str, str, tuple[str, ...]]]:
    """(namespace, metric, sorted dimension names) of every metric line and SEARCH of every widget."""
    found = set()
    for widget in dashboard()["widgets"]:
        previous: list[Any] = []
        for line in widget["properties"]["metrics"]:
            if isinstance(line[0], dict):
                match = SEARCH.match(line[0]["expression"])
                assert match, line[0]["expression"]
                found.add((match["namespace"], match["name"], tuple(sorted(match["dims"].split(",")))))
                continue
            # "." repeats the field of the line above at that place, "..." all of its fields
            fields = [f for f in line if not isinstance(f, dict)]
            fields = previous if fields == ["..."] else [previous[i] if f == "." else f for i, f in enumerate(fields)]
            previous = fields
            found.add((fields[0], fields[1], tuple(sorted(fields[2::2]))))
    return found


def emitted(capsys: pytest.CaptureFixture[str]) -> set[tuple[str, str, tuple[str, ...]]]:
    """What publish_metrics prints for a run with alerts and success rates, as (namespace, metric, dimensions)."""
    from aws_lambda_powertools import Metrics  # noqa: PLC0415

    summary = RunSummary("r1", polled=3, alert_kinds={"job_failed": 1}, rates=[("c_m9im5n7v82p2y35la", 0.5)])
    metrics = Metrics(namespace="Jobwatch", service="jobwatch")
    publish_metrics(metrics, summary)
    metrics.flush_metrics()
    found = set()
    for line in capsys.readouterr().out.splitlines():
        for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                for dims in directive["Dimensions"]:
                    found.add((directive["Namespace"], metric["Name"], tuple(sorted(dims))))
    return found


def test_every_widget_reads_a_metric_the_function_emits(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the metrics one run emits
    metrics = emitted(capsys)

    # Then every jobwatch line of the dashboard names one of them, with the same dimensions
    ours = {line for line in charted() if line[0] == "Jobwatch"}
    assert ours and ours <= metrics, f"charted but never emitted: {ours - metrics}"
    # And the function's own AWS/Lambda metrics are charted by function name
    assert ("AWS/Lambda", "Errors", ("FunctionName",)) in charted()


def test_the_metrics_the_issue_names_each_have_a_widget() -> None:
    assert {name for namespace, name, _ in charted() if namespace == "Jobwatch"} >= NAMED_BY_THE_ISSUE
    assert ("Jobwatch", "SuccessRate", ("collector", "service")) in charted()
    assert ("Jobwatch", "Alerts", ("kind", "service")) in charted()

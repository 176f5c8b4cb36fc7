"""`jobwatch --stack NAME`: the command line finds the table and the function's settings from the deployed stack
(its outputs, then the function's own environment), here the stack deployed into moto's CloudFormation."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from jobwatch.cli import main
from tests.deploy.samapp import Stack

JOB = "j_stackcli00001"


@pytest.fixture
def at_the_stack(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The CLI pointed at the shared deployed stack; the job it tracks is removed again, so that the other deploy
    tests' runs see the table as they left it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", stack.endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("JOBWATCH_TABLE_NAME", "JOBWATCH_STACK"):
        monkeypatch.delenv(name, raising=False)
    yield stack
    table = stack.physical_id("JobsTable")
    stack.client("dynamodb").delete_item(TableName=table, Key={"job_id": {"S": JOB}})


def test_track_list_and_show_work_through_the_stack(at_the_stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    # Given only the stack's name (no JOBWATCH_* variable)
    # When a job is tracked and the jobs listed through it
    assert main(["--stack", at_the_stack.name, "track", JOB, "--label", "Via the stack"]) == 0
    capsys.readouterr()
    assert main(["list", "--json", "--stack", at_the_stack.name]) == 0
    listed = json.loads(capsys.readouterr().out)

    # Then the job landed in the stack's own table, and the listing reads it back from there
    table = at_the_stack.physical_id("JobsTable")
    item = at_the_stack.client("dynamodb").get_item(TableName=table, Key={"job_id": {"S": JOB}})["Item"]
    assert (item["label"]["S"], item["active"]["S"]) == ("Via the stack", "job")
    assert [(row["job_id"], row["label"]) for row in listed] == [(JOB, "Via the stack")]


def test_an_unknown_stack_is_one_line(at_the_stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    # When a stack name is mistyped
    code = main(["--stack", "jobwatch-typo", "list"])

    # Then one line says so and what to check
    assert code == 1
    assert capsys.readouterr().err == (
        "jobwatch: stack jobwatch-typo does not exist in us-east-1: check --stack and --region\n"
    )

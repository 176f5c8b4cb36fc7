"""template.yaml read as data, offline: the table the store needs, alarms that say when jobwatch stops or fails,
a schedule that retries and dead-letters, settings the core accepts, and IAM no broader than the stack's own
resources; and cfn-lint's verdict. (checkov and `sam validate` need their own virtual environments: they run in
tests/deploy/test_build.py.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from jobwatch import settings as jobwatch_settings
from jobwatch import store as jobwatch_store
from tests.deploy.samapp import (
    MAIN_PARAMETERS,
    REPO_ROOT,
    SSM_PARAMETERS,
    TEMPLATE,
    load_template,
    transform_template,
)

# Actions AWS grants on no narrower resource than "*".
ONLY_STAR_RESOURCE = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
PERIOD = {"Fn::FindInMap": ["SchedulePeriods", {"Ref": "SchedulePeriodMinutes"}, "Seconds"]}
# A valid environment the checks below vary one variable at a time.
BASELINE_ENVIRONMENT = {
    "JOBWATCH_TABLE_NAME": "jobwatch-jobs",
    "JOBWATCH_TOKEN_PARAMETER": "secretsmanager:jobwatch/brightdata-token",
    "JOBWATCH_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:jobwatch-alerts",
}
# Free text to the settings parser: no value of theirs is rejected.
FREE_TEXT = {"JOBWATCH_TABLE_NAME", "JOBWATCH_TOPIC_ARN"}


@cache
def template() -> dict[str, Any]:
    return load_template()


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == kind}


def function() -> dict[str, Any]:
    [properties] = [r["Properties"] for r in resources("AWS::Serverless::Function").values()]
    return properties


def environment() -> dict[str, Any]:
    return function()["Environment"]["Variables"]


def alarm_on(metric: str) -> dict[str, Any]:
    [alarm] = [
        a["Properties"] for a in resources("AWS::CloudWatch::Alarm").values() if a["Properties"]["MetricName"] == metric
    ]
    return alarm


def schedule() -> dict[str, Any]:
    [event] = [e["Properties"] for e in function()["Events"].values() if e["Type"] == "ScheduleV2"]
    return event


def resolve_defaults(value: Any) -> str | None:
    """A parameter reference or literal as its default value; None for what only a deployment knows."""
    if isinstance(value, str | int | float):
        return str(value)
    if set(value) == {"Ref"} and value["Ref"] in template()["Parameters"]:
        default = template()["Parameters"][value["Ref"]].get("Default")
        return None if default is None else str(default)
    return None


def test_table_is_keyed_indexed_and_expiring_as_the_store_expects() -> None:
    # Given
    table = resources("AWS::DynamoDB::Table")["JobsTable"]["Properties"]
    schema = jobwatch_store.TABLE_SCHEMA
    # Then: the contract's table, and the one the store's constants describe
    assert schema == {"key": "job_id", "index": "active-index", "index_keys": ("active", "job_id"), "ttl": "expires_at"}
    assert table["KeySchema"] == [{"AttributeName": "job_id", "KeyType": "HASH"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "active-index",
            "KeySchema": [
                {"AttributeName": "active", "KeyType": "HASH"},
                {"AttributeName": "job_id", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert sorted(map(json.dumps, table["AttributeDefinitions"])) == sorted(
        json.dumps({"AttributeName": name, "AttributeType": "S"}) for name in ("job_id", "active")
    )
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}


def test_not_running_alarm_fires_when_scheduled_invocations_stop() -> None:
    # Given
    alarm = alarm_on("Invocations")
    # Then: no invocation in three schedule periods -- and no data at all -- alarms the topic
    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "MonitorFunction"}}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "LessThanThreshold", 1)
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["Period"] == PERIOD
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 3
    assert {"Ref": "AlertTopic"} in alarm["AlarmActions"]


def test_errors_alarm_fires_on_any_failed_run() -> None:
    alarm = alarm_on("Errors")
    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "MonitorFunction"}}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)
    assert {"Ref": "AlertTopic"} in alarm["AlarmActions"]


def test_delivery_abandoned_alarm_watches_the_metric_where_powertools_emits_it() -> None:
    # Powertools Metrics emits into POWERTOOLS_METRICS_NAMESPACE with a "service" dimension from POWERTOOLS_SERVICE_NAME
    alarm = alarm_on("DeliveryAbandoned")
    assert alarm["Namespace"] == environment()["POWERTOOLS_METRICS_NAMESPACE"] == "Jobwatch"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": environment()["POWERTOOLS_SERVICE_NAME"]}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)


def test_every_alarm_notifies_the_alert_topic() -> None:
    alarms = resources("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 3
    for name, alarm in alarms.items():
        assert {"Ref": "AlertTopic"} in alarm["Properties"]["AlarmActions"], name


def test_schedule_retries_dead_letters_and_sends_the_scheduled_event() -> None:
    # Given
    event = schedule()
    queues = resources("AWS::SQS::Queue")
    # Then
    assert json.loads(event["Input"]) == json.loads((REPO_ROOT / "events" / "scheduled.json").read_text())
    assert event["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert event["RetryPolicy"]["MaximumEventAgeInSeconds"] == PERIOD
    queue = event["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert queue in queues and queues[queue]["Properties"]["SqsManagedSseEnabled"] is True
    # and a run that raises is retried by Lambda, then dead-lettered to the same queue
    assert function()["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": [queue, "Arn"]}}
    assert function()["EventInvokeConfig"]["MaximumRetryAttempts"] >= 1


def test_one_parameter_sets_the_schedule_the_alarm_period_and_the_setting() -> None:
    # Given
    periods = template()["Mappings"]["SchedulePeriods"]
    parameter = template()["Parameters"]["SchedulePeriodMinutes"]
    # Then: every allowed period has a valid rate expression and its length in seconds
    assert set(parameter["AllowedValues"]) == set(periods)
    for minutes, row in periods.items():
        assert row["Expression"] == (f"rate({minutes} minute)" if minutes == "1" else f"rate({minutes} minutes)")
        assert row["Seconds"] == int(minutes) * 60
    # and the schedule, the function's setting and the alarm all follow the one parameter
    assert schedule()["ScheduleExpression"] == {
        "Fn::FindInMap": ["SchedulePeriods", {"Ref": "SchedulePeriodMinutes"}, "Expression"]
    }
    assert environment()["JOBWATCH_SCHEDULE_PERIOD_MINUTES"] == {"Ref": "SchedulePeriodMinutes"}
    assert parameter["Default"] == "5"


def test_function_is_the_package_handler_on_python_312() -> None:
    properties = function()
    assert properties["Handler"] == "jobwatch.handler.lambda_handler"
    assert (properties["Runtime"], properties["Architectures"]) == ("python3.12", ["x86_64"])
    assert properties["CodeUri"] == "functions/"
    assert properties["Tracing"] == "Active"
    assert properties["Layers"] == [{"Ref": "RuntimeLayer"}]


def test_every_required_setting_is_set() -> None:
    variables = environment()
    for name in jobwatch_settings.REQUIRED:
        assert variables.get(name) not in (None, ""), f"template.yaml does not set {name}"
    assert variables["JOBWATCH_TABLE_NAME"] == {"Ref": "JobsTable"}
    assert variables["JOBWATCH_TOPIC_ARN"] == {"Ref": "AlertTopic"}


@pytest.mark.parametrize(
    "variable", sorted(v for v in environment() if v.startswith("JOBWATCH_") and v not in FREE_TEXT)
)
def test_the_settings_parser_reads_every_variable_the_template_sets(variable: str) -> None:
    # A misspelt name would be ignored silently; an invalid value for a name the parser reads is an error naming it.
    with pytest.raises(jobwatch_settings.ConfigError, match=variable):
        jobwatch_settings.load_settings(BASELINE_ENVIRONMENT | {variable: "not a valid value"})


def test_every_value_the_parameters_allow_is_a_setting_the_core_accepts() -> None:
    # Given: each setting the template takes from a parameter, at the parameter's default and its bounds
    parameters = template()["Parameters"]
    cases = []
    for variable, value in environment().items():
        if variable.startswith("JOBWATCH_") and isinstance(value, dict) and set(value) == {"Ref"}:
            parameter = parameters.get(value["Ref"])
            if parameter is not None:
                allowed = parameter.get("AllowedValues") or [
                    parameter.get(k) for k in ("Default", "MinValue", "MaxValue")
                ]
                cases += [(variable, str(v)) for v in allowed if v is not None]
    # When / Then
    assert len(cases) >= 10
    for variable, value in cases:
        jobwatch_settings.load_settings(BASELINE_ENVIRONMENT | {variable: value})


def test_the_defaults_make_settings_the_core_accepts() -> None:
    resolved = {name: resolve_defaults(value) for name, value in environment().items()}
    values = {name: value for name, value in resolved.items() if value is not None}
    settings = jobwatch_settings.load_settings(BASELINE_ENVIRONMENT | values)
    assert (settings.min_success_rate, settings.concurrency, settings.schedule_period_minutes) == (0.9, 16, 5)


def test_cfn_lint_accepts_the_template() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- IAM, on the template the AWS::Serverless transform produces (offline) ----------------------------------------


def transformed(parameters: dict[str, str]) -> dict[str, Any]:
    sam = load_template()
    sam["Resources"]["MonitorFunction"]["Properties"]["CodeUri"] = "s3://artifacts/function.zip"
    sam["Resources"]["RuntimeLayer"]["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    return transform_template(sam, parameters)


def branches(value: Any) -> Iterator[Any]:
    """Every value an Fn::If may take (both branches), AWS::NoValue left out; lists flattened."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        for branch in value["Fn::If"][1:]:
            yield from branches(branch)
    elif isinstance(value, list):
        for item in value:
            yield from branches(item)
    elif value != {"Ref": "AWS::NoValue"}:
        yield value


def statements(resources_: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in resources_.items():
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            properties = resource["Properties"]
            documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
            documents += [properties["PolicyDocument"]] if "PolicyDocument" in properties else []
            for document in documents:
                for statement in branches(document["Statement"]):
                    yield name, statement


def referenced_names(value: Any) -> set[str]:
    """Logical ids and parameters a resource expression refers to (Ref, Fn::GetAtt, ${...} in Fn::Sub)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        if "Fn::Sub" in value:
            text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
            names = {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)} - set(variables)
            return names | referenced_names(list(variables.values()))
        return set().union(*(referenced_names(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(referenced_names(v) for v in value)) if value else set()
    return set()


@pytest.mark.parametrize(
    "parameters",
    [MAIN_PARAMETERS, SSM_PARAMETERS, {"BrightDataTokenName": "jobwatch-token"}],
    ids=["secretsmanager", "ssm", "token-only"],
)
def test_no_statement_grants_a_wildcard_action_or_a_foreign_resource(parameters: dict[str, str]) -> None:
    # Given
    cloudformation = transformed(parameters)
    own_resources = set(cloudformation["Resources"])
    named_secrets = {"BrightDataTokenName", "SlackWebhookName"}
    # When
    found = list(statements(cloudformation["Resources"]))
    # Then
    assert found
    for role, statement in found:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        assert not [a for a in actions if "*" in a], f"{role} grants wildcard actions: {actions}"
        for resource in branches(statement["Resource"]):
            if resource == "*":
                # X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions.
                assert set(actions) <= ONLY_STAR_RESOURCE, f"{role} grants {actions} on every resource"
                continue
            names = referenced_names(resource)
            if names & own_resources:
                continue
            # Otherwise an ARN built from a secret's name: in this account and region only.
            assert names & named_secrets, f"{role} grants {actions} on {resource}, which is not this stack's"
            assert {"AWS::AccountId", "AWS::Region"} <= names, f"{role}: {resource} is not in this account"
    for name, resource in cloudformation["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            assert not resource["Properties"].get("ManagedPolicyArns"), f"{name} attaches managed policies"


def test_function_role_scopes_table_topic_and_secret_reads_to_this_stack() -> None:
    # Given
    cloudformation = transformed(MAIN_PARAMETERS)
    grants: dict[str, set[str]] = {}
    for role, statement in statements(cloudformation["Resources"]):
        if role == "MonitorFunctionRole":
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                grants.setdefault(action, set()).update(referenced_names(statement["Resource"]))
    # Then
    for action in jobwatch_store.IAM_ACTIONS:
        assert grants.get(action) == {"JobsTable"}, f"{action} is not granted on JobsTable alone: {grants.get(action)}"
    assert grants.get("sns:Publish") == {"AlertTopic"}
    assert {"BrightDataTokenName", "SlackWebhookName"} <= grants.get("secretsmanager:GetSecretValue", set())
    assert {"BrightDataTokenName"} <= grants.get("ssm:GetParameter", set())  # the other branch of the backend condition

"""template.yaml deployed into moto's CloudFormation gives the function the table, settings and permissions the
code expects.

moto's CloudFormation skips what it cannot model (AWS::Scheduler::Schedule, AWS::CloudWatch::Alarm,
AWS::SNS::Subscription, AWS::Lambda::EventInvokeConfig) and ignores some properties of what it does model (a
table's TimeToLiveSpecification; a function's Layers, TracingConfig and DeadLetterConfig). Those are asserted on
the transformed template the stack was created from, and each such test says so.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from jobwatch import settings as jobwatch_settings
from jobwatch import store as jobwatch_store
from tests.deploy.samapp import (
    MAIN_PARAMETERS,
    REGION,
    REPO_ROOT,
    SSM_PARAMETERS,
    Stack,
    actions_of,
    function_environment,
    put_secret,
    required_actions,
    resources_of,
    role_statements,
)

pytestmark = [
    pytest.mark.deploy,
    # moto says so for each resource type it skips; the docstring above lists them.
    pytest.mark.filterwarnings("ignore:Tried to parse AWS.*not supported by moto:UserWarning"),
]

ACCOUNT = "123456789012"  # moto's account
SECRET_READS = {"secretsmanager": "secretsmanager:GetSecretValue", "ssm": "ssm:GetParameter"}
# What the role needs for the Lambda service rather than for the code: the function's logs, its traces
# (Tracing: Active), its dead-letter queue, and the topic's customer managed key (SNS encrypts each message
# published with it, as the caller).
PLATFORM_ACTIONS = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "sqs:SendMessage",
    "kms:GenerateDataKey",
    "kms:Decrypt",
}


def granted(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Resources granted per action, over all statements."""
    grants: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        for action in actions_of(statement):
            grants.setdefault(action, set()).update(resources_of(statement))
    return grants


def assert_actions(granted_actions: set[str], expected: set[str]) -> None:
    missing, broader = expected - granted_actions, granted_actions - expected
    assert not missing, f"the function's role lacks {sorted(missing)}"
    assert not broader, f"the function's role grants more than needed: {sorted(broader)}"


def assert_resources(grants: dict[str, set[str]], expected: dict[str, set[str]]) -> None:
    wrong = {action: sorted(grants.get(action, ())) for action in expected if grants.get(action) != expected[action]}
    assert not wrong, f"granted on other resources than this stack's own: {wrong}"


def own_resource_grants(stack: Stack, secret_arns: set[str]) -> dict[str, set[str]]:
    """The exact grants the stack's resources call for (secret ARNs depend on the backend)."""
    table_arn = stack.client("dynamodb").describe_table(TableName=stack.outputs["JobsTableName"])["Table"]["TableArn"]
    # (moto's describe_key fails on a key CloudFormation made: its ARN is built here the way AWS forms it.)
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{stack.physical_id('AlertKey')}"
    queue_url = stack.outputs["FailedRunsQueueUrl"]
    queue_arn = stack.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{stack.physical_id('MonitorLogGroup')}:*"
    grants = {
        "dynamodb:Query": {table_arn, f"{table_arn}/index/{jobwatch_store.ACTIVE_INDEX}"},
        "sns:Publish": {stack.outputs["AlertTopicArn"]},
        "kms:GenerateDataKey": {key_arn},
        "kms:Decrypt": {key_arn},
        "logs:CreateLogStream": {log_group},
        "logs:PutLogEvents": {log_group},
        "sqs:SendMessage": {queue_arn["QueueArn"]},
        # X-Ray has no resource-level permissions: "*" is the only resource AWS accepts for these two.
        "xray:PutTraceSegments": {"*"},
        "xray:PutTelemetryRecords": {"*"},
    }
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"):
        grants[action] = {table_arn}
    backend = stack.parameters.get("SecretsBackend", "secretsmanager")
    grants[SECRET_READS[backend]] = secret_arns
    return grants


def test_table_is_the_one_the_store_queries(stack: Stack) -> None:
    # Given
    dynamodb = stack.client("dynamodb")
    schema = jobwatch_store.TABLE_SCHEMA
    # When
    table = dynamodb.describe_table(TableName=stack.outputs["JobsTableName"])["Table"]
    # Then
    assert table["KeySchema"] == [{"AttributeName": schema["key"], "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == schema["index"]
    partition, sort = schema["index_keys"]
    assert index["KeySchema"] == [
        {"AttributeName": partition, "KeyType": "HASH"},
        {"AttributeName": sort, "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
        (schema["key"], "S"),
        (partition, "S"),
    }
    # moto's CloudFormation does not apply TimeToLiveSpecification: the TTL is checked where the stack got it.
    properties = stack.transformed["Resources"]["JobsTable"]["Properties"]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": schema["ttl"], "Enabled": True}


def test_function_gets_every_required_setting_and_they_parse(stack: Stack) -> None:
    # Given
    environment = function_environment(stack)
    # Then: the variables the core requires are there
    for variable in jobwatch_settings.REQUIRED:
        assert environment.get(variable, "").strip(), f"{variable} is not set on the deployed function"
    # When
    settings = jobwatch_settings.load_settings(environment)
    # Then: they name this stack's resources
    assert settings.table_name == stack.outputs["JobsTableName"]
    assert settings.topic_arn == stack.outputs["AlertTopicArn"]
    secret = jobwatch_settings.SecretRef
    assert settings.token_ref == secret("secretsmanager", MAIN_PARAMETERS["BrightDataTokenName"])
    assert settings.slack_webhook_ref == secret("secretsmanager", MAIN_PARAMETERS["SlackWebhookName"])
    assert settings.schedule_period_minutes == 5
    assert environment["POWERTOOLS_SERVICE_NAME"] == "jobwatch"
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "Jobwatch"


def test_function_runs_the_package_handler_on_python_312(stack: Stack) -> None:
    # When
    function = stack.client("lambda").get_function_configuration(FunctionName=stack.physical_id("MonitorFunction"))
    # Then
    assert function["Handler"] == "jobwatch.handler.lambda_handler"
    assert function["Runtime"] == "python3.12"
    assert function["Architectures"] == ["x86_64"]
    assert function["Role"].endswith(f":role/{stack.physical_id('MonitorFunctionRole')}")
    concurrency = stack.client("lambda").get_function_concurrency(FunctionName=function["FunctionName"])
    assert concurrency["ReservedConcurrentExecutions"] == 1
    # moto ignores Layers, TracingConfig and DeadLetterConfig: these come from the template the stack was made of.
    properties = stack.transformed["Resources"]["MonitorFunction"]["Properties"]
    layer = next(k for k, v in stack.transformed["Resources"].items() if v["Type"] == "AWS::Lambda::LayerVersion")
    assert properties["Layers"] == [{"Ref": layer}]
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": ["FailedRunsQueue", "Arn"]}}


def test_schedule_invokes_the_function_with_the_scheduled_event(stack: Stack) -> None:
    # moto's CloudFormation does not create AWS::Scheduler::Schedule: this checks the schedule the stack declares.
    resources = stack.transformed["Resources"]
    [(logical_id, schedule)] = [(k, v) for k, v in resources.items() if v["Type"] == "AWS::Scheduler::Schedule"]
    target = schedule["Properties"]["Target"]
    # Then: it invokes this function with the same event `sam local invoke -e events/scheduled.json` sends
    assert target["Arn"] == {"Fn::GetAtt": ["MonitorFunction", "Arn"]}
    assert json.loads(target["Input"]) == json.loads((REPO_ROOT / "events" / "scheduled.json").read_text())
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["FailedRunsQueue", "Arn"]}}
    # and its role may invoke this function and feed the dead-letter queue, nothing else
    role = resources[target["RoleArn"]["Fn::GetAtt"][0]]
    statements = [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert {(s["Action"], json.dumps(s["Resource"])) for s in statements} == {
        ("lambda:InvokeFunction", json.dumps({"Fn::GetAtt": ["MonitorFunction", "Arn"]})),
        ("sqs:SendMessage", json.dumps({"Fn::GetAtt": ["FailedRunsQueue", "Arn"]})),
    }, f"{logical_id}'s role grants more than invoking the function and sending to the DLQ"


def test_function_role_grants_exactly_what_the_code_and_lambda_need(stack: Stack) -> None:
    # Given: the secrets the stack names, as Secrets Manager names them (the name, "-" and a random suffix)
    secrets = stack.client("secretsmanager")
    names = [MAIN_PARAMETERS["BrightDataTokenName"], MAIN_PARAMETERS["SlackWebhookName"]]
    secret_arns = [put_secret(secrets, name, "placeholder") for name in names]
    patterns = {f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-??????" for name in names}
    # When
    grants = granted(role_statements(stack, "MonitorFunctionRole"))
    # Then: every action the code calls, and nothing broader than this stack's own resources
    assert_actions(set(grants), (required_actions() - {"ssm:GetParameter"}) | PLATFORM_ACTIONS)
    assert_resources(grants, own_resource_grants(stack, patterns))
    for arn in secret_arns:
        assert any(fnmatch.fnmatchcase(arn, pattern) for pattern in patterns), f"no grant matches {arn}"


def test_ssm_backend_reads_parameters_and_no_secrets(ssm_stack: Stack) -> None:
    # Given: parameter ARNs as SSM reports them, for a hierarchical and a plain name
    ssm = ssm_stack.client("ssm")
    names = [SSM_PARAMETERS["BrightDataTokenName"], SSM_PARAMETERS["SlackWebhookName"]]
    for name in names:
        ssm.put_parameter(Name=name, Value="x", Type="SecureString", Overwrite=True)
    parameter_arns = {ssm.get_parameter(Name=name)["Parameter"]["ARN"] for name in names}
    # When
    grants = granted(role_statements(ssm_stack, "MonitorFunctionRole"))
    environment = function_environment(ssm_stack)
    # Then
    assert "secretsmanager:GetSecretValue" not in grants
    assert_actions(set(grants), (required_actions() - {"secretsmanager:GetSecretValue"}) | PLATFORM_ACTIONS)
    assert_resources(grants, own_resource_grants(ssm_stack, parameter_arns))
    assert environment["JOBWATCH_TOKEN_PARAMETER"] == f"ssm:{names[0]}"
    assert environment["JOBWATCH_SLACK_WEBHOOK_PARAMETER"] == f"ssm:{names[1]}"


def test_the_dashboard_charts_the_deployed_function(stack: Stack) -> None:
    # Given the deployed stack; When its dashboard is read back from CloudWatch
    name = stack.outputs["DashboardName"]
    body = json.loads(stack.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])

    # Then it charts this stack's function and the run's own metrics, every substitution made
    function = stack.physical_id("MonitorFunction")
    lines = [line for widget in body["widgets"] for line in widget["properties"]["metrics"]]
    assert ["AWS/Lambda", "Invocations", "FunctionName", function] in lines
    assert ["Jobwatch", "JobsPolled", "service", "jobwatch"] in lines
    assert "${" not in json.dumps(body)

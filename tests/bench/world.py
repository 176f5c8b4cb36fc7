"""The AWS side of the bench in the moto server: a table per scenario (from template.yaml), the token secret,
the alert topic, and N tracked jobs written straight into the table (BatchWriteItem, not counted)."""

from __future__ import annotations

import os
import time
from typing import Any

import boto3

from jobwatch.sim.aws import fake_credentials_env
from tests.bench.servers import TOKEN, Servers
from tests.support.template import table_definition

SECRET = "jobwatch/bench-token"
JOB_PREFIX = "j_bench"


def aws_env(servers: Servers) -> dict[str, str]:
    """Environment that points boto3 at the moto server with fake credentials."""
    return {**fake_credentials_env(), "AWS_ENDPOINT_URL": servers.aws_url}


def session(servers: Servers) -> Any:
    os.environ.update(aws_env(servers))
    return boto3.session.Session(region_name="us-east-1")


def provision_shared(servers: Servers) -> str:
    """The secret and the topic every scenario shares; returns the topic ARN."""
    aws = session(servers)
    secrets = aws.client("secretsmanager")
    if not secrets.list_secrets(Filters=[{"Key": "name", "Values": [SECRET]}])["SecretList"]:
        secrets.create_secret(Name=SECRET, SecretString=TOKEN)
    return str(aws.client("sns").create_topic(Name="jobwatch-bench")["TopicArn"])


def fresh_table(servers: Servers, name: str, n_jobs: int, prefix: str = JOB_PREFIX) -> None:
    """Create table `name` and track `n_jobs` jobs named prefix000000, prefix000001, ... in it."""
    client = session(servers).client("dynamodb")
    client.create_table(TableName=name, **table_definition())
    now = time.time()
    items = [
        {
            "job_id": {"S": f"{prefix}{i:06d}"},
            "active": {"S": "job"},
            "version": {"N": "0"},
            "tracked_at": {"N": str(now)},
        }
        for i in range(n_jobs)
    ]
    for start in range(0, len(items), 25):
        request = {name: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def settings_env(servers: Servers, table: str, topic_arn: str, **overrides: str) -> dict[str, str]:
    """The monitor's settings for a bench run (production defaults unless overridden)."""
    env = {
        "JOBWATCH_TABLE_NAME": table,
        "JOBWATCH_TOKEN_PARAMETER": f"secretsmanager:{SECRET}",
        "JOBWATCH_TOPIC_ARN": topic_arn,
        "JOBWATCH_API_BASE_URL": servers.bd_url,
    }
    env.update(overrides)
    return env

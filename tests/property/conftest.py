"""The property suites' one moto table, shared by a module's examples: a table per example is too slow."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from jobwatch.store import Store
from tests.support.harness import TABLE
from tests.support.template import table_definition


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    """The jobs table as template.yaml defines it, in moto. Each example tracks a job of its own in it."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, **table_definition())
        yield Store(client, TABLE)

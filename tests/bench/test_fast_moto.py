"""The bench's moto encoder (fast_moto) answers DynamoDB item operations exactly as moto's own serializer does,
so the bench's figures are those of the same protocol, only without moto's cost per item."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws
from moto.dynamodb.responses import DynamoResult

from tests.bench import fast_moto
from tests.support.template import table_definition

ITEM = {
    "job_id": {"S": "j_fastmoto0001"},
    "active": {"S": "job"},
    "version": {"N": "3"},
    "snapshot": {"M": {"status": {"S": "running"}, "success_rate": {"N": "0.5"}, "pages": {"N": "12"}}},
    "history": {"L": [{"M": {"kind": {"S": "job_failed"}, "delivered": {"L": [{"S": "slack"}]}}}]},
    "flags": {"BOOL": True},
    "gone": {"NULL": True},
}


def _bodies() -> list[dict[str, object]]:
    """The Query, GetItem and UpdateItem answers for one item, as the client received them."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="t", **table_definition())
        client.put_item(TableName="t", Item=ITEM)
        key = {"job_id": ITEM["job_id"]}
        answers = [
            client.query(
                TableName="t",
                IndexName="active-index",
                KeyConditionExpression="active = :a",
                ExpressionAttributeValues={":a": {"S": "job"}},
            ),
            client.get_item(TableName="t", Key=key),
            client.update_item(
                TableName="t", Key=key, UpdateExpression="SET version = :v",
                ExpressionAttributeValues={":v": {"N": "4"}}, ReturnValues="ALL_NEW",
            ),
        ]  # fmt: skip
    return [{k: v for k, v in a.items() if k != "ResponseMetadata"} for a in answers]


def test_the_fast_encoder_gives_what_moto_gives(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Given the answers of moto's own serializer
    expected = _bodies()

    # When the same operations run with the bench's encoder installed
    monkeypatch.setattr(DynamoResult, "execute_result", DynamoResult.execute_result)
    fast_moto.install()
    got = _bodies()

    # Then the client received the same documents
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert DynamoResult.execute_result.__jobwatch_fast__  # type: ignore[attr-defined]

"""The DynamoDB table: one item per tracked job, per watched collector, and one for the monitor itself.

The monitor owns snapshot, state, pending, history, polled_at, lease and meta, and writes them only with a
condition on `version` (and on the lease), so two runs at once can never both act on the same item state.
Operators (the CLI) own label, rules, active and untracked, and write them without touching `version`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from jobwatch.records import COLLECTOR_PREFIX, MONITOR_KEY, CollectorRecord, JobRecord

KEY = "job_id"
ACTIVE_INDEX = "active-index"
ACTIVE_ATTR = "active"
TTL_ATTR = "expires_at"
# Jobs per Query page of the work list: small enough that polling starts while later pages load.
WORK_PAGE_SIZE = 200
# The table as template.yaml declares it; the tests build their moto table from template.yaml and check these.
TABLE_SCHEMA = {"key": KEY, "index": ACTIVE_INDEX, "index_keys": (ACTIVE_ATTR, KEY), "ttl": TTL_ATTR}
IAM_ACTIONS = ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:BatchGetItem")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class StoreError(RuntimeError):
    """The table cannot be used (missing, no permission, throttled beyond retries)."""


class Store:
    """Reads and conditional writes on the jobwatch table through a low-level boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    # --- reads -----------------------------------------------------------------------------------------
    def active_jobs(self) -> Iterator[JobRecord]:
        """Every job still being watched, from the sparse active index: Query pages, never a Scan."""
        for page in self.active_job_pages():
            yield from page

    def active_job_pages(self, start: str | None = None, page_size: int = WORK_PAGE_SIZE) -> Iterator[list[JobRecord]]:
        """The watched jobs in job id order, one Query page at a time, beginning at `start` and wrapping
        around to the jobs before it; a caller can start work on a page while the next one loads."""
        ranges = [(" AND #job_id >= :start", start), (" AND #job_id < :start", start)] if start else [("", None)]
        for condition, value in ranges:
            for page in self._query_active("job", condition, value, page_size):
                yield [JobRecord.from_item(item) for item in page]

    def collectors(self) -> list[CollectorRecord]:
        """Every watched collector (they share the active index under their own partition value)."""
        return [CollectorRecord.from_item(item) for page in self._query_active("collector") for item in page]

    def get(self, key: str) -> dict[str, Any] | None:
        """One item by key, strongly consistent; None when absent."""
        response = self._call("get_item", TableName=self.table_name, Key=_key(key), ConsistentRead=True)
        return _plain(response["Item"]) if "Item" in response else None

    def get_job(self, job_id: str) -> JobRecord | None:
        item = self.get(job_id)
        return JobRecord.from_item(item) if item else None

    def monitor(self) -> JobRecord:
        """The monitor's own item (created on first write)."""
        item = self.get(MONITOR_KEY)
        return JobRecord.from_item(item) if item else JobRecord(job_id=MONITOR_KEY, active=False)

    def existing(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` have an item (tracked, finished or untracked), 100 keys per BatchGetItem."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 100):
            request = {
                self.table_name: {"Keys": [_key(k) for k in wanted[start : start + 100]], "ProjectionExpression": KEY}
            }
            while request:
                response = self._call("batch_get_item", RequestItems=request)
                found.update(item[KEY]["S"] for item in response["Responses"].get(self.table_name, []))
                request = response.get("UnprocessedKeys") or {}
        return found

    def scan_jobs(self) -> Iterator[JobRecord]:
        """Every job item, finished ones too. Operator listings only: the monitor never scans."""
        kwargs: dict[str, Any] = {"TableName": self.table_name}
        while True:
            response = self._call("scan", **kwargs)
            for raw in response.get("Items", []):
                item = _plain(raw)
                if item[KEY] != MONITOR_KEY and not item[KEY].startswith(COLLECTOR_PREFIX):
                    yield JobRecord.from_item(item)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # --- the monitor's writes ----------------------------------------------------------------------------
    def save(
        self, before: JobRecord, after: JobRecord, owner: str, now: float, expires_at: float | None = None
    ) -> bool:
        """Write the monitor-owned attributes of `after` if the item is still at `before.version` and no other
        run holds its lease. Deactivates the item when `expires_at` is given. False when the condition failed."""
        values: dict[str, Any] = {
            "snapshot": after.snapshot.to_dict() if after.snapshot else None,
            "state": after.state.to_dict(),
            "pending": {key: p.to_item() for key, p in after.pending.items()},
            "history": list(after.history),
            "polled_at": after.polled_at,
            "lease_owner": after.lease_owner,
            "lease_until": after.lease_until,
            "last_error": after.last_error,
            "meta": after.meta or None,
            "version": before.version + 1,
        }
        if expires_at is not None:
            values[TTL_ATTR] = int(expires_at)
        sets = {name: value for name, value in values.items() if value is not None}
        removes = [name for name, value in values.items() if value is None]
        if expires_at is not None:
            removes.append(ACTIVE_ATTR)
        names = {f"#{name}": name for name in [*sets, *removes, KEY]}
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in sets)
        if removes:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in removes)
        condition = "(#lease_owner = :owner OR attribute_not_exists(#lease_until) OR #lease_until < :now)"
        if before.version == 0:
            condition += " AND (attribute_not_exists(#version) OR #version = :zero)"
        else:
            condition += " AND #version = :expected"
        if before.job_id != MONITOR_KEY:
            condition += " AND attribute_exists(#job_id)"
        names.update({"#lease_owner": "lease_owner", "#lease_until": "lease_until", "#version": "version"})
        extra = {":owner": owner, ":now": now, ":expected": before.version, ":zero": 0}
        attr_values = {f":{name}": value for name, value in sets.items()}
        attr_values.update({k: v for k, v in extra.items() if k in condition})
        return self._conditional(
            "update_item",
            Key=_key(before.job_id),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames={k: v for k, v in names.items() if k in expression or k in condition},
            ExpressionAttributeValues=_serialize_values(attr_values),
        )

    # --- operator writes (never touch version) -----------------------------------------------------------
    def create_job(self, job_id: str, fields: dict[str, Any]) -> bool:
        """Start tracking a job that has no item yet. False when an item exists (tracked, finished or untracked)."""
        item = {KEY: job_id, ACTIVE_ATTR: "job", "version": 0, **fields}
        return self._conditional(
            "put_item", Item=_serialize_item(item), ConditionExpression="attribute_not_exists(job_id)"
        )

    def update_fields(
        self, key: str, sets: dict[str, Any], removes: Iterable[str] = (), must_exist: bool = True
    ) -> bool:
        """Set and remove operator-owned attributes of one item. False when `must_exist` and it does not."""
        sets = {name: value for name, value in sets.items() if value is not None}
        removes = list(removes)
        names = {f"#{name}": name for name in [*sets, *removes]}
        parts = []
        if sets:
            parts.append("SET " + ", ".join(f"#{name} = :{name}" for name in sets))
        if removes:
            parts.append("REMOVE " + ", ".join(f"#{name}" for name in removes))
        kwargs: dict[str, Any] = {"Key": _key(key), "UpdateExpression": " ".join(parts)}
        if must_exist:
            names["#job_id"] = KEY
            kwargs["ConditionExpression"] = "attribute_exists(#job_id)"
        kwargs["ExpressionAttributeNames"] = names
        if sets:
            kwargs["ExpressionAttributeValues"] = _serialize_values({f":{k}": v for k, v in sets.items()})
        return self._conditional("update_item", **kwargs)

    # --- plumbing ---------------------------------------------------------------------------------------
    def _query_active(
        self, kind: str, condition: str = "", start: str | None = None, page_size: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": ACTIVE_INDEX,
            "KeyConditionExpression": "#active = :kind" + condition,
            "ExpressionAttributeNames": {"#active": ACTIVE_ATTR},
            "ExpressionAttributeValues": {":kind": {"S": kind}},
        }
        if condition:
            kwargs["ExpressionAttributeNames"]["#job_id"] = KEY
            kwargs["ExpressionAttributeValues"][":start"] = {"S": start}
        if page_size:
            kwargs["Limit"] = page_size
        while True:
            response = self._call("query", **kwargs)
            items = [_plain(item) for item in response.get("Items", [])]
            if items:
                yield items
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _conditional(self, operation: str, **kwargs: Any) -> bool:
        try:
            self._call(operation, TableName=self.table_name, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, operation)(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise StoreError(
                    f"table {self.table_name} does not exist: deploy the stack or set JOBWATCH_TABLE_NAME"
                ) from exc
            raise


def _key(key: str) -> dict[str, Any]:
    return {KEY: {"S": key}}


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _serialize_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def _serialize_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in values.items()}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return {_from_dynamo(v) for v in value}
    return value

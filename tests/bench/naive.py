"""The naive monitor the bench compares against: Scan the table, then for each job, one at a time, GET its
metadata and write it back, whether it changed or not. Same servers, same process as the real run."""

from __future__ import annotations

import json
import time
from typing import Any

import urllib3

from jobwatch.snapshot import parse_job


def naive_run(dynamodb: Any, table: str, bd_url: str, token: str) -> float:
    """One naive pass over every active job; returns its wall time in seconds."""
    http = urllib3.PoolManager(maxsize=1, timeout=urllib3.Timeout(connect=5, read=30))
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = dynamodb.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    for item in items:
        if item.get("active", {}).get("S") != "job":
            continue
        job_id = item["job_id"]["S"]
        response = http.request("GET", f"{bd_url}/dca/log/{job_id}", headers=headers)
        snapshot = parse_job(job_id, response.data)
        dynamodb.update_item(
            TableName=table,
            Key={"job_id": {"S": job_id}},
            UpdateExpression="SET naive_snapshot = :s, naive_polled_at = :t",
            ExpressionAttributeValues={":s": {"S": json.dumps(snapshot.to_dict())}, ":t": {"N": str(time.time())}},
        )
    return time.monotonic() - started

"""The README's "Example alerts" section, rendered from the golden files (which the real code produced).

`python tests/alerts/update_goldens.py` writes it between `<!-- examples:start -->` and `<!-- examples:end -->`;
test_docs.py fails when the README and this rendering disagree, so the documentation cannot drift.
"""

from __future__ import annotations

import json
from typing import Any

from jobwatch.alerts import Kind
from tests.alerts.golden import read, to_json

# One example of every alert kind: (scenario golden, alert id).
EXAMPLES: dict[Kind, tuple[str, str]] = {
    Kind.FAILED: ("why_it_failed", "j_failexplained1/job_failed/1"),
    Kind.CANCELLED: ("why_it_failed", "j_cancelledbyop1/job_cancelled/1"),
    Kind.LOW_RATE: ("recovery", "j_recoverwhilerun/low_success_rate/1"),
    Kind.RECOVERED: ("recovery", "j_recoverwhilerun/success_rate_recovered/1"),
    Kind.STUCK: ("stuck", "j_hangownlimit01/job_stuck/1"),
    Kind.STALLED: ("stalled", "j_nomoveprogress1/job_stalled/1"),
    Kind.DONE: ("done", "j_finishedfine01/job_done/1"),
    Kind.NOT_FOUND: ("not_found", "j_expiredjob0001/job_not_found/1"),
    Kind.TOKEN_REJECTED: ("token_rejected", "monitor/token_rejected/1"),
}

# The SNS JSON document of one alert (schema_version 1): key -> (type, meaning).
ALERT_SCHEMA: dict[str, tuple[str, str]] = {
    "schema_version": ("integer", "version of this document; changes only when a key changes meaning or goes"),
    "alert_id": ("string", "`{job_id}/{kind}/{n}`, or `monitor/token_rejected/{n}`; unique per edge"),
    "kind": ("string", "one of the alert kinds above"),
    "severity": ("string", "`critical`, `warning`, `resolved` or `info`"),
    "job_id": ("string or null", "the job; null for the monitor's own alerts"),
    "collector": ("string or null", "the job's collector id"),
    "label": ("string or null", "the operator's label for the job, in full"),
    "summary": ("string", "one line saying what happened"),
    "created_at": ("string", "when jobwatch decided the alert, ISO 8601 UTC (`2025-04-28T13:05:00Z`)"),
    "old_status": ("string or null", "the job's status at the previous poll"),
    "new_status": ("string or null", "the job's status now"),
    "threshold": ("number or null", "the success-rate threshold the job is judged by (0 to 1)"),
    "refers_to": ("string or null", "for `success_rate_recovered`: the `alert_id` it resolves"),
    "job_url": ("string or null", "link to the job in the Bright Data control panel"),
    "errors": ("array", "top per-input error codes: `{code, count, example}`, most frequent first, at most 5"),
    "errors_note": ("string or null", "why `errors` is empty (none recorded, or could not be fetched)"),
    "muted": ("boolean", "always false in delivered alerts (muted ones are only kept in history)"),
    "extra": ("object", "reserved for kind-specific details; empty today"),
    "snapshot": ("object or null", "the job as Bright Data reported it at this poll; unreported fields are absent"),
}
SNAPSHOT_FIELDS = [
    "job_id",
    "status",
    "collector",
    "template",
    "inputs",
    "dup_inputs",
    "lines",
    "fails",
    "pages",
    "pages_left",
    "success",
    "navigations",
    "created",
    "started",
    "finished",
    "trigger",
    "success_rate",
    "job_time_ms",
    "queue_time_ms",
]
GROUP_SCHEMA: dict[str, tuple[str, str]] = {
    "schema_version": ("integer", "as above"),
    "kind": ("string", "always `group`"),
    "count": ("integer", "how many alerts the run raised for this channel"),
    "left_out": ("integer", "how many of them did not fit SNS's 256 KiB limit (see `jobwatch list`)"),
    "alerts": ("array", "alert documents as above, worst first (severity, then lowest success rate)"),
}


def render() -> str:
    """The whole section, from the golden files."""
    parts = [_intro(), _schema()]
    parts += [_kind_example(kind, *where) for kind, where in EXAMPLES.items()]
    parts.append(_full_example())
    parts.append(_group_example())
    return "\n".join(parts)


def _intro() -> str:
    return (
        "## Example alerts\n\n"
        "Every example below is what the real code sent in a test scenario (`tests/alerts`, fixed clock and\n"
        "ids); `tests/alerts/test_docs.py` fails when this section and the code disagree. After a deliberate\n"
        "change, run `python tests/alerts/update_goldens.py` (it rewrites the goldens and this section) and\n"
        "review the diff.\n\n"
        "Slack gets Block Kit: a header with an emoji per severity (🔴 critical, 🟠 warning, ✅ resolved,\n"
        "ℹ️ info), the facts (status change, a bar for success rate and for pages done of total), the top\n"
        "per-input errors, and a context line with the alert id and a link to the job. Email subscribers get the\n"
        "same as text. Machines (SQS, Lambda, HTTP/S, email-json) get the JSON document, with message attributes\n"
        "`event_type`, `severity`, `collector`, `job_id` for subscription filter policies.\n"
    )


def _table(schema: dict[str, tuple[str, str]]) -> str:
    rows = [f"| `{key}` | {kind} | {meaning} |" for key, (kind, meaning) in schema.items()]
    return "\n".join(["| key | type | meaning |", "| --- | --- | --- |", *rows]) + "\n"


def _schema() -> str:
    snapshot = ", ".join(f"`{name}`" for name in SNAPSHOT_FIELDS)
    return (
        "### The JSON document (schema version 1)\n\n"
        "One alert, as SQS, Lambda, HTTP/S and email-json subscribers receive it. Keys are never removed or\n"
        "renamed within a schema version; new keys may be added.\n\n"
        f"{_table(ALERT_SCHEMA)}\n"
        f"`snapshot` keys: {snapshot} (`*_ms` in milliseconds, times ISO 8601 as Bright Data sends them).\n\n"
        "When one run raises more alerts than `GROUP_LIMIT`, the channel gets one grouped message; its\n"
        "document (message attribute `event_type` = `group`) is:\n\n"
        f"{_table(GROUP_SCHEMA)}"
    )


def _published(scenario: str) -> list[dict[str, Any]]:
    """A scenario's SNS publishes: attributes, document, and the email text (subject and body)."""
    docs = json.loads(read(f"{scenario}.sns.json"))
    emails = read(f"{scenario}.email.txt").split("=== email ")[1:]
    assert len(docs) == len(emails)
    out = []
    for entry, email in zip(docs, emails, strict=True):
        head, body = email.split("\n\n", 1)
        subject = head.splitlines()[1]
        out.append({**entry, "email": f"{subject}\n\n{body.rstrip()}\n"})
    return out


def _slack(scenario: str, alert_id: str) -> dict[str, Any]:
    for message in json.loads(read(f"{scenario}.slack.json")):
        if f"`{alert_id}`" in message["blocks"][-1]["elements"][0]["text"]:
            return dict(message)
    raise AssertionError(f"no Slack message for {alert_id} in {scenario}.slack.json")


def _example(scenario: str, alert_id: str) -> dict[str, Any]:
    found = [p for p in _published(scenario) if p["doc"].get("alert_id") == alert_id]
    assert len(found) == 1, f"{alert_id} published {len(found)} times in {scenario}"
    return found[0]


def _kind_example(kind: Kind, scenario: str, alert_id: str) -> str:
    published = _example(scenario, alert_id)
    header = _slack(scenario, alert_id)["blocks"][0]["text"]["text"]
    return (
        f"### `{kind.value}` ({published['doc']['severity']})\n\n"
        f"Slack header: {header}\n\n"
        f"```text\n{published['email']}```\n"
    )


def _full_example() -> str:
    scenario, alert_id = EXAMPLES[Kind.FAILED]
    doc = _example(scenario, alert_id)["doc"]
    return (
        f"### One alert in full: `{alert_id}`\n\n"
        f"The Slack payload:\n\n```json\n{to_json(_slack(scenario, alert_id))}```\n\n"
        f"The JSON document:\n\n```json\n{to_json(doc)}```\n"
    )


def _group_example() -> str:
    [group] = _published("outage")
    slack = json.loads(read("outage.slack.json"))[0]
    return (
        "### A grouped message: 40 jobs of three collectors failing in one run\n\n"
        f"Email:\n\n```text\n{group['email']}```\n\n"
        f"Slack:\n\n```json\n{to_json(slack)}```\n"
    )

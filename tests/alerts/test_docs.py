"""The documentation promises: every alert kind has an example, the README shows what the code sends, and
the JSON document has exactly the documented keys."""

from __future__ import annotations

import json
from dataclasses import fields

from jobwatch.alerts import SCHEMA_VERSION, Alert, ErrorSummary, Kind, Severity
from jobwatch.sim.slack import MAX_BLOCKS, MAX_HEADER_TEXT, MAX_SECTION_TEXT
from jobwatch.snapshot import JobSnapshot
from tests.alerts import readme
from tests.alerts.golden import GOLDEN_DIR, updating
from tests.support.readme import section, write_section

EMOJI = {"critical": "🔴", "warning": "🟠", "resolved": "✅", "info": "ℹ️"}


def golden_docs() -> list[dict[str, object]]:
    return [entry["doc"] for path in sorted(GOLDEN_DIR.glob("*.sns.json")) for entry in json.loads(path.read_text())]


def golden_slack() -> list[dict[str, object]]:
    return [m for path in sorted(GOLDEN_DIR.glob("*.slack.json")) for m in json.loads(path.read_text())]


def test_every_alert_kind_has_a_documented_example() -> None:
    assert set(readme.EXAMPLES) == set(Kind)
    delivered = {doc["kind"] for doc in golden_docs()}
    assert set(Kind) <= delivered | {"group"}


def test_the_readme_shows_the_current_examples() -> None:
    if updating():
        write_section("examples", readme.render())
    assert section("examples") == readme.render().strip(), (
        "README.md's example alerts differ from what the code sends: run `python tests/alerts/update_goldens.py`"
    )


def test_the_json_document_has_exactly_the_documented_keys() -> None:
    # Given an alert with every optional field set
    snapshot = JobSnapshot(**{f.name: None for f in fields(JobSnapshot)} | {"job_id": "j_keys0001", "status": "done"})
    alert = Alert(
        "j_keys0001/job_failed/1", Kind.FAILED, Severity.CRITICAL, "j_keys0001", "s", "t", snapshot=snapshot,
        errors=(ErrorSummary("blocked", 1, "e"),), errors_note="n", refers_to="r", job_url="u", label="l",
    )  # fmt: skip

    # Then its document's keys are the documented ones, and so are those of every document the scenarios sent
    assert set(alert.to_dict()) == set(readme.ALERT_SCHEMA)
    assert [f.name for f in fields(JobSnapshot)] == readme.SNAPSHOT_FIELDS
    for doc in golden_docs():
        assert doc["schema_version"] == SCHEMA_VERSION
        alerts = doc["alerts"] if doc["kind"] == "group" else [doc]
        if doc["kind"] == "group":
            assert set(doc) == set(readme.GROUP_SCHEMA)
        for one in alerts:
            assert set(one) == set(readme.ALERT_SCHEMA)
            assert set(one["snapshot"] or {}) <= set(readme.SNAPSHOT_FIELDS)


def test_every_slack_message_carries_what_the_issue_asks_for() -> None:
    messages = golden_slack()
    assert messages
    for message in messages:
        blocks = message["blocks"]
        assert len(blocks) <= MAX_BLOCKS and message["unfurl_links"] is False
        header = blocks[0]["text"]["text"]
        assert len(header) <= MAX_HEADER_TEXT and header.split(" ")[0] in EMOJI.values()
        assert all(len(b["text"]["text"]) <= MAX_SECTION_TEXT for b in blocks if b["type"] == "section")
        if blocks[-1]["type"] != "context" or "`monitor/" in blocks[-1]["elements"][0]["text"]:
            continue  # a grouped message, or the monitor's own alert: no single job to describe
        facts = blocks[1]["text"]["text"]
        assert "*Status:*" in facts and "*Success rate:* " in facts and "*Pages:* " in facts
        assert any(mark in facts for mark in "▓░") and " of " in facts
        assert "|open the job>" in blocks[-1]["elements"][0]["text"]

"""A collector-wide outage: many alerts in one run reach each channel as one grouped message, within limits."""

from __future__ import annotations

from jobwatch.notify import SNS_MESSAGE_LIMIT
from jobwatch.sim.brightdata import BrightDataSimulator
from jobwatch.sim.slack import MAX_BLOCKS, MAX_HEADER_TEXT, MAX_SECTION_TEXT, SlackReceiver
from tests.alerts.channels import assert_transcript, install
from tests.alerts.scenarios import ended, errors, poll_each_state, running
from tests.support.harness import Aws, Harness

COLLECTORS = (("c_alphashop0001", 20), ("c_betanews00001", 12), ("c_gammamaps0001", 8))
OUTAGE = errors(("blocked", 3, "Access denied by the site's firewall"), ("dead_page", 1, "502 from origin"))


def add_outage(harness: Harness, label: str | None = None) -> list[str]:
    """40 jobs across three collectors that all fail together, each with a different success count."""
    job_ids = []
    for collector, count in COLLECTORS:
        for _ in range(count):
            n = len(job_ids)
            job_id = f"j_outage{n:04d}"
            final = ended("failed", 300, (n + 1) / 41)
            harness.bd.add_job(job_id, [running(100, 1.0), final], collector=collector, errors=OUTAGE)
            harness.track(job_id, label=label or f"Shop crawl {n}")
            job_ids.append(job_id)
    return job_ids


def slack_within_limits(message: dict[str, object]) -> None:
    blocks = message["blocks"]
    assert isinstance(blocks, list) and len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER_TEXT
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT


def grouped_harness(aws: Aws, bd: BrightDataSimulator, slack: SlackReceiver) -> Harness:
    return Harness.build(aws, bd, slack, JOBWATCH_GROUP_LIMIT="5")


def test_forty_failures_at_once_send_one_message_per_channel(
    aws: Aws, bd: BrightDataSimulator, slack: SlackReceiver
) -> None:
    # Given 40 jobs of three collectors that fail in the same run, and a group limit of 5
    harness = grouped_harness(aws, bd, slack)
    recorder = install(harness)
    job_ids = add_outage(harness)

    # When the monitor polls them running, then failed, then once more
    counts = poll_each_state(harness, 3)

    # Then 40 alerts were raised, and each channel received exactly one message for them
    assert counts == [0, 40, 0]
    assert len(slack.messages) == 1 and slack.count(status=400) == 0
    assert len(recorder.published) == 1
    message = slack.messages[0]
    slack_within_limits(message)
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert sections[0] == "*By event:* job_failed ×40"
    assert sections[1] == "*By collector:* c_alphashop0001 ×20, c_betanews00001 ×12, c_gammamaps0001 ×8"
    # And the worst (lowest success rate) are listed first, the rest counted
    listed = sections[2].splitlines()
    assert listed[0].startswith("🔴 Job j_outage0000 failed") and listed[19].startswith("🔴 Job j_outage0019 failed")
    assert listed[20] == "… and 20 more (`jobwatch list` shows them all)"
    # And the SNS document holds every alert, each still explained
    doc = harness.aws.sns_messages()[0]["doc"]
    assert (doc["kind"], doc["schema_version"], len(doc["alerts"])) == ("group", 1, 40)
    assert sorted(a["job_id"] for a in doc["alerts"]) == job_ids
    assert all(a["errors"][0]["code"] == "blocked" for a in doc["alerts"])
    # And nothing is left pending
    assert all(harness.item(j)["pending"] == {} for j in job_ids)
    assert_transcript("outage", harness, recorder)


def test_a_grouped_message_with_huge_labels_still_fits_and_counts_the_rest(
    aws: Aws, bd: BrightDataSimulator, slack: SlackReceiver
) -> None:
    # Given the same outage where every job carries a 1,000-character label full of mrkdwn specials
    harness = grouped_harness(aws, bd, slack)
    recorder = install(harness)
    add_outage(harness, label="<&>" * 334)

    # When they all fail in one run
    poll_each_state(harness, 2)

    # Then Slack accepted one message with blocks (no plain-text fallback), every part within its limit
    assert len(slack.messages) == 1 and slack.count(status=400) == 0
    message = slack.messages[0]
    slack_within_limits(message)
    # And the listing names as many worst jobs as fit, and counts the rest, so no job goes unaccounted
    listed = message["blocks"][3]["text"]["text"].splitlines()
    shown = sum(line.startswith("🔴 Job") for line in listed)
    assert 0 < shown < 20
    assert listed[-1] == f"… and {40 - shown} more (`jobwatch list` shows them all)"
    # And SNS accepted one message within its size limit: the worst alerts in full, the rest counted
    [published] = recorder.published
    assert len(published["Message"].encode()) <= SNS_MESSAGE_LIMIT
    [received] = harness.aws.sns_messages()
    doc = received["doc"]
    kept = len(doc["alerts"])
    assert 0 < kept < 40 and (doc["count"], doc["left_out"]) == (40, 40 - kept)
    assert [a["job_id"] for a in doc["alerts"]] == [f"j_outage{n:04d}" for n in range(kept)]
    assert all(harness.item(f"j_outage{n:04d}")["pending"] == {} for n in range(40))

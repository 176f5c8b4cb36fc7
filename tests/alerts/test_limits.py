"""Over-long content is cut to fit every channel's limits, with a mark of what was left out; never rejected."""

from __future__ import annotations

from jobwatch.render_email import SUBJECT_LIMIT
from jobwatch.sim.slack import MAX_HEADER_TEXT, MAX_SECTION_TEXT, SlackReceiver
from tests.alerts.channels import RecordingSns, sns_published
from tests.alerts.scenarios import ended, errors, poll_each_state, running
from tests.support.harness import Harness

JOB = "j_verylongtexts1"
HUGE = 10_000


def test_ten_thousand_character_texts_are_cut_not_rejected(
    harness: Harness, slack: SlackReceiver, recorder: RecordingSns
) -> None:
    # Given a failing job whose label, collector name, error code and error message are 10,000 characters each,
    # full of characters that mrkdwn escaping lengthens and of line breaks
    label = ("Nightly <prices> & more\n" * HUGE)[:HUGE]
    message = ("<!here> page did not load & retried\n" * HUGE)[:HUGE]
    harness.bd.add_job(
        JOB,
        [running(100, 1.0), ended("failed", 150, 1.0)],
        collector="c_" + "x" * (HUGE - 2),
        errors=errors(("e" * HUGE, 3, message), ("blocked", 2, message)),
    )
    harness.track(JOB, label=label)

    # When it fails
    poll_each_state(harness, 2)

    # Then Slack accepted the Block Kit message first time (no 400, no plain-text fallback), every part in limits
    assert slack.count(status=400) == 0
    [posted] = slack.messages
    assert len(posted["blocks"]) <= 50
    for block in posted["blocks"]:
        text = block["text"]["text"] if "text" in block else block["elements"][0]["text"]
        assert len(text) <= {"header": MAX_HEADER_TEXT}.get(block["type"], MAX_SECTION_TEXT)
    header, facts, why = (b["text"]["text"] for b in posted["blocks"][:3])
    assert header.endswith("…") and "\n" not in header
    assert "*Label:* Nightly &lt;prices&gt; &amp; more Nightly" in facts and "…" in facts
    assert why.startswith("*Why it failed:*\n• eeeeeeeeee") and "&lt;!here&gt;" in why
    # And the email subject is one line under 100 characters, the body still names the job and the errors
    [email] = sns_published(recorder)
    assert len(email["subject"]) <= SUBJECT_LIMIT and "\n" not in email["subject"]
    assert f"Job:          {JOB}" in email["email"] and "  - blocked ×2" in email["email"]
    # And machines get the full label, with error examples capped at 500 characters
    doc = harness.aws.sns_messages()[0]["doc"]
    assert doc["label"] == label
    assert [len(e["example"]) for e in doc["errors"]] == [500, 500]
    assert harness.item(JOB)["pending"] == {}

"""Why it failed: failure alerts carry the job's top per-input error codes, or say why they have none."""

from __future__ import annotations

from tests.alerts.channels import RecordingSns, assert_transcript
from tests.alerts.scenarios import ended, errors, poll_each_state, running
from tests.support.harness import Harness

EXPLAINED, UNEXPLAINED, UNREACHABLE = "j_failexplained1", "j_failnoerrors01", "j_failerrors500x"
CANCELLED = "j_cancelledbyop1"
# Six codes: the five most frequent are shown. One message is hostile mrkdwn that must arrive as plain text.
RECORDED = errors(
    ("dead_page", 4, "404 Not Found at https://shop.example/item/7"),
    ("blocked", 3, "Captcha page served <!channel> <https://evil.example|your bank>"),
    ("parse_error", 2, "Selector .price matched nothing"),
    ("crawl_error", 1, "net::ERR_CONNECTION_RESET"),
    ("bad_input", 1, "Input url is not a URL: 'shop example'"),
    ("timeout", 1, "Navigation timeout of 30000 ms exceeded"),
)


def test_failures_carry_top_error_codes_or_say_why_not(harness: Harness, recorder: RecordingSns) -> None:
    # Given three jobs that fail: one with per-input errors recorded, one with none (not high priority),
    # one whose errors endpoint keeps answering 500; and one cancelled job, which is not explained
    for job_id in (EXPLAINED, UNEXPLAINED, UNREACHABLE):
        harness.bd.add_job(job_id, [running(200, 0.98), ended("failed", 240, 0.98)])
    harness.bd.add_job(CANCELLED, [running(200, 0.95), ended("cancelled", 300, 0.95)], errors=RECORDED)
    harness.bd.set_errors(EXPLAINED, RECORDED)
    harness.track(EXPLAINED, label="Nightly prices")
    harness.track(UNEXPLAINED, UNREACHABLE, CANCELLED)
    harness.bd.fail_next(500, count=10, path_prefix=f"/dca/jobs/{UNREACHABLE}/")

    # When the monitor polls them running, then failed
    counts = poll_each_state(harness, 2)

    # Then each failure alerts once on both channels; the errors endpoint was asked for failures only
    assert counts == [0, 4]
    failed = {m["doc"]["job_id"]: m["doc"] for m in harness.aws.sns_messages() if m["doc"]["kind"] == "job_failed"}
    assert sorted(failed) == sorted([EXPLAINED, UNEXPLAINED, UNREACHABLE])
    top = [(e["code"], e["count"]) for e in failed[EXPLAINED]["errors"]]
    assert top == [("dead_page", 4), ("blocked", 3), ("parse_error", 2), ("crawl_error", 1), ("bad_input", 1)]
    assert failed[EXPLAINED]["errors"][0]["example"] == "404 Not Found at https://shop.example/item/7"
    assert failed[UNEXPLAINED]["errors_note"].startswith("no per-input errors recorded")
    assert failed[UNREACHABLE]["errors_note"] == "per-input errors could not be fetched (TransientError)"
    assert harness.bd.count(path_prefix=f"/dca/jobs/{UNREACHABLE}/", status=500) >= 2  # retried, then gave up
    assert harness.bd.count(path_prefix=f"/dca/jobs/{CANCELLED}/") == 0
    # And hostile text in an error message arrives escaped, never as a mention or a link
    slack_text = "\n".join(b["text"]["text"] for m in harness.slack.messages for b in m["blocks"] if "text" in b)
    assert "&lt;!channel&gt; &lt;https://evil.example|your bank&gt;" in slack_text
    assert "<!channel>" not in slack_text
    assert_transcript("why_it_failed", harness, recorder)

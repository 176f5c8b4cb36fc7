"""Low success rate, its recovery notice, hysteresis against flapping, and the optional "finished fine" notice."""

from __future__ import annotations

from jobwatch.sim.brightdata import BrightDataSimulator, lifecycle
from jobwatch.sim.slack import SlackReceiver
from tests.alerts.channels import RecordingSns, assert_transcript, install
from tests.alerts.scenarios import ended, poll_each_state, running
from tests.support.harness import Aws, Harness

ERRORS = [
    {"input": {"url": "https://shop.example/item/7"}, "error": "404 Not Found at /item/7", "error_code": "dead_page"},
    {"input": {"url": "https://shop.example/item/9"}, "error": "404 Not Found at /item/9", "error_code": "dead_page"},
    {"input": {"url": "https://shop.example/item/3"}, "error": "Captcha page served", "error_code": "blocked"},
]


def test_a_low_rate_that_recovers_sends_one_resolved_notice(harness: Harness, recorder: RecordingSns) -> None:
    # Given a job that dips to 80% then recovers clearly (95%) while running, with per-input errors recorded,
    # and a job that dips, then finishes done at 91%: above the 90% threshold though inside the 2% margin
    harness.bd.add_job("j_recoverwhilerun", [running(100, 0.8), running(200, 0.95), running(300, 0.96)], errors=ERRORS)
    harness.bd.add_job(
        "j_recoveratdone1",
        [running(100, 0.8), running(500, 0.905), ended("done", 1000, 0.91)],
    )
    harness.track("j_recoverwhilerun", label="Price watch")
    harness.track("j_recoveratdone1")

    # When the monitor polls every state
    counts = poll_each_state(harness, 4)

    # Then each job alerted low once, and sent one resolved notice referring to that alert
    assert counts == [2, 1, 1, 0]
    assert harness.slack_kinds() == [
        "j_recoveratdone1/low_success_rate/1",
        "j_recoverwhilerun/low_success_rate/1",
        "j_recoverwhilerun/success_rate_recovered/1",
        "j_recoveratdone1/success_rate_recovered/1",
    ]
    refers = {m["doc"]["alert_id"]: m["doc"]["refers_to"] for m in harness.aws.sns_messages()}
    assert refers["j_recoverwhilerun/success_rate_recovered/1"] == "j_recoverwhilerun/low_success_rate/1"
    assert refers["j_recoveratdone1/success_rate_recovered/1"] == "j_recoveratdone1/low_success_rate/1"
    # And "finished fine" notices are off by default
    assert "job_done" not in {m["doc"]["kind"] for m in harness.aws.sns_messages()}
    assert_transcript("recovery", harness, recorder)


def test_a_rate_hovering_at_the_threshold_alerts_once_and_resolves_once(
    harness: Harness, recorder: RecordingSns
) -> None:
    # Given a running job whose rate goes 88%, 91%, 89%, 93%, 95% (threshold 90%, recovery margin 2%)
    job = "j_flappingrate01"
    harness.bd.add_job(job, [running(100 * n, rate) for n, rate in enumerate((0.88, 0.91, 0.89, 0.93, 0.95), 1)])
    harness.track(job)

    # When the monitor polls each of those states
    counts = poll_each_state(harness, 5)

    # Then one low alert at 88%, nothing at 91% (inside the margin) or 89% (still low), one recovery at 93%
    assert counts == [1, 0, 0, 1, 0]
    assert harness.slack_kinds() == [f"{job}/low_success_rate/1", f"{job}/success_rate_recovered/1"]
    assert harness.sns_alert_ids() == harness.slack_kinds()
    assert harness.item(job)["state"]["low_rate"] is False
    assert_transcript("flapping", harness, recorder)


def test_finished_fine_notices_when_turned_on(aws: Aws, bd: BrightDataSimulator, slack: SlackReceiver) -> None:
    # Given "job finished fine" notices turned on, a healthy job and one that finishes below the threshold
    harness = Harness.build(aws, bd, slack, JOBWATCH_NOTIFY_DONE="true")
    recorder = install(harness)
    bd.add_job("j_finishedfine01", lifecycle("ok"))
    bd.add_job("j_finishedlow001", lifecycle("low_rate"))
    harness.track("j_finishedfine01", label="Daily sitemap")
    harness.track("j_finishedlow001")

    # When both run to the end and are polled once more
    poll_each_state(harness, 5)

    # Then the healthy job gets one done notice, the low one only its low-rate alert
    assert harness.slack_kinds() == ["j_finishedlow001/low_success_rate/1", "j_finishedfine01/job_done/1"]
    assert_transcript("done", harness, recorder)

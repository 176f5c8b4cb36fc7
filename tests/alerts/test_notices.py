"""The monitor's own notices: a tracked job Bright Data no longer knows, and an API token it rejects."""

from __future__ import annotations

from tests.alerts.channels import RecordingSns, assert_transcript
from tests.alerts.scenarios import at, poll_each_state, running
from tests.support.harness import Harness


def test_a_job_bright_data_forgot_is_reported_once_and_untracked(harness: Harness, recorder: RecordingSns) -> None:
    # Given a tracked running job that Bright Data then forgets (jobs expire after 16 days)
    job = "j_expiredjob0001"
    harness.bd.add_job(job, [running(300, 0.97)])
    harness.track(job, label="Weekly reviews")
    poll_each_state(harness, 1)
    harness.bd.remove_job(job)

    # When the monitor polls it twice more
    counts = poll_each_state(harness, 2, start=5)

    # Then one informational notice, and the job is no longer polled
    assert counts == [1, 0]
    assert harness.slack_kinds() == [f"{job}/job_not_found/1"]
    assert harness.bd.count(path_prefix=f"/dca/log/{job}") == 2
    assert "active" not in harness.item(job)
    assert_transcript("not_found", harness, recorder)


def test_a_rejected_token_is_reported_once_until_it_works_again(harness: Harness, recorder: RecordingSns) -> None:
    # Given a tracked job and an API token Bright Data stops accepting
    harness.bd.add_job("j_tokenvictim001", [running(300, 0.97)])
    harness.track("j_tokenvictim001")
    harness.bd.revoke_token()

    # When two runs find the token rejected
    first, second = harness.run(now=at(0)), harness.run(now=at(5))

    # Then one critical alert about the monitor itself (no job), not one per job or per run
    assert (first.token_rejected, first.alerts, second.alerts) == (True, 1, 0)
    assert harness.slack_kinds() == ["monitor/token_rejected/1"]
    assert harness.aws.sns_messages()[0]["attributes"] == {"event_type": "token_rejected", "severity": "critical"}
    assert_transcript("token_rejected", harness, recorder)

"""Email (SNS) text is plain: hostile text appears literally, never escaped nor interpreted; the Subject is one
printable line under 100 characters; labels and error examples are capped; no text can add a line."""

from __future__ import annotations

import pytest

from jobwatch import render_email
from jobwatch.facts import ERROR_EXAMPLE_LIMIT, LABEL_LIMIT
from tests.alerts.channels import RecordingSns, install, sns_published
from tests.alerts.scenarios import ended, errors, poll_each_state, running
from tests.security.hostile import BASE, CONTROL, HOSTILE, OUTSIDE, PLACES, printable
from tests.support.harness import Harness

JOB = "j_hostilemail001"
LABEL = CONTROL + HOSTILE
SCRAPED = errors(("blocked\r\nX-Injected: 1", 2, LABEL * 3), ("dead_page", 1, "404 <!channel>"))


def test_an_email_shows_hostile_text_literally_on_its_own_lines(harness: Harness, recorder: RecordingSns) -> None:
    # Given a failing job whose label and error messages hold mentions, forged links and control characters
    harness.bd.add_job(JOB, [running(100, 1.0), ended("failed", 150, 0.2)], errors=SCRAPED)
    harness.track(JOB, label=LABEL)

    # When it fails
    poll_each_state(harness, 2)

    # Then the subscriber's Subject is one printable line under 100 characters
    [published] = sns_published(recorder)
    [received] = harness.aws.sns_messages()
    subject = received["subject"]
    assert subject == published["subject"] and len(subject) < 100 and subject.isprintable()
    assert subject.startswith(f"[jobwatch] CRITICAL: Job {JOB} failed (was running) — line Bcc: victim@")
    # And the body is plain text: the capped label literally, no entity, no line a hostile text began
    body = published["email"].splitlines()
    label = printable(LABEL)[: LABEL_LIMIT - 1] + "…"
    assert f"Label:        {label}" in body and "<!channel> <!here>" in label
    assert all(line.isprintable() for line in body)
    assert not [line for line in body if line.startswith(("Bcc:", "X-Injected:", "done"))]
    assert "&lt;!channel&gt;" not in published["email"]
    # And each error example is capped, the full message kept for machines (at 500 characters)
    example = printable(LABEL * 3)[: ERROR_EXAMPLE_LIMIT - 1] + "…"
    assert f'  - blocked  X-Injected: 1 ×2, e.g. "{example}"' in body
    assert '  - dead_page ×1, e.g. "404 <!channel>"' in body
    assert received["doc"]["errors"][0]["example"] == (LABEL * 3)[:500]


TEXTS = {"hostile": HOSTILE, "control": CONTROL + HOSTILE, "20 KB": HOSTILE * 200}
CASES = [pytest.param(place, text, id=f"{place}-{name}") for place in OUTSIDE for name, text in TEXTS.items()]


@pytest.mark.parametrize(("place", "text"), CASES)
def test_no_outside_text_breaks_the_subject_or_adds_a_line(place: str, text: str) -> None:
    # Given an alert with hostile text in one field that can come from outside
    alert = PLACES[place](text)

    # When it is rendered for email
    subject, body = render_email.subject(alert), render_email.body(alert)

    # Then the subject is one printable line under 100 characters
    assert len(subject) < 100 and subject.isprintable()
    # And the body has exactly the lines of a plain alert, every one of them printable
    lines = body.splitlines()
    assert len(lines) == len(render_email.body(PLACES[place]("plain")).splitlines())
    assert all(line.isprintable() for line in lines)


def test_a_group_subject_is_one_printable_line() -> None:
    # Given many alerts whose collectors hold line breaks
    alerts = [PLACES["collector"](f"c_{n}\r\n{HOSTILE}") for n in range(30)]

    # When they are grouped for email
    subject = render_email.group_subject(alerts)

    # Then the subject is still one printable line under 100 characters
    assert len(subject) < 100 and subject.isprintable()
    assert subject.startswith("[jobwatch] 30 alerts across 30 collectors: 30 job_failed")
    assert BASE.job_id not in subject


def test_a_collector_id_cannot_forge_a_line_of_the_email(harness: Harness) -> None:
    # Given a job URL template that takes the collector, and Bright Data reporting a collector with a line break
    template = "https://brightdata.com/cp/{collector}/jobs/{job_id}"
    harness = Harness.build(harness.aws, harness.bd, harness.slack, JOBWATCH_JOB_URL_TEMPLATE=template)
    recorder = install(harness)
    harness.bd.add_job(JOB, [running(100, 1.0), ended("failed", 150, 0.2)], collector="c_x\nJob: https://evil.example")
    harness.track(JOB)

    # When the job fails
    poll_each_state(harness, 2)

    # Then the email has one Job line, the one jobwatch wrote, with the collector percent-encoded into its path
    [published] = sns_published(recorder)
    assert [line for line in published["email"].splitlines() if line.startswith("Job: http")] == [
        f"Job: https://brightdata.com/cp/c_x%0AJob%3A%20https%3A%2F%2Fevil.example/jobs/{JOB}"
    ]

"""Injection-safe Slack messages: labels, collector names and scraped error messages can never ping a channel,
mention a user or disguise a link. End to end through the real monitor, then every field of an Alert by hand."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from jobwatch import render_slack
from jobwatch.alerts import Alert
from tests.alerts.scenarios import ended, errors, poll_each_state, running
from tests.security.hostile import (
    BASE,
    CONTROL,
    FORGED_LINK,
    HOSTILE,
    OUTSIDE,
    PLACES,
    assert_safe,
    job_link,
    mrkdwn_texts,
    plain_texts,
    printable,
    slack_escaped,
)
from tests.support.harness import Harness

COLLECTOR = "c_<!channel>|<https://evil.example|bank>&x"  # Bright Data ids are tame, but this is outside text


def _hostile_jobs(harness: Harness, count: int) -> list[str]:
    """`count` jobs that fail with a hostile label, collector, finish time, error codes and error messages."""
    job_ids = [f"j_hostile{n:06d}" for n in range(count)]
    finished = {**ended("failed", 150, 0.2), "finished": "<!here> at 13:05"}
    scraped = errors(("<!channel>&code", 3, HOSTILE), ("<@U123>", 1, FORGED_LINK))
    for job_id in job_ids:
        harness.bd.add_job(job_id, [running(100, 1.0), finished], collector=COLLECTOR, errors=scraped)
        harness.track(job_id, label=HOSTILE)
    poll_each_state(harness, 2)
    return job_ids


def test_one_alert_shows_every_hostile_text_as_text(harness: Harness) -> None:
    # Given a job whose label, collector, finish time, error codes and error messages are hostile mrkdwn
    # When it fails
    [job_id] = _hostile_jobs(harness, 1)

    # Then Slack received one message whose only markup is the job link jobwatch wrote
    [payload] = harness.slack.messages
    link = job_link(f"https://brightdata.com/cp/scrapers/jobs/{job_id}")
    assert_safe(payload, link)
    # And each hostile text is shown, escaped in mrkdwn and literal in the plain-text header
    shown = "\n".join(mrkdwn_texts(payload))
    for text in ("<!channel> <!here> <!everyone> <@U123>", COLLECTOR, "<!here> at 13:05", "<!channel>&code"):
        assert slack_escaped(text) in shown
    assert slack_escaped(f'<@U123> ×1, e.g. "{FORGED_LINK}"') in shown
    [header] = plain_texts(payload)
    assert header.startswith(f"🔴 Job {job_id} failed") and "— <!channel> <!here>" in header


def test_a_group_of_alerts_shows_every_hostile_text_as_text(harness: Harness) -> None:
    # Given six such jobs, more than the group limit; When they fail in one run
    _hostile_jobs(harness, 6)

    # Then Slack received one grouped message, without any markup, naming the hostile collector as text
    [payload] = harness.slack.messages
    assert_safe(payload, None)
    assert f"*By collector:* {slack_escaped(COLLECTOR)} ×6" in mrkdwn_texts(payload)


def test_a_job_url_template_cannot_forge_the_link_text(harness: Harness) -> None:
    # Given a job URL template holding `|` and `>` after the collector, and a collector holding both too
    template = "https://brightdata.com/cp/{collector}/jobs/{job_id}?next=|your bank>"
    harness = Harness.build(harness.aws, harness.bd, harness.slack, JOBWATCH_JOB_URL_TEMPLATE=template)

    # When the job fails
    [job_id] = _hostile_jobs(harness, 1)

    # Then the context line ends in one link whose text is "open the job", its target percent-encoded and escaped
    [payload] = harness.slack.messages
    url = template.replace("{collector}", quote(COLLECTOR, safe="")).replace("{job_id}", job_id)
    assert_safe(payload, job_link(url))
    context = payload["blocks"][-1]["elements"][0]["text"]
    assert context.endswith("|open the job>") and context.count("|") == 1
    assert "%7Cyour bank&gt;|open the job>" in context


def _assert_rendered_safely(alert: Alert) -> None:
    single, group = render_slack.message(alert), render_slack.group_message([alert, BASE])
    link = job_link(printable(alert.job_url or ""))
    assert_safe(single, link if len(link) <= render_slack.URL_LIMIT else None)  # too long a link is left out
    assert_safe(group, None)


@pytest.mark.parametrize("text", [HOSTILE, CONTROL + HOSTILE], ids=["hostile", "control characters"])
@pytest.mark.parametrize("place", PLACES)
def test_every_text_field_of_an_alert_is_escaped(place: str, text: str) -> None:
    # Given an alert with hostile text in one field
    alert = PLACES[place](text)

    # When it is rendered alone and in a group; Then neither has markup but the job link, which stays intact
    _assert_rendered_safely(alert)
    # And text from outside is shown, escaped and with its control characters replaced
    if place in OUTSIDE:
        assert slack_escaped(printable(text)[:24]) in "\n".join(mrkdwn_texts(render_slack.message(alert)))


@pytest.mark.parametrize("place", PLACES)
def test_a_20_kb_text_in_any_field_is_cut_without_breaking_the_markup(place: str) -> None:
    # Given an alert with 20 KB of hostile text in one field
    alert = PLACES[place](HOSTILE * 200)

    # When it is rendered alone and in a group; Then both are still free of markup but an intact job link
    _assert_rendered_safely(alert)

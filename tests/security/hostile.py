"""Hostile text as scraped websites (and careless operators) serve it, and the checks that Slack shows it as text.

Slack's mrkdwn gives meaning to `<…>` (mentions `<!channel>`, `<@U…>`, `<#C…>`, links `<url|text>`) and to
`&` entities. A safe mrkdwn text has no `<` or `>` except the one job link jobwatch writes itself, and every
`&` starts `&amp;`, `&lt;` or `&gt;`. Header blocks are `plain_text`, which Slack never parses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from jobwatch.alerts import Alert, ErrorSummary, Kind, Severity
from jobwatch.snapshot import JobSnapshot

MENTIONS = "<!channel> <!here> <!everyone> <@U123> <#C123> <!subteam^S123|@team> <!date^1|x>"
FORGED_LINK = "<https://evil.example|your bank>"
HOSTILE = f"{MENTIONS} {FORGED_LINK} Tom & Jerry &amp; &lt;!here&gt; <mailto:a@evil.example>"
CONTROL = "line\r\nBcc: victim@example.com\x00\x1b[31m\u2028\u202edone\t"
BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
LINK_TEXT = "open the job"


def printable(text: str) -> str:
    """The spec of facts.clip: every control character becomes a space."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def slack_escaped(text: str) -> str:
    """The spec, written out independently of render_slack.escape."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def job_link(url: str) -> str:
    """The one link a message may carry: its target escaped, with `|` percent-encoded so it cannot end early."""
    return f"<{slack_escaped(url.replace('|', '%7C'))}|{LINK_TEXT}>"


def text_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every Block Kit text object in a payload (`{"type": "mrkdwn"|"plain_text", "text": …}`), found recursively."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from text_objects(value)


def mrkdwn_texts(payload: dict[str, Any]) -> list[str]:
    """What Slack parses for mentions and links: the fallback `text` and every mrkdwn text object."""
    return [payload["text"], *(t["text"] for t in text_objects(payload["blocks"]) if t["type"] == "mrkdwn")]


def plain_texts(payload: dict[str, Any]) -> list[str]:
    return [t["text"] for t in text_objects(payload["blocks"]) if t["type"] == "plain_text"]


def markup_problems(payload: dict[str, Any], link: str | None) -> list[str]:
    """Each place where a mrkdwn text of `payload` has markup other than `link`, which must appear at most once."""
    problems = []
    for text in mrkdwn_texts(payload):
        rest = text.replace(link, "", 1) if link else text
        if link and link in rest:
            problems.append(f"second job link in {text!r}")
        for match in re.finditer(r"[<>]", rest):
            problems.append(f"raw {match.group()!r} in …{rest[max(0, match.start() - 30) : match.end() + 30]!r}…")
        for match in BARE_AMPERSAND.finditer(rest):
            problems.append(f"bare '&' in …{rest[max(0, match.start() - 30) : match.end() + 30]!r}…")
    return problems


def assert_safe(payload: dict[str, Any], link: str | None) -> None:
    """No mention, forged link or entity can act; headers are plain text; the job link, if any, is intact."""
    assert markup_problems(payload, link) == []
    assert all(block["text"]["type"] == "plain_text" for block in payload["blocks"] if block["type"] == "header")
    if link:
        assert sum(link in text for text in mrkdwn_texts(payload)) == 1


# An alert built by hand, and the same alert with a given text in any one of its text fields.
JOB = "j_handmade00001"
SNAPSHOT = JobSnapshot(JOB, "failed", collector="c_plain", inputs=100, success=10, fails=90, finished="13:05")
BASE = Alert(
    alert_id=f"{JOB}/job_failed/1",
    kind=Kind.FAILED,
    severity=Severity.CRITICAL,
    job_id=JOB,
    summary=f"Job {JOB} failed",
    created_at="2025-04-28T13:05:00.000Z",
    old_status="running",
    snapshot=SNAPSHOT,
    label="Nightly prices",
    job_url=f"https://brightdata.com/cp/scrapers/jobs/{JOB}",
    errors=(ErrorSummary("blocked", 3, "Captcha page"),),
)
# Every text field an alert carries. The generated ones are escaped too, so escaping never depends on provenance.
PLACES: dict[str, Callable[[str], Alert]] = {
    "label": lambda t: replace(BASE, label=t),
    "collector": lambda t: replace(BASE, snapshot=replace(SNAPSHOT, collector=t)),
    "times": lambda t: replace(BASE, snapshot=replace(SNAPSHOT, created=t, started=t, finished=t)),
    "error code": lambda t: replace(BASE, errors=(ErrorSummary(t, 3, "x"),)),
    "error example": lambda t: replace(BASE, errors=(ErrorSummary("blocked", 3, t),)),
    "errors note": lambda t: replace(BASE, errors=(), errors_note=t),
    "job url": lambda t: replace(BASE, job_url=t),  # the template's {collector} comes from Bright Data
    "summary": lambda t: replace(BASE, summary=t),
    "old status": lambda t: replace(BASE, old_status=t),
    "alert id": lambda t: replace(BASE, alert_id=t),
    "refers to": lambda t: replace(BASE, refers_to=t),
    "created at": lambda t: replace(BASE, created_at=t),
}
# The fields that can carry text from outside jobwatch (operators, Bright Data, scraped websites).
OUTSIDE = ("label", "collector", "times", "error code", "error example", "errors note", "job url")

"""Alerts as Slack Block Kit messages with a plain-text fallback, within Slack's limits.

Every piece of text that comes from outside (labels, collector names, and above all error messages scraped
from websites) is escaped for mrkdwn, so `<!channel>` or a forged `<http://evil|bank>` link shows as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobwatch.alerts import Alert, Severity
from jobwatch.facts import URL_LIMIT, clip, error_lines, facts, group_counts, title, worst_first

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
BLOCK_LIMIT = 50
GROUP_LISTED = 20
EMOJI = {Severity.CRITICAL: "🔴", Severity.WARNING: "🟠", Severity.RESOLVED: "✅", Severity.INFO: "ℹ️"}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(alert: Alert) -> dict[str, Any]:
    """One alert: header, summary, facts, top errors, link and alert id."""
    blocks: list[dict[str, Any]] = [_header(f"{EMOJI[alert.severity]} {title(alert)}")]
    blocks.append(_section("\n".join(f"*{name}:* {escape(value)}" for name, value in facts(alert))))
    errors = error_lines(alert)
    if errors:
        blocks.append(_section("*Why it failed:*\n" + "\n".join(f"• {escape(line)}" for line in errors)))
    # Each piece is cut before it is escaped, so no cut can split an entity or a link.
    context = [f"alert `{escape(clip(alert.alert_id, 200))}` at {escape(clip(alert.created_at, 40))}"]
    if alert.refers_to:
        context.append(f"resolves `{escape(clip(alert.refers_to, 200))}`")
    link = f"<{_url(alert.job_url)}|open the job>" if alert.job_url else ""
    if link and len(link) <= URL_LIMIT:  # a longer link would not fit the line: the job id is in the facts
        context.append(link)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]})
    return _envelope(f"{EMOJI[alert.severity]} {escape(title(alert))}", blocks)


def group_message(alerts: Sequence[Alert]) -> dict[str, Any]:
    """Many alerts of one run in one message: counts by event and collector, the worst jobs, the rest counted."""
    kinds, collectors = group_counts(alerts)
    worst = worst_first(alerts)
    head = f"{EMOJI[worst[0].severity]} jobwatch: {len(alerts)} alerts in one run"
    blocks: list[dict[str, Any]] = [_header(head)]
    blocks.append(_section("*By event:* " + ", ".join(f"{escape(k)} ×{n}" for k, n in kinds)))
    blocks.append(_section("*By collector:* " + ", ".join(f"{escape(clip(c, 60))} ×{n}" for c, n in collectors[:20])))
    blocks.append(_section(_listing(worst)))
    return _envelope(escape(head), blocks)


def _listing(worst: Sequence[Alert]) -> str:
    """The worst jobs, as many as fit one section (escaping can quadruple a label), and the rest counted."""
    lines: list[str] = []
    room = SECTION_LIMIT - 80  # the closing "… and N more" line always fits
    for alert in worst[:GROUP_LISTED]:
        line = f"{EMOJI[alert.severity]} {escape(title(alert))}"
        if lines and sum(len(x) + 1 for x in lines) + len(line) > room:
            break
        lines.append(line)
    if len(worst) > len(lines):
        lines.append(f"… and {len(worst) - len(lines)} more (`jobwatch list` shows them all)")
    return "\n".join(lines)


def _envelope(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    if len(blocks) > BLOCK_LIMIT:
        left_out = len(blocks) - (BLOCK_LIMIT - 1)
        blocks = [*blocks[: BLOCK_LIMIT - 1], _section(f"_{left_out} more blocks left out_")]
    return {"text": clip(text, SECTION_LIMIT), "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def _header(text: str) -> dict[str, Any]:
    # plain_text is never parsed for mentions or links, so it needs no escaping.
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_LIMIT), "emoji": True}}


def _section(text: str) -> dict[str, Any]:
    if len(text) > SECTION_LIMIT:
        cut = text[: SECTION_LIMIT - 40].rsplit("\n", 1)[0]
        text = f"{cut}\n_… {len(text) - len(cut)} characters left out_"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _url(url: str) -> str:
    # A link target must not carry `|` or `>` that would let the text after it pose as the link, nor control
    # characters.
    return escape(clip(url, URL_LIMIT).replace("|", "%7C"))

"""Alerts as plain text for email (SNS) subscribers: a Subject under 100 characters and a readable body."""

from __future__ import annotations

from collections.abc import Sequence

from jobwatch.alerts import Alert
from jobwatch.facts import URL_LIMIT, clip, error_lines, facts, group_counts, title, worst_first

SUBJECT_LIMIT = 99  # SNS: fewer than 100 characters
GROUP_LISTED = 15


def subject(alert: Alert) -> str:
    return _subject(f"[jobwatch] {alert.severity.value.upper()}: {title(alert)}")


def group_subject(alerts: Sequence[Alert]) -> str:
    kinds, collectors = group_counts(alerts)
    top = ", ".join(f"{n} {kind}" for kind, n in kinds[:3])
    return _subject(f"[jobwatch] {len(alerts)} alerts across {len(collectors)} collectors: {top}")


def body(alert: Alert) -> str:
    lines = [f"[{alert.severity.value.upper()}] {title(alert)}"]
    named = facts(alert)
    width = max((len(name) for name, _ in named), default=0) + 2
    if named:  # the monitor's own alerts (token rejected) have no job facts
        lines += ["", *(f"{name + ':':<{width}}{value}" for name, value in named)]
    errors = error_lines(alert)
    if errors:
        lines += ["", "Why it failed (per-input errors):", *(f"  - {line}" for line in errors)]
    if alert.refers_to:
        lines += ["", f"Resolves alert {alert.refers_to}."]
    if alert.job_url:
        lines += ["", f"Job: {clip(alert.job_url, URL_LIMIT)}"]
    lines += ["", f"Alert {alert.alert_id} at {alert.created_at}, sent by jobwatch."]
    return "\n".join(lines) + "\n"


def group_body(alerts: Sequence[Alert]) -> str:
    kinds, collectors = group_counts(alerts)
    lines = [f"jobwatch raised {len(alerts)} alerts in one run; they are grouped here instead of one message each.", ""]
    lines += ["By event:", *(f"  {kind}: {n}" for kind, n in kinds), ""]
    lines += ["By collector:", *(f"  {clip(c, 60)}: {n}" for c, n in collectors), ""]
    ordered = worst_first(alerts)
    lines.append("Worst first:")
    lines += [f"  [{a.severity.value.upper()}] {title(a)}" for a in ordered[:GROUP_LISTED]]
    if len(ordered) > GROUP_LISTED:
        lines.append(f"  ... and {len(ordered) - GROUP_LISTED} more (jobwatch list shows them all)")
    return "\n".join(lines) + "\n"


def _subject(text: str) -> str:
    # SNS rejects line breaks and non-printable characters in a Subject.
    return clip(" ".join(text.split()), SUBJECT_LIMIT)

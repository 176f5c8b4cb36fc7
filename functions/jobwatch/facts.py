"""The facts an alert states, as (name, value) text pairs shared by the email and Slack renderings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from jobwatch.alerts import SEVERITY_RANK, Alert
from jobwatch.snapshot import JobSnapshot

LABEL_LIMIT = 80
ERROR_EXAMPLE_LIMIT = 160
URL_LIMIT = 2000  # a job link longer than this is cut in email and left out in Slack


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with an ellipsis when cut; control characters become spaces."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def title(alert: Alert) -> str:
    """`Job j_… failed — Nightly prices`: the summary plus the label, one line."""
    label = f" — {clip(alert.label, LABEL_LIMIT)}" if alert.label else ""
    return clip(alert.summary, 200) + label


def facts(alert: Alert) -> list[tuple[str, str]]:
    """The job's figures as named lines; fields Bright Data did not report are left out."""
    out: list[tuple[str, str]] = []
    if alert.job_id:
        out.append(("Job", alert.job_id))
    if alert.label:
        out.append(("Label", clip(alert.label, LABEL_LIMIT)))
    snap = alert.snapshot
    if snap is None:
        return out
    if snap.collector:
        out.append(("Collector", clip(snap.collector, LABEL_LIMIT)))
    old = alert.old_status
    out.append(("Status", f"{old} -> {snap.status}" if old and old != snap.status else snap.status))
    rate = _rate_fact(alert, snap)
    if rate:
        out.append(("Success rate", rate))
    if snap.fails is not None:
        out.append(("Fails", str(snap.fails)))
    pages = pages_text(snap)
    if pages:
        out.append(("Pages", pages))
    if snap.job_time_ms is not None:
        out.append(("Duration", duration(snap.job_time_ms)))
    if snap.queue_time_ms is not None:
        out.append(("Queue time", duration(snap.queue_time_ms)))
    for name, value in (("Created", snap.created), ("Started", snap.started), ("Finished", snap.finished)):
        if value:
            out.append((name, clip(value, 40)))
    return out


def _rate_fact(alert: Alert, snap: JobSnapshot) -> str | None:
    rate = snap.judged_rate
    if rate is None:
        return None
    if snap.status == "running" and snap.success is not None:
        counts = f" ({snap.success}/{snap.processed} processed of {snap.inputs if snap.inputs is not None else '?'})"
    elif snap.success is not None and snap.inputs:
        counts = f" ({snap.success}/{snap.inputs} inputs)"
    else:
        counts = ""
    threshold = f", threshold {alert.threshold:.0%}" if alert.threshold is not None else ""
    return f"{bar(rate)} {rate:.1%}{counts}{threshold}"


def error_lines(alert: Alert) -> list[str]:
    """`dead_page ×30, e.g. "404 at /item/7"` per top error code, or the note saying why there are none."""
    lines = [f'{clip(e.code, 40)} ×{e.count}, e.g. "{clip(e.example, ERROR_EXAMPLE_LIMIT)}"' for e in alert.errors]
    if alert.errors_note:
        lines.append(clip(alert.errors_note, 200))
    return lines


def pages_text(snap: JobSnapshot) -> str | None:
    if snap.pages is None:
        return None
    if snap.pages_left is None:
        return str(snap.pages)
    total = snap.pages + snap.pages_left
    return f"{bar(snap.pages / total if total else 1.0)} {snap.pages} of {total} ({snap.pages_left} left)"


def bar(fraction: float, width: int = 10) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "▓" * filled + "░" * (width - filled)


def duration(ms: int) -> str:
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m {sec}s" if hours else f"{minutes}m {sec}s"


def worst_first(alerts: Sequence[Alert]) -> list[Alert]:
    return sorted(
        alerts,
        key=lambda a: (
            SEVERITY_RANK[a.severity],
            _rate_key(a),
            a.job_id or "",
        ),
    )


def group_counts(alerts: Sequence[Alert]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(counts by event kind, counts by collector), largest first."""
    kinds = Counter(a.kind.value for a in alerts)
    collectors = Counter(a.collector or "(no collector)" for a in alerts)
    return kinds.most_common(), collectors.most_common()


def _rate_key(alert: Alert) -> float:
    rate = alert.snapshot.judged_rate if alert.snapshot else None
    return 2.0 if rate is None else rate

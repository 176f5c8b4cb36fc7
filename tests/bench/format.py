"""The bench's figures as one Markdown table plus the targets of the performance issue, each marked met or not."""

from __future__ import annotations

from typing import Any

from tests.bench.measure import WRITE_KINDS

RUN_KINDS = (("first", "first poll (all new)"), ("unchanged", "nothing changed"), ("changed", "every job moved"))
COLUMNS = ("Query", "Scan", "GetItem", "PutItem", "UpdateItem", "BatchGetItem", "BatchWriteItem")
GROWTH_WARMUP = 5  # runs before the resident set is taken as the baseline for growth


def _rows(sizes: list[dict[str, Any]], latency: float) -> list[str]:
    head = (
        "| jobs N | run | C | latency | wall | ideal ceil(N/C)×latency | ratio | Bright Data requests | "
        + " | ".join(COLUMNS)
        + " | writes for unchanged jobs | peak RSS |"
    )
    rows = [head, "|" + " --- |" * (head.count("|") - 1)]
    for size in sizes:
        for key, name in RUN_KINDS:
            one = size[key]
            calls = one["dynamodb"]
            unchanged = sum(calls[k] for k in WRITE_KINDS) if key == "unchanged" else "–"
            rows.append(
                f"| {size['n']} | {name} | {one['concurrency']} | {latency * 1000:.0f} ms | {one['wall']:.2f} s | "
                f"{size['ideal']:.2f} s | {one['wall'] / size['ideal']:.2f}× | {one['http']} | "
                + " | ".join(str(calls.get(k, 0)) for k in COLUMNS)
                + f" | {unchanged} | {size['peak_rss_mb']:.0f} MB |"
            )
    return rows


def _growth(repeat: dict[str, Any]) -> float:
    rss = repeat["rss_mb"]
    return float(rss[-1] - rss[GROWTH_WARMUP - 1])


def targets(
    sizes: list[dict[str, Any]], repeat: dict[str, Any], imports: dict[str, float], day: dict[str, Any]
) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target of the issue."""
    by_n = {s["n"]: s for s in sizes}
    k = by_n[1000]
    steady = k["unchanged"]
    import_ratio = imports["jobwatch.handler"] / imports["boto3"]
    reads = [s[r]["dynamodb"] for s in sizes for r, _ in RUN_KINDS]
    max_get = max(c["GetItem"] for c in reads)
    unchanged_writes = max(sum(s["unchanged"]["dynamodb"][w] for w in WRITE_KINDS) for s in sizes)
    growth = _growth(repeat)
    comparison = day["comparison"]
    day_calls = comparison["calls_ratio_baseline_over_adaptive"]
    day_delay = max(
        comparison["median_added_delay_periods"], comparison["median_of_per_transition_added_delay_periods"]
    )
    return [
        ("run at N=1000, C=16, 50 ms: ≤ 1.3× the ideal bound", f"{steady['wall'] / k['ideal']:.2f}×",
         steady["wall"] <= 1.3 * k["ideal"]),
        ("run at N=1000: ≥ 10× faster than the naive baseline", f"{k['naive_wall'] / steady['wall']:.1f}×",
         k["naive_wall"] >= 10 * steady["wall"]),
        ("work list: Query pages, no Scan, no read per job", f"Scan {sum(c['Scan'] for c in reads)}, "
         f"GetItem ≤ {max_get} a run", sum(c["Scan"] for c in reads) == 0 and max_get <= 1),
        ("no write for an unchanged job", f"{unchanged_writes} writes", unchanged_writes == 0),
        ("peak RSS at N=5000 < 128 MB", f"{by_n[5000]['peak_rss_mb']:.0f} MB", by_n[5000]["peak_rss_mb"] < 128),
        (f"no growth over {len(repeat['rss_mb'])} runs in one process (N={repeat['n']})",
         f"{growth:+.1f} MB after run {GROWTH_WARMUP}", growth <= 2.0),
        ("cold import of the handler ≤ 1.5× `import boto3`", f"{import_ratio:.2f}×", import_ratio <= 1.5),
        ("adaptive polling: ≥ 3× fewer calls over a simulated day", f"{day_calls:.1f}×", day_calls >= 3),
        ("adaptive polling: median added delay ≤ one period", f"{day_delay:.2f} periods", day_delay <= 1),
    ]  # fmt: skip


def report(
    sizes: list[dict[str, Any]],
    repeat: dict[str, Any],
    imports: dict[str, float],
    day: dict[str, Any],
    latency: float,
) -> str:
    lines = _rows(sizes, latency)
    naive = ", ".join(
        f"N={s['n']}: {s['naive_wall']:.1f} s ({s['naive_wall'] / s['unchanged']['wall']:.0f}× the real run)"
        for s in sizes
        if "naive_wall" in s
    )
    rss = repeat["rss_mb"]
    lines += [
        "",
        f"Naive baseline (Scan, one request at a time, a write per job), same servers and process: {naive}.",
        f"Resident memory over {len(rss)} consecutive runs in one process at N={repeat['n']}: "
        f"{rss[0]:.0f} MB after the first, {rss[GROWTH_WARMUP - 1]:.0f} MB after run {GROWTH_WARMUP}, "
        f"{rss[-1]:.0f} MB after the last.",
        f"Cold import (median of 7 fresh interpreters): `import boto3` {imports['boto3'] * 1000:.0f} ms, "
        f"`import jobwatch.handler` {imports['jobwatch.handler'] * 1000:.0f} ms.",
        _day_line(day),
        "",
        "| target | measured | met |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {value} | {'yes' if met else '**no**'} |"
            for name, value, met in targets(sizes, repeat, imports, day)
        ),
    ]
    return "\n".join(lines)


def _day_line(day: dict[str, Any]) -> str:
    base, adaptive, added = day["baseline"], day["adaptive"], day["comparison"]["per_transition_added_delay_minutes"]

    def variant(name: str, report: dict[str, Any]) -> str:
        delay = report["delay_minutes"]
        return (
            f"{name}: {report['calls']} calls, {report['calls_per_detected_transition']:.1f} per detected transition "
            f"({report['transitions_detected']} of {report['transitions']} detected), delay median "
            f"{delay['median']:.1f} min, p90 {delay['p90']:.1f}, max {delay['max']:.1f}"
        )

    return (
        f"A simulated day ({day['jobs']['total']} jobs: {day['jobs']['batch']} long batch, {day['jobs']['short']} "
        f"short, {day['jobs']['hang']} hung; {day['runs']} runs of {day['schedule_period_minutes']:g} min, "
        "`python -m tests.bench.day`): "
        f"{variant('every job every run', base)}; {variant('adaptive polling', adaptive)}; added delay per "
        f"transition median {added['median']:.1f} min, p90 {added['p90']:.1f}, max {added['max']:.1f}."
    )

"""The printed report: the context of the run, a table duban / echo / ratio, and the targets."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path
from typing import Any

from benchmarks.intake.run import Params

WIDTH = 38
TABLE = (
    ("updates handled per second", lambda f: f["updates_per_s"], "{:.1f}"),
    ("latency p50 (ms)", lambda f: f["latency_ms"]["p50"], "{:.0f}"),
    ("latency p95 (ms)", lambda f: f["latency_ms"]["p95"], "{:.0f}"),
    ("latency p99 (ms)", lambda f: f["latency_ms"]["p99"], "{:.0f}"),
    ("bot peak RSS (MiB)", lambda f: f["bot_peak_rss_mib"], "{:.1f}"),
    ("bot CPU per update (ms)", lambda f: f["bot_cpu_ms_per_update"], "{:.2f}"),
    ("bot messages sent per second", lambda f: f["bot_messages_per_s"], "{:.1f}"),
    (
        "updates/s, notifications delivered too",
        lambda f: f["updates_per_s_all_delivered"],
        "{:.1f}",
    ),
)


def _count(label: str, f: dict[str, Any]) -> str:
    n = f["notifications"]
    values = {
        "user messages sent": str(f["user_messages"]),
        "user messages sent per second": f"{f['sent_per_s']:.2f}",
        "answered": str(f["answered"]),
        "refused / unanswered": f"{len(f['refusals'])} / {f['timeouts']}",
        "cases filed / completed": f"{f['cases_filed']} / {f['cases_completed']}",
        "other bot messages (notifications)": str(f["other_bot_messages"]),
        "outbox owed / delivered / duplicated": f"{n['owed']} / {n['delivered']} / "
        f"{n['duplicates']}",
        "wall time (s)": str(f["wall_s"]),
        "all bot messages out after (s)": str(f["drained_after_s"]),
        "CPU s: bot / emulator / load": f"{f['bot_cpu_s']:.1f}/{f['sandbox_cpu_s']:.1f}/"
        f"{f['load_cpu_s']:.1f}",
    }
    return values[label]


COUNTS = (
    "user messages sent",
    "user messages sent per second",
    "answered",
    "refused / unanswered",
    "cases filed / completed",
    "other bot messages (notifications)",
    "outbox owed / delivered / duplicated",
    "wall time (s)",
    "all bot messages out after (s)",
    "CPU s: bot / emulator / load",
)


def _header(params: Params, header: dict[str, Any]) -> list[str]:
    if params.rate is not None:
        pacing = f"open loop: {params.rate:g} user messages a second, Poisson arrivals"
    else:
        pacing = f"closed loop: at most {params.concurrency} unanswered"
    return [
        f"duban intake benchmark, {header['date']}",
        f"machine: {header['machine']}",
        "load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}"
        " (other work on the machine skews every figure)".format(*header["load_average"]),
        f"database: {header['database']}; rate limiter: {header['rate_limiter']}; "
        "emulator rate limits: off",
        f"workload: {params.enterprises} enterprises x {params.cases} cases, "
        f"{params.departments_per_case} department(s) per case = {header['expected']} user "
        f"messages (/report, /dispatch, /ack, /done); {pacing}",
        "processes: emulator, bot, load generator each on its own; memory and CPU are the "
        "bot process's",
        "latency: emulator clock, user message stored -> bot answer stored in that chat",
        "",
    ]


def _table(results: dict[str, dict[str, Any]]) -> list[str]:
    bots = list(results)
    two = len(bots) == 2
    lines = [
        f"{'metric':<{WIDTH}}"
        + "".join(f"{b:>16}" for b in bots)
        + (f"{'ratio':>10}" if two else "")
    ]
    for label, get, fmt in TABLE:
        values = [get(results[b]) for b in bots]
        row = f"{label:<{WIDTH}}" + "".join(f"{fmt.format(v):>16}" for v in values)
        if two:
            row += f"{values[0] / values[1] if values[1] else float('nan'):>10.2f}"
        lines.append(row)
    for label in COUNTS:
        lines.append(
            f"{label:<{WIDTH}}" + "".join(f"{_count(label, results[b]):>16}" for b in bots)
        )
    duban = results.get("duban")
    if duban and duban["notifications_by_recipient"]:
        cases = max(duban["cases_filed"], 1)
        spread = sorted(duban["notifications_by_recipient"].items())
        lines.append(
            "duban notifications per case: "
            + ", ".join(f"{who} {n / cases:.1f}" for who, n in spread)
        )
    if duban and duban["bot_thread_cpu_s"]:
        threads = ", ".join(f"{k} {v:.1f}" for k, v in duban["bot_thread_cpu_s"].items())
        lines.append(f"duban CPU s by thread: {threads}")
    return lines


def _targets(params: Params, results: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for bot, figures in results.items():
        if not figures["complete"]:
            lines.append(f"{bot}: cut off after {params.max_seconds:.0f} s (--max-seconds)")
        for refusal in figures["refusals"][:5]:
            lines.append(f"{bot} refused: {refusal}")
        if figures["idle_arrivals"]:
            lines.append(f"{bot}: {figures['idle_arrivals']} arrivals found nothing to send")
    if "duban" in results:
        n = results["duban"]["notifications"]
        state = "yes" if n["missing"] == 0 else f"NO, {n['missing']} missing"
        lines.append(f"every notification delivered: {state} ({n['delivered']} of {n['owed']})")
    if {"duban", "echo"} != set(results):
        return lines
    duban, echo = results["duban"], results["echo"]
    if params.rate is not None:
        gap = duban["latency_ms"]["p95"] - echo["latency_ms"]["p95"]
        met = "met" if gap <= 50 else "NOT met"
        lines.append(f"target: duban p95 at most 50 ms above the echo bot's: {met} ({gap:+.0f} ms)")
    else:
        ratio = duban["updates_per_s"] / echo["updates_per_s"] if echo["updates_per_s"] else 0.0
        met = "met" if ratio >= 0.5 else "NOT met"
        lines.append(
            f"target: duban throughput >= 1/2 of the echo bot's: {met} (ratio {ratio:.2f})"
        )
    return lines


def render(params: Params, results: dict[str, dict[str, Any]], header: dict[str, Any]) -> str:
    """The whole printed report."""
    lines = _header(params, header) + _table(results) + [""] + _targets(params, results)
    return "\n".join(lines)


def machine() -> str:
    """OS, CPU count and model, Python and PTB versions."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import telegram

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}, python-telegram-bot {telegram.__version__}"
    )

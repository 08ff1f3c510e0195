"""Child processes (emulator, bot) and the BENCH line protocol between them and the parent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH_PREFIX = "BENCH "
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


def emit(kind: str, **payload: Any) -> None:
    """One line to the parent on stdout; anything else a library prints there is ignored."""
    sys.stdout.write(BENCH_PREFIX + json.dumps({"kind": kind, **payload}) + "\n")
    sys.stdout.flush()


def _thread_cpu() -> dict[str, float]:
    """CPU seconds per Python thread of this process, grouped by name (Linux only)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    found: dict[str, float] = {}
    for thread in threading.enumerate():
        if thread.native_id is None:
            continue
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        name = re.sub(r"[_-]\d+$", "", thread.name)
        found[name] = round(found.get(name, 0.0) + seconds, 3)
    return found


def process_stats() -> dict[str, Any]:
    """Peak and current RSS, CPU seconds and CPU per thread of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        rss_kib = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    return {
        "maxrss_kib": usage.ru_maxrss,  # kilobytes on Linux
        "rss_kib": rss_kib,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "threads": _thread_cpu(),
    }


def own_cpu() -> float:
    """CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def watch_parent(loop: asyncio.AbstractEventLoop, stop: asyncio.Event, extra: Callable) -> None:
    """Serve ``stats`` requests from stdin; end of input (parent gone or done) stops us."""

    def read() -> None:
        for line in sys.stdin:
            if line.strip() == "stats":
                loop.call_soon_threadsafe(lambda: emit("stats", **process_stats(), **extra()))
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=read, name="parent-watch", daemon=True).start()


def child_command(role_args: list[str]) -> list[str]:
    """The command line of a child process (a seam for profiling it by hand)."""
    return [sys.executable, "-m", "benchmarks.intake", "_child", *role_args]


class Child:
    """A child process speaking the BENCH line protocol on stdin/stdout."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.name = name
        self.process = process
        self.log_path = log_path
        self.ready: dict[str, Any] = {}

    @classmethod
    async def start(cls, name: str, role_args: list[str], log_path: Path) -> Child:
        """Start it and wait for its ``ready`` line."""
        with log_path.open("ab") as log_file:
            process = await asyncio.create_subprocess_exec(
                *child_command(role_args),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_file,
                cwd=ROOT,
            )
        child = cls(name, process, log_path)
        try:
            child.ready = await asyncio.wait_for(child._next("ready"), STARTUP_TIMEOUT)
        except BaseException:
            await child.stop()
            raise
        return child

    async def _next(self, kind: str) -> dict[str, Any]:
        assert self.process.stdout is not None
        for _ in range(10_000):
            line = await self.process.stdout.readline()
            if not line:
                raise RuntimeError(
                    f"{self.name} process ended before '{kind}'; see {self.log_path}"
                )
            text = line.decode(errors="replace")
            if text.startswith(BENCH_PREFIX):
                message = json.loads(text[len(BENCH_PREFIX) :])
                if message.get("kind") == kind:
                    return message
        raise RuntimeError(f"{self.name} printed too much without '{kind}'")

    async def stats(self) -> dict[str, Any]:
        """Its current figures (CPU, memory, outbox counter)."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"stats\n")
        await self.process.stdin.drain()
        return await asyncio.wait_for(self._next("stats"), STOP_TIMEOUT)

    async def stop(self) -> dict[str, Any]:
        """Close its stdin (it shuts down by itself) and return its final figures."""
        final: dict[str, Any] = {}
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            if self.process.returncode is None:
                final = await asyncio.wait_for(self._next("final"), STOP_TIMEOUT)
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except (TimeoutError, RuntimeError):
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        return final

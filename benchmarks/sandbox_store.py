"""What writing the sandbox's chats through to SQLite costs per Bot API call (issue 10).

Sends ``--messages`` messages and edits each once through the emulator's Bot API, with the
world kept in memory only and with the write-through store (a temporary SQLite file), and
prints the median and 95th percentile time per call and the time to load the file again.

    .venv/bin/python -m benchmarks.sandbox_store
    .venv/bin/python -m benchmarks.sandbox_store --messages 5000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from sandbox.server import SandboxServer
from sandbox.state import World
from sandbox.store import SandboxStore

TOKEN = "1000001:bench-token"
CHAT = 4242


async def calls(store: SandboxStore | None, count: int) -> list[float]:
    server = SandboxServer(port=0, store=store)
    await server.start()
    server.add_persona(CHAT, "bench")
    took: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=f"{server.url}/bot{TOKEN}", trust_env=False) as http:
            for n in range(count):
                started = time.perf_counter()
                sent = await http.post("/sendMessage", json={"chat_id": CHAT, "text": f"m{n}"})
                took.append(time.perf_counter() - started)
                message_id = sent.json()["result"]["message_id"]
                started = time.perf_counter()
                await http.post(
                    "/editMessageText",
                    json={"chat_id": CHAT, "message_id": message_id, "text": f"m{n} edited"},
                )
                took.append(time.perf_counter() - started)
    finally:
        await server.stop()
    return took


def show(label: str, took: list[float]) -> None:
    ordered = sorted(took)
    p95 = ordered[int(len(ordered) * 0.95)]
    print(
        f"{label:<14} calls={len(took)} median={statistics.median(took) * 1000:.3f} ms "
        f"p95={p95 * 1000:.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.sandbox_store", description=__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    show("in memory", asyncio.run(calls(None, args.messages)))
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "sandbox.db")
        store = SandboxStore(path)
        show("write-through", asyncio.run(calls(store, args.messages)))
        store.close()
        started = time.perf_counter()
        world = World(store=SandboxStore(path))
        world.load()
        loaded = sum(len(chat.messages) for chat in world.primary.chats.values())
        print(
            f"load           messages={loaded} took={(time.perf_counter() - started) * 1000:.1f} ms"
        )
        print(f"file size      {Path(path).stat().st_size / 1024:.0f} KiB (plus WAL)")


if __name__ == "__main__":
    main()

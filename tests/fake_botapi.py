"""A scripted Bot API on 127.0.0.1: each method fails with the statuses given, then succeeds."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_USER = {"id": 7000009, "is_bot": True, "first_name": "duban", "username": "duban_bot"}
DESCRIPTIONS = {401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}


class FakeBotApi:
    """Answers /bot<token>/<method>; ``script`` maps a method to the statuses of its first calls."""

    def __init__(self, script: dict[str, list[int]] | None = None, *, default: int = 200) -> None:
        self.script = {name: list(statuses) for name, statuses in (script or {}).items()}
        self.default = default
        self.calls: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def count(self, method: str, status: int = 200) -> int:
        with self.lock:
            return sum(1 for m, s in self.calls if m == method and s == status)

    def status_for(self, method: str) -> int:
        with self.lock:
            pending = self.script.get(method)
            status = pending.pop(0) if pending else self.default
            self.calls.append((method, status))
            return status

    def result_for(self, method: str) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            time.sleep(0.2)  # a short long poll
            return []
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = self.path.rsplit("/", 1)[-1]
                status = api.status_for(method)
                if status == 200:
                    body: dict[str, Any] = {"ok": True, "result": api.result_for(method)}
                else:
                    description = DESCRIPTIONS.get(status, "Bad Gateway")
                    body = {"ok": False, "error_code": status, "description": description}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeBotApi]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=10)

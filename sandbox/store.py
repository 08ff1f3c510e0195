"""The sandbox's own SQLite file: personas, chats, messages, files and the clock offset.

The in-memory World stays the working copy (fast reads for the page and the Bot API); every
change is written through here at once, so a restart shows the same conversations.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS personas (user_id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chats (
    chat_id INTEGER PRIMARY KEY, next_message_id INTEGER NOT NULL, reply_keyboard TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL, body TEXT NOT NULL,
    from_bot INTEGER NOT NULL, edit_count INTEGER NOT NULL, deleted INTEGER NOT NULL,
    update_id INTEGER, PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS callback_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY, file_unique_id TEXT NOT NULL, kind TEXT NOT NULL,
    data BLOB NOT NULL, file_path TEXT NOT NULL, mime_type TEXT NOT NULL,
    file_name TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL
);
"""
TABLES = ("meta", "personas", "chats", "messages", "callback_answers", "files")
IN_MEMORY = ":memory:"


def store_path_for(database_url: str, data_dir: Path = Path("data")) -> str:
    """Where the sandbox keeps its chats for this database: next to a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        name = url.database or ""
        if name in ("", IN_MEMORY) or name.startswith("file::memory:"):
            return IN_MEMORY
        path = Path(name)
        stem = "sandbox" if path.stem == "duban" else f"{path.stem}.sandbox"
        return str(path.with_name(f"{stem}.db"))
    # A server database: one file per database name, in the local data directory.
    return str(data_dir / f"sandbox-{url.database or 'default'}.db")


@dataclass
class Snapshot:
    """Everything stored, as plain rows, for World.load()."""

    meta: dict[str, str] = field(default_factory=dict)
    personas: list[dict] = field(default_factory=list)
    chats: list[tuple[int, int, dict | None]] = field(default_factory=list)
    messages: list[tuple[int, dict, bool, int, bool, int | None]] = field(default_factory=list)
    callback_answers: list[tuple[int, dict]] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)


class SandboxStore:
    """Write-through persistence of the emulator's world in one SQLite file."""

    def __init__(self, path: str = IN_MEMORY) -> None:
        self.path = path
        if path != IN_MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The server thread writes, start-up and reset read from another: one lock, one connection.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # WAL without a sync per commit: a demo's chats need not survive a power cut.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple = ()) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def _rows(self, sql: str) -> Iterator[tuple]:
        with self._lock:
            rows = self._db.execute(sql).fetchall()
        yield from rows

    # --- writes -------------------------------------------------------------------------------

    def set_meta(self, key: str, value: Any) -> None:
        """Store a small value (the clock offset, counters) as JSON."""
        self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def save_persona(self, persona: dict) -> None:
        """Insert or replace a persona (its user-side JSON)."""
        self._write(
            "INSERT OR REPLACE INTO personas (user_id, body) VALUES (?, ?)",
            (persona["user_id"], _dump(persona)),
        )

    def save_chat(self, chat_id: int, next_message_id: int, reply_keyboard: dict | None) -> None:
        """The chat's counters and reply keyboard."""
        self._write(
            "INSERT OR REPLACE INTO chats (chat_id, next_message_id, reply_keyboard) "
            "VALUES (?, ?, ?)",
            (chat_id, next_message_id, None if reply_keyboard is None else _dump(reply_keyboard)),
        )

    def save_message(
        self,
        chat_id: int,
        data: dict,
        *,
        from_bot: bool,
        edit_count: int,
        deleted: bool,
        update_id: int | None,
    ) -> None:
        """Insert a message or replace it with its edited state."""
        self._write(
            "INSERT OR REPLACE INTO messages "
            "(chat_id, message_id, body, from_bot, edit_count, deleted, update_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                chat_id,
                data["message_id"],
                _dump(data),
                int(from_bot),
                edit_count,
                int(deleted),
                update_id,
            ),
        )

    def add_callback_answer(self, chat_id: int, answer: dict) -> None:
        """One answered button press."""
        self._write(
            "INSERT INTO callback_answers (chat_id, body) VALUES (?, ?)", (chat_id, _dump(answer))
        )

    def save_file(self, row: dict) -> None:
        """Uploaded or sent bytes behind a file_id."""
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        sql = f"INSERT OR REPLACE INTO files ({columns}) VALUES ({marks})"
        self._write(sql, tuple(row.values()))

    def clear(self) -> None:
        """Forget everything (reset demo)."""
        with self._lock:
            self._db.execute("BEGIN")
            for table in TABLES:
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("COMMIT")

    # --- reads --------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Everything stored, in insertion order."""
        found = Snapshot()
        found.meta = {k: json.loads(v) for k, v in self._rows("SELECT key, value FROM meta")}
        found.personas = [
            json.loads(body) for (body,) in self._rows("SELECT body FROM personas ORDER BY rowid")
        ]
        found.chats = [
            (chat_id, next_id, json.loads(keyboard) if keyboard else None)
            for chat_id, next_id, keyboard in self._rows(
                "SELECT chat_id, next_message_id, reply_keyboard FROM chats ORDER BY rowid"
            )
        ]
        found.messages = [
            (chat_id, json.loads(body), bool(from_bot), edits, bool(deleted), update_id)
            for chat_id, body, from_bot, edits, deleted, update_id in self._rows(
                "SELECT chat_id, body, from_bot, edit_count, deleted, update_id FROM messages "
                "ORDER BY chat_id, message_id"
            )
        ]
        found.callback_answers = [
            (chat_id, json.loads(body))
            for chat_id, body in self._rows(
                "SELECT chat_id, body FROM callback_answers ORDER BY id"
            )
        ]
        names = (
            "file_id",
            "file_unique_id",
            "kind",
            "data",
            "file_path",
            "mime_type",
            "file_name",
            "width",
            "height",
        )
        found.files = [
            dict(zip(names, row, strict=True))
            for row in self._rows(f"SELECT {', '.join(names)} FROM files ORDER BY rowid")
        ]
        return found


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

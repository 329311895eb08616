"""POST /v1/feedback: a rating (and optionally a corrected answer) on an answer this server gave.

The server remembers its last `serve.feedback.remember` answers by response id (the `id` of a chat completion
or of a /generate answer), PII-scrubbed like `prepare` and the request log do, in the SQLite file
`serve.feedback.store`: a restart or another worker of the same host still finds them (null: in this
process's memory). Feedback on one of them is appended to `serve.feedback.path` with the conversation and the
answer it rates; `supportbot prepare-preferences --feedback FILE` turns the corrected ones into preference pairs.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from supportbot.core.errors import ConfigError
from supportbot.serve.request_log import scrub_strings

log = logging.getLogger(__name__)


class FeedbackRequest(BaseModel):
    """A rating of one served answer."""

    model_config = ConfigDict(extra="forbid")

    response_id: str = Field(min_length=1, max_length=100, description="The `id` of the answer rated.")
    rating: Literal["up", "down"] = Field(description="up: the answer was right; down: it was not.")
    correction: str | None = Field(
        None, min_length=1, max_length=8000, description="What the answer should have been."
    )
    note: str | None = Field(None, max_length=2000)


class FeedbackReceipt(BaseModel):
    """Where the feedback went."""

    id: str
    response_id: str
    stored: bool = True


class ResponseStore:
    """The answers of the last `size` responses by response id, PII-scrubbed, in SQLite: a file (`path`), which
    survives restarts and is shared by every process that opens it, or this process's memory (`path` None).
    Thread-safe; the oldest is forgotten first."""

    def __init__(self, size: int, path: str | None = None) -> None:
        self.size = size
        self.path = None if path is None else Path(path).expanduser()
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                ":memory:" if self.path is None else str(self.path), timeout=10, check_same_thread=False
            )
            if self.path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")  # workers read while one writes
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS answers (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                "response_id TEXT NOT NULL UNIQUE, record TEXT NOT NULL)"
            )
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"serve.feedback.store {self.path}: cannot open it as an SQLite file ({exc}); point it at a "
                "writable path, or set serve.feedback.store: null to keep the answers in memory"
            ) from exc
        self._lock = threading.Lock()

    def remember(
        self, response_id: str, route: str, model: str, messages: list[dict[str, str]], answer: str
    ) -> None:
        """Keep one answer with the conversation it answered. A failed write (disk full, file locked past the
        timeout) is logged: the answer was given, only feedback on it will be refused."""
        record = scrub_strings({"route": route, "model": model, "messages": messages, "answer": answer})
        try:
            with self._lock, self._db:
                self._db.execute(
                    "INSERT OR REPLACE INTO answers (response_id, record) VALUES (?, ?)",
                    (response_id, json.dumps(record, ensure_ascii=False)),
                )
                self._db.execute(
                    "DELETE FROM answers WHERE seq <= (SELECT MAX(seq) FROM answers) - ?", (self.size,)
                )
        except sqlite3.Error as exc:
            log.warning("serve.feedback.store %s: answer %s not remembered (%s)", self.path, response_id, exc)

    def get(self, response_id: str) -> dict[str, Any] | None:
        """The remembered answer, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM answers WHERE response_id = ?", (response_id,)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def new_feedback_id() -> str:
    """An id for one feedback record."""
    return f"fb-{uuid.uuid4().hex[:24]}"


def generate_id() -> str:
    """The response id of a /generate answer."""
    return f"gen-{uuid.uuid4().hex[:24]}"

"""POST /v1/feedback: a rating (and optionally a corrected answer) on an answer this server gave.

The server remembers its last `serve.feedback.remember` answers by response id (the `id` of a chat completion
or of a /generate answer), in memory only. Feedback on one of them is appended to `serve.feedback.path` with
the conversation and the answer it rates, every string PII-scrubbed like `prepare` and the request log do;
`supportbot prepare-preferences --feedback FILE` turns the corrected ones into preference pairs.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
    """The last `size` answers by response id (thread-safe; the oldest is forgotten first)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(
        self, response_id: str, route: str, model: str, messages: list[dict[str, str]], answer: str
    ) -> None:
        """Keep one answer with the conversation it answered."""
        with self._lock:
            self._items[response_id] = {
                "route": route,
                "model": model,
                "messages": messages,
                "answer": answer,
            }
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, response_id: str) -> dict[str, Any] | None:
        """The remembered answer, or None."""
        with self._lock:
            return self._items.get(response_id)


def new_feedback_id() -> str:
    """An id for one feedback record."""
    return f"fb-{uuid.uuid4().hex[:24]}"


def generate_id() -> str:
    """The response id of a /generate answer."""
    return f"gen-{uuid.uuid4().hex[:24]}"

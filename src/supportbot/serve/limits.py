"""Request limits: body size (ASGI middleware), requests a minute per key, and per-request bounds checked
against the config and model."""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

from supportbot.core.prompt import Messages
from supportbot.serve.config import LimitsConfig
from supportbot.serve.errors import BadRequest, RateLimited, Unprocessable


def check_max_new_tokens(value: int | None, default: int, limits: LimitsConfig, field: str) -> int:
    """The request's token budget, or a 422 naming `field` when above serve.limits.max_new_tokens."""
    if value is None:
        return min(default, limits.max_new_tokens)
    if value > limits.max_new_tokens:
        raise Unprocessable(
            f"{field}: must be <= {limits.max_new_tokens} on this server (got {value})", param=field
        )
    return value


def check_messages(messages: Messages, limits: LimitsConfig, field: str) -> None:
    """A 422 when a chat has more messages than allowed."""
    if len(messages) > limits.max_messages:
        raise Unprocessable(
            f"{field}: at most {limits.max_messages} messages (got {len(messages)})", param=field
        )


def check_prompt_tokens(n: int, max_new_tokens: int, context: int, limits: LimitsConfig, field: str) -> None:
    """A 400 naming `field` when the prompt is too long for the limit or for the model's context."""
    if n > limits.max_prompt_tokens:
        raise BadRequest(
            f"{field}: prompt is {n} tokens; the limit is {limits.max_prompt_tokens}",
            param=field,
            code="context_length_exceeded",
        )
    if n + max_new_tokens > context:
        raise BadRequest(
            f"{field}: prompt ({n} tokens) + max new tokens ({max_new_tokens}) exceed the model context ({context})",
            param=field,
            code="context_length_exceeded",
        )


class BodySizeLimit:
    """ASGI middleware: a request body above `max_bytes` gets 413 before the app reads it."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Buffer the body up to the limit, then replay it to the app."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Any) -> None:
        body = json.dumps(
            {
                "error": {
                    "message": f"body: request body exceeds {self.max_bytes} bytes",
                    "type": "invalid_request_error",
                    "param": "body",
                    "code": "payload_too_large",
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


# The routes that run the model: the ones a per-key request budget is for (not /metrics scrapes or /v1/models).
MODEL_ROUTES = frozenset({"/generate", "/v1/chat/completions", "/v1/troubleshoot"})


class RequestRate:
    """serve.limits.requests_per_minute: a token bucket per caller (API key, or client address), `per_minute`
    deep and refilled at per_minute / 60 a second, so a caller may burst a minute's budget and then goes on at
    the steady rate."""

    def __init__(self, per_minute: int, clock: Any = time.monotonic) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, caller: str) -> None:
        """Spend one request of `caller`'s budget, or raise 429 with the seconds until one is back."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(caller, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - at) * self._rate)
            if tokens < 1.0:
                self._buckets[caller] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self._rate)
                who = "client" if caller.startswith("client ") else "API key"
                raise RateLimited(
                    f"more than {self.per_minute} model requests a minute from this {who} "
                    f"(serve.limits.requests_per_minute); retry in {wait}s",
                    code="requests_per_minute",
                    headers={"Retry-After": str(wait)},
                )
            self._buckets[caller] = (tokens - 1.0, now)

"""Prometheus metrics of one app (own registry): requests, latency, tokens, errors, guardrail hits, batches."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """The counters and histograms the app updates; `render()` gives the Prometheus text format."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "supportbot_requests",
            "HTTP requests by route and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "supportbot_request_latency_seconds",
            "Request latency (to the last body byte).",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "supportbot_errors",
            "Error responses (4xx/5xx) by route and status.",
            ["route", "status"],
            registry=r,
        )
        self.tokens_in = Counter("supportbot_tokens_in", "Prompt tokens processed.", ["model"], registry=r)
        self.tokens_out = Counter("supportbot_tokens_out", "Tokens generated.", ["model"], registry=r)
        self.guardrail_hits = Counter(
            "supportbot_guardrail_hits", "Guardrail hits by rule and stage.", ["rule", "stage"], registry=r
        )
        self.batch_size = Histogram(
            "supportbot_batch_size",
            "Requests per batched forward.",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=r,
        )
        self.queue_depth = Gauge("supportbot_queue_depth", "Requests waiting for the model.", registry=r)
        self.troubleshoot = Counter(
            "supportbot_troubleshoot",
            "/v1/troubleshoot answers by outcome: valid (first try), repaired (after the retry), invalid "
            "(502), guardrail.",
            ["outcome"],
            registry=r,
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one finished HTTP request."""
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def observe_tokens(self, model: str, tokens_in: int, tokens_out: int) -> None:
        """Add one generation's token counts."""
        self.tokens_in.labels(model).inc(tokens_in)
        self.tokens_out.labels(model).inc(tokens_out)

    def render(self) -> bytes:
        """The Prometheus exposition text."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware counting every response by route and status, timed to its last body byte."""

    def __init__(self, app: Any, metrics: Metrics, routes: set[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Time and count the request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"] if scope["path"] in self.routes else "other"
        started = time.perf_counter()
        state = {"status": 500, "done": False}

        def record() -> None:
            if not state["done"]:
                state["done"] = True
                status = state["status"]
                self.metrics.observe_request(route, scope["method"], status, time.perf_counter() - started)
                if status >= 400:
                    self.metrics.errors.labels(route, str(status)).inc()

        async def send_counted(message: dict) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                record()

        try:
            await self.app(scope, receive, send_counted)
        finally:
            record()

"""What the serve routes share: the engine, guardrails, limits, metrics, request log and answer memory."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi.responses import Response

from supportbot.core.config import GenerationConfig
from supportbot.core.generation import Generation
from supportbot.core.prompt import Messages, user_turn
from supportbot.serve import limits
from supportbot.serve.config import ServeConfig
from supportbot.serve.engine import Params
from supportbot.serve.errors import APIError, InvalidModelOutput
from supportbot.serve.feedback import ResponseStore
from supportbot.serve.guardrails import Guardrails
from supportbot.serve.metrics import Metrics
from supportbot.serve.schemas import GREEDY_BELOW, ErrorResponse, GenerateRequest
from supportbot.serve.troubleshoot import Troubleshooter

log = logging.getLogger("supportbot.serve")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 422, 429, 503)
}
DEADLINE_HEADER = "X-Supportbot-Deadline"  # "generation": serve.request_timeout_s cut the answer short
GENERATION_ROUTES = ("/generate", "/v1/chat/completions", "/v1/troubleshoot")
RequestLogFn = Callable[[dict[str, Any]], None]


def _stops(stop: str | list[str] | None) -> list[str]:
    return [stop] if isinstance(stop, str) else list(stop or [])


class Service:
    """The request handlers' shared state: engine, guardrails, metrics, limits and the request log."""

    def __init__(
        self,
        engine: Any,
        cfg: ServeConfig,
        gen: GenerationConfig,
        metrics: Metrics,
        log_fn: RequestLogFn | None,
        troubleshooter: Troubleshooter | None = None,
        retriever: Any = None,
    ) -> None:
        self.engine = engine
        self.troubleshooter = troubleshooter
        self.retriever = retriever
        self.cfg = cfg
        self.gen = gen
        self.metrics = metrics
        self.log_fn = log_fn
        self.guard = Guardrails(cfg.guardrails, on_hit=lambda r, s: metrics.guardrail_hits.labels(r, s).inc())
        fb = cfg.feedback
        self.responses = ResponseStore(fb.remember, fb.store) if fb.enabled else None
        self.feedback_log: Any = None  # opened on the first feedback

    async def remember(
        self, response_id: str, route: str, public: str, messages: list[dict[str, str]], text: str
    ) -> None:
        """Keep an answer for /v1/feedback (the conversation as the client sent it, no system prompt), off the
        event loop: the store scrubs PII and may wait for another worker's write."""
        if self.responses is not None:
            turns = [m for m in messages if m["role"] in ("user", "assistant")]
            await asyncio.to_thread(self.responses.remember, response_id, route, public, turns, text)

    async def with_context(self, question: str) -> tuple[str, list[str] | None]:
        """The user turn with retrieved KB context before the question (as in training), and the chunk ids."""
        if self.retriever is None:
            return question, None
        [ctx] = await asyncio.to_thread(self.retriever.retrieve, [question])
        return user_turn(question, ctx.merge(None)), ctx.chunk_ids

    def params(
        self, messages: Messages, model: str | None, max_new: int | None, field: str, req: Any
    ) -> tuple[Params, str, int]:
        """Validate a request against the limits; return its Params, public model name and prompt tokens."""
        public, adapter = self.engine.resolve(model)
        budget = limits.check_max_new_tokens(max_new, self.gen.max_new_tokens, self.cfg.limits, field)
        n_prompt = self.engine.count_prompt_tokens(messages)
        prompt_field = "prompt" if isinstance(req, GenerateRequest) else "messages"
        limits.check_prompt_tokens(
            n_prompt, budget, self.engine.context_length, self.cfg.limits, prompt_field
        )
        temperature = self.gen.temperature if req.temperature is None else req.temperature
        if temperature < GREEDY_BELOW:
            temperature = 0.0
        params = Params(
            messages=messages,
            max_new_tokens=budget,
            temperature=temperature,
            top_p=self.gen.top_p if req.top_p is None else req.top_p,
            seed=self.gen.seed if req.seed is None else req.seed,
            stop=_stops(req.stop),
            adapter=adapter,
        )
        return params, public, n_prompt

    def finish(
        self, route: str, public: str, adapter: str | None, req: Any, gen: Generation, extra: dict
    ) -> None:
        """Count tokens and write the request log line."""
        self.metrics.observe_tokens(public, gen.tokens_in, gen.tokens_out)
        if self.log_fn is not None:
            try:
                self.log_fn(
                    {
                        "route": route,
                        "model": public,
                        "adapter": self.engine.adapter_dir(adapter),
                        "request": req.model_dump(exclude_none=True, mode="json"),
                        "response": gen.text,
                        "outcome": extra.get("outcome") or _outcome(gen, extra),
                        "finish_reason": extra.get("finish_reason", gen.finish_reason),
                        "latency_ms": round(gen.latency_s * 1000, 2),
                        "tokens_in": gen.tokens_in,
                        "tokens_out": gen.tokens_out,
                        **({"guardrail": extra["guardrail"]} if extra.get("guardrail") else {}),
                        **extra.get("log", {}),
                    }
                )
            except Exception:  # a logging failure must not fail the request
                log.exception("request log write failed")

    def log_rejected(self, route: str, exc: APIError) -> None:
        """Write the request log line of a generation request answered with an error (429, 499, 4xx)."""
        if self.log_fn is None or route not in GENERATION_ROUTES or isinstance(exc, InvalidModelOutput):
            return  # (an invalid troubleshoot answer is logged by its route, with the errors)
        outcome = {429: "rejected", 499: "cancelled"}.get(exc.status, "error")
        try:
            self.log_fn(
                {"route": route, "outcome": outcome, "status": exc.status, "error": exc.code or exc.type,
                 "message": str(exc)}
            )  # fmt: skip
        except Exception:
            log.exception("request log write failed")


def _outcome(gen: Generation, extra: dict) -> str:
    """The request log's outcome of an answered request."""
    if extra.get("guardrail"):
        return "guardrail"
    return "deadline" if gen.deadline_cut else "ok"


def mark_deadline(response: Response, result: Generation) -> None:
    """Say in a header when the generation deadline, not the token budget, ended the answer."""
    if result.deadline_cut:
        response.headers[DEADLINE_HEADER] = "generation"


def sse(payload: dict[str, Any]) -> str:
    """One server-sent event line."""
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

"""FastAPI application: /generate, OpenAI-compatible /v1 routes, /v1/troubleshoot, health, metrics, reload."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from supportbot.core import __version__
from supportbot.core.config import GenerationConfig
from supportbot.core.errors import SupportbotError
from supportbot.core.generation import Generation
from supportbot.core.prompt import Messages, build_messages, user_turn
from supportbot.grounded.contract import TroubleshootRequest, TroubleshootResponse
from supportbot.grounded.prompt import build_grounded_messages
from supportbot.serve import limits
from supportbot.serve.auth import AuthMiddleware, KeyChecker
from supportbot.serve.config import ServeConfig
from supportbot.serve.engine import Params
from supportbot.serve.errors import (
    APIError,
    BadRequest,
    Forbidden,
    InvalidModelOutput,
    NotEnabled,
    NotFound,
    NotReady,
    api_error_payload,
    error_payload,
)
from supportbot.serve.feedback import (
    FeedbackReceipt,
    FeedbackRequest,
    ResponseStore,
    generate_id,
    new_feedback_id,
)
from supportbot.serve.guardrails import Guardrails, StreamText
from supportbot.serve.limits import BodySizeLimit
from supportbot.serve.metrics import Metrics, MetricsMiddleware
from supportbot.serve.request_log import RequestLog
from supportbot.serve.schemas import (
    GREEDY_BELOW,
    ChatCompletion,
    ChatCompletionRequest,
    ErrorResponse,
    GenerateRequest,
    GenerateResponse,
    Health,
    ModelCard,
    ModelList,
    ReloadRequest,
)
from supportbot.serve.troubleshoot import Troubleshooter, redact_response, refusal_response

log = logging.getLogger("supportbot.serve")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 422, 429, 503)
}
DEADLINE_HEADER = "X-Supportbot-Deadline"  # "generation": serve.request_timeout_s cut the answer short
GENERATION_ROUTES = ("/generate", "/v1/chat/completions", "/v1/troubleshoot")
TROUBLESHOOT_HEADERS = {
    "X-Supportbot-Retrieved": {"description": "Retrieved chunk ids, best first (comma-separated)."},
    "X-Supportbot-Attempts": {"description": "Generations made: 1, or 2 when the repair retry was used."},
    "X-Supportbot-Model": {"description": "The served model that answered."},
    "Server-Timing": {"description": "retrieval, generation and total milliseconds."},
}
RequestLogFn = Callable[[dict[str, Any]], None]


def _stops(stop: str | list[str] | None) -> list[str]:
    return [stop] if isinstance(stop, str) else list(stop or [])


def _field(loc: tuple | list) -> str:
    # pydantic names the union member tried ("constrained-str", "list[constrained-str]"): not a field
    parts = [str(p) for p in loc if not re.search(r"[-\[]", str(p))]
    return ".".join(parts[1:] if parts and parts[0] in ("body", "query", "header") else parts) or "body"


class _Service:
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
        self.responses = ResponseStore(cfg.feedback.remember) if cfg.feedback.enabled else None
        self.feedback_log: Any = None  # opened on the first feedback

    def remember(
        self, response_id: str, route: str, public: str, messages: list[dict[str, str]], text: str
    ) -> None:
        """Keep an answer for /v1/feedback (the conversation as the client sent it, no system prompt)."""
        if self.responses is not None:
            turns = [m for m in messages if m["role"] in ("user", "assistant")]
            self.responses.remember(response_id, route, public, turns, text)

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


def _chat_messages(req: ChatCompletionRequest, system_prompt: str) -> Messages:
    messages = [
        {"role": "system" if m.role == "developer" else m.role, "content": m.text()} for m in req.messages
    ]
    if system_prompt and not any(m["role"] == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


def _client_turns(req: ChatCompletionRequest) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.text()} for m in req.messages if m.role in ("user", "assistant")]


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def create_app(
    engine: Any,
    cfg: ServeConfig,
    gen: GenerationConfig,
    keys: list[str] | None = None,
    request_log: RequestLogFn | None = None,
    troubleshooter: Troubleshooter | None = None,
    retriever: Any = None,
    admin_keys: list[str] | None = None,
) -> FastAPI:
    """Build the API over a loaded engine (HFEngine or VllmEngine) and, optionally, a KB index.

    `retriever` (a ContextRetriever) puts retrieved KB context before the question on /generate and chat.
    """
    metrics = Metrics()
    svc = _Service(engine, cfg, gen, metrics, request_log, troubleshooter, retriever)
    engine.on_batch = lambda size, seconds: metrics.batch_size.observe(size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.close()
        if request_log is not None and hasattr(request_log, "close"):
            request_log.close()
        if svc.feedback_log is not None:
            svc.feedback_log.close()

    app = FastAPI(
        title="supportbot",
        version=__version__,
        description="Customer-support assistant: /generate, OpenAI-compatible /v1 routes, grounded "
        "/v1/troubleshoot, health and metrics. "
        "Send `Authorization: Bearer <key>` on every route except /healthz and /readyz.",
        lifespan=lifespan,
    )
    app.state.service = svc

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        svc.log_rejected(request.url.path, exc)
        return JSONResponse(api_error_payload(exc), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        first = errors[0] if errors else {"loc": ["body"], "msg": "invalid request"}
        param = _field(first["loc"])
        body = error_payload(f"{param}: {first['msg']}", "invalid_request_error", param, "invalid_value")
        return JSONResponse({**body, "detail": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = error_payload(str(exc.detail), "invalid_request_error")
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse(error_payload("internal error", "server_error"), status_code=500)

    @app.get("/healthz", response_model=Health, response_model_exclude_none=True, tags=["health"])
    async def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": ErrorResponse}}, tags=["health"])
    async def readyz() -> Health:
        """Readiness: the model is loaded and the generation worker runs."""
        if not engine.ready:
            raise NotReady("the model is not loaded")
        return Health(status="ready", models=[m["id"] for m in engine.models()])

    @app.get(
        "/metrics", response_class=Response, tags=["health"], responses={200: {"content": {"text/plain": {}}}}
    )
    async def metrics_route() -> Response:
        """Prometheus metrics (text exposition format)."""
        metrics.queue_depth.set(engine.queue_depth())
        return Response(metrics.render(), media_type=metrics.content_type)

    @app.get("/v1/models", response_model=ModelList, responses=ERRORS, tags=["openai"])
    async def list_models() -> ModelList:
        """The base model and every loaded adapter, by the names requests use."""
        return ModelList(data=[ModelCard(created=engine.created, **m) for m in engine.models()])

    @app.post("/generate", response_model=GenerateResponse, responses=ERRORS, tags=["generate"])
    async def generate(req: GenerateRequest, request: Request, response: Response) -> GenerateResponse:
        """Answer one prompt (with the configured system prompt)."""
        user, chunk_ids = await svc.with_context(req.prompt)
        messages = build_messages(user, gen.system_prompt)
        params, public, n_prompt = svc.params(messages, req.model, req.max_new_tokens, "max_new_tokens", req)
        refusal = svc.guard.check_input([req.prompt])
        if refusal is not None:
            result = Generation(refusal.message, n_prompt, 0, 0.0, "guardrail")
        else:
            result = await engine.generate(params, request.is_disconnected)
            result.text = svc.guard.redact_output(result.text)
            _mark_deadline(response, result)
        svc.finish("/generate", public, params.adapter, req, result, {"guardrail": refusal and refusal.rule})
        rid = generate_id()
        svc.remember(rid, "/generate", public, [{"role": "user", "content": req.prompt}], result.text)
        return GenerateResponse(
            id=rid,
            text=result.text,
            latency_ms=round(result.latency_s * 1000, 2),
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            model=public,
            adapter=engine.adapter_dir(params.adapter),
            finish_reason=result.finish_reason,
            guardrail=refusal.rule if refusal else None,
            context_chunk_ids=chunk_ids,
        )

    @app.post(
        "/v1/chat/completions",
        response_model=ChatCompletion,
        responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
        tags=["openai"],
    )
    async def chat_completions(req: ChatCompletionRequest, request: Request, response: Response) -> Any:
        """OpenAI-compatible chat completion; `stream: true` answers with server-sent events."""
        unsupported = req.unsupported_field()
        if unsupported is not None:
            name, why = unsupported
            raise BadRequest(f"{name}: {why}", param=name, code="unsupported_field")
        limits.check_messages(req.messages, cfg.limits, "messages")
        messages = _chat_messages(req, gen.system_prompt)
        if svc.retriever is not None and messages[-1]["role"] == "user":
            messages[-1]["content"], _ = await svc.with_context(messages[-1]["content"])
        max_new = req.max_completion_tokens or req.max_tokens
        field = "max_completion_tokens" if req.max_completion_tokens else "max_tokens"
        params, public, n_prompt = svc.params(messages, req.model, max_new, field, req)
        refusal = svc.guard.check_input([m.text() for m in req.messages if m.role == "user"])
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if req.stream:
            return await _stream(req, request, params, public, n_prompt, refusal, cid, created)
        if refusal is not None:
            result, finish = Generation(refusal.message, n_prompt, 0, 0.0, "content_filter"), "content_filter"
        else:
            result = await engine.generate(params, request.is_disconnected)
            result.text, finish = svc.guard.redact_output(result.text), result.finish_reason
            _mark_deadline(response, result)
        svc.finish(
            "/v1/chat/completions",
            public,
            params.adapter,
            req,
            result,
            {"guardrail": refusal and refusal.rule},
        )
        svc.remember(cid, "/v1/chat/completions", public, _client_turns(req), result.text)
        return ChatCompletion(
            id=cid,
            created=created,
            model=public,
            choices=[{"index": 0, "message": {"content": result.text}, "finish_reason": finish}],
            usage={
                "prompt_tokens": result.tokens_in,
                "completion_tokens": result.tokens_out,
                "total_tokens": result.tokens_in + result.tokens_out,
            },
        )

    async def _stream(
        req: ChatCompletionRequest,
        request: Request,
        params: Params,
        public: str,
        n_prompt: int,
        refusal: Any,
        cid: str,
        created: int,
    ) -> StreamingResponse:
        # a 429 (or the client leaving while queued) is answered before the headers
        handle = None if refusal is not None else await engine.stream(params, request.is_disconnected)

        def chunk(delta: dict, finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            return _sse(
                {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": public,
                    "choices": [choice],
                }
            )

        text = StreamText(svc.guard, params.stop)
        logged = False

        def log_once(result: Generation, extra: dict) -> None:
            nonlocal logged
            if not logged:
                logged = True
                svc.finish("/v1/chat/completions", public, params.adapter, req, result, extra)

        async def events() -> AsyncIterator[str]:
            try:
                async for event in answer():
                    yield event
            finally:  # the client left mid-stream (the handle halts the job): log it as cancelled
                partial = Generation(text.text().strip(), n_prompt, 0, 0.0, "cancelled")
                log_once(partial, {"outcome": "cancelled"})

        async def answer() -> AsyncIterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            if handle is None:
                result = Generation(refusal.message, n_prompt, 0, 0.0, "content_filter")
                yield chunk({"content": refusal.message})
                finish = "content_filter"
            else:
                try:
                    async for piece in handle:
                        out = text.feed(piece)
                        if out:
                            yield chunk({"content": out})
                        if text.stopped:
                            handle.job.halt = True  # keep draining to the worker's final count
                except Exception as exc:
                    log.exception("stream failed")
                    yield _sse(error_payload(f"generation failed: {exc.__class__.__name__}", "server_error"))
                    yield "data: [DONE]\n\n"
                    return
                rest = text.finish()
                if rest:
                    yield chunk({"content": rest})
                result = handle.result or Generation("", n_prompt, 0, 0.0, "length")
                result.text = text.text().strip()
                finish = "stop" if text.stopped else result.finish_reason
            yield chunk({}, finish)
            if req.stream_options and req.stream_options.include_usage:
                usage = {
                    "prompt_tokens": result.tokens_in,
                    "completion_tokens": result.tokens_out,
                    "total_tokens": result.tokens_in + result.tokens_out,
                }
                yield _sse(
                    {
                        "id": cid,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": public,
                        "choices": [],
                        "usage": usage,
                    }
                )
            log_once(result, {"guardrail": refusal and refusal.rule, "finish_reason": finish})
            svc.remember(cid, "/v1/chat/completions", public, _client_turns(req), result.text)
            yield "data: [DONE]\n\n"

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    @app.post(
        "/v1/troubleshoot",
        response_model=TroubleshootResponse,
        responses={
            200: {"headers": TROUBLESHOOT_HEADERS},
            **ERRORS,
            502: {
                "model": ErrorResponse,
                "description": "The model's answer stayed invalid after the retry.",
            },
        },
        tags=["grounded"],
    )
    async def troubleshoot(
        req: TroubleshootRequest, request: Request, model: str | None = None
    ) -> JSONResponse:
        """Grounded JSON answer from the knowledge base (schemas/troubleshoot_response.schema.json).

        Retrieves the top-k KB chunks for the user's state (and question), generates, validates against the
        schema and the retrieved chunk ids, and retries once with the errors; a still-invalid answer is a 502.
        `model` (query) picks a served model/adapter; the body is the contract alone, metadata is in headers.
        """
        ts = svc.troubleshooter
        if ts is None:
            raise NotEnabled("troubleshoot is not enabled on this server (serve.troubleshoot.enabled)")
        public, adapter = engine.resolve(model)
        refusal = svc.guard.check_input([req.query] if req.query else [])
        if refusal is not None:
            metrics.troubleshoot.labels("guardrail").inc()
            body = refusal_response(refusal.message)
            result = Generation(body.model_dump_json(), 0, 0, 0.0, "guardrail")
            svc.finish("/v1/troubleshoot", public, adapter, req, result, {"guardrail": refusal.rule})
            return JSONResponse(
                body.model_dump(mode="json"),
                headers={"X-Supportbot-Guardrail": refusal.rule, "X-Supportbot-Model": public},
            )
        started = time.perf_counter()
        hits = await asyncio.to_thread(ts.retrieve, req)
        retrieval_s = time.perf_counter() - started
        messages = build_grounded_messages(req, hits)
        budget = limits.check_max_new_tokens(None, ts.max_new_tokens, cfg.limits, "max_new_tokens")
        n_prompt = engine.count_prompt_tokens(messages)
        limits.check_prompt_tokens(n_prompt, budget, engine.context_length, cfg.limits, "query")
        params = Params(
            messages=messages,
            max_new_tokens=budget,
            temperature=gen.temperature,
            top_p=gen.top_p,
            seed=gen.seed,
            stop=[],
            adapter=adapter,
            guide=ts.guide(hits, budget),
        )
        outcome = await ts.answer(engine, params, hits, retrieval_s, request.is_disconnected)
        headers = outcome.headers(public)
        log_extra = {"retrieved": [h.chunk_id for h in hits], "attempts": outcome.attempts}
        if outcome.response is None:
            error = outcome.error
            assert error is not None
            metrics.troubleshoot.labels("invalid").inc()
            usage = outcome.usage(outcome.generations[-1].text if outcome.generations else "")
            svc.finish(
                "/v1/troubleshoot", public, adapter, req, usage,
                {"finish_reason": "invalid", "log": {**log_extra, "errors": error.errors[:10]}},
            )  # fmt: skip
            log.warning("troubleshoot: invalid model output after %d attempt(s)", outcome.attempts)
            raise InvalidModelOutput(
                str(error),
                detail={
                    "errors": error.errors[:10],
                    "attempts": outcome.attempts,
                    "retrieved": [h.chunk_id for h in hits],
                },
                headers=headers,
            )
        metrics.troubleshoot.labels("valid" if outcome.attempts == 1 else "repaired").inc()
        response = redact_response(outcome.response, svc.guard.redact_output)
        svc.finish(
            "/v1/troubleshoot", public, adapter, req, outcome.usage(response.model_dump_json()),
            {"log": log_extra},
        )  # fmt: skip
        return JSONResponse(response.model_dump(mode="json"), headers=headers)

    @app.post(
        "/v1/feedback", response_model=FeedbackReceipt, status_code=201, responses=ERRORS, tags=["feedback"]
    )
    async def feedback(body: FeedbackRequest) -> FeedbackReceipt:
        """Rate an answer this server gave (by its response id), optionally with the answer it should have been."""
        if svc.responses is None:
            raise NotEnabled("feedback is off: set serve.feedback.enabled: true")
        served = svc.responses.get(body.response_id)
        if served is None:
            raise NotFound(
                f"response_id {body.response_id!r}: not one of the last {cfg.feedback.remember} answers of this "
                "server (answers are remembered in memory until a restart)",
                param="response_id",
                code="unknown_response",
            )
        if svc.feedback_log is None:
            svc.feedback_log = RequestLog(cfg.feedback.path, "serve.feedback.path")
        fid = new_feedback_id()
        record = {"id": fid, **body.model_dump(), **served}
        await asyncio.to_thread(svc.feedback_log, record)
        return FeedbackReceipt(id=fid, response_id=body.response_id)

    @app.post("/admin/reload", response_model=ModelList, responses=ERRORS, tags=["admin"])
    async def reload(body: ReloadRequest | None = None) -> ModelList:
        """Hot-reload adapters without restart: load/replace `adapters`, unload `remove`; no body = reload all."""
        body = body or ReloadRequest()
        for name in list(body.adapters or {}) + body.remove:
            if name in ("base", engine.base_name) or not re.fullmatch(r"[\w.:-]+", name):
                raise BadRequest(f"adapters: invalid adapter name {name!r}", param="adapters")
        if engine.default_model in body.remove:
            raise BadRequest(f"remove: {engine.default_model!r} is the default model", param="remove")
        allowed = _reload_roots(cfg)
        for name, spec in (body.adapters or {}).items():
            if not spec.startswith("registry:") and not any(
                Path(spec).expanduser().resolve().is_relative_to(root) for root in allowed
            ):
                raise Forbidden(
                    f"adapters: {name!r} -> {spec} is outside the registry and serve.reload_dirs "
                    f"({', '.join(map(str, allowed))})",
                    param="adapters",
                )
        try:
            await engine.reload(body.adapters, body.remove)
        except SupportbotError as exc:
            raise BadRequest(f"adapters: {exc}", param="adapters") from exc
        log.info("reloaded adapters: %s", ", ".join(engine.adapters.names()) or "(none)")
        return ModelList(data=[ModelCard(created=engine.created, **m) for m in engine.models()])

    app.add_middleware(BodySizeLimit, max_bytes=cfg.limits.max_body_bytes)
    app.add_middleware(AuthMiddleware, checker=KeyChecker(keys or [], admin_keys or []))
    routes = {r.path for r in app.routes if hasattr(r, "path")}
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=routes)
    _publish_limits(app, cfg.limits.max_new_tokens)
    return app


def _mark_deadline(response: Response, result: Generation) -> None:
    """Say in a header when the generation deadline, not the token budget, ended the answer."""
    if result.deadline_cut:
        response.headers[DEADLINE_HEADER] = "generation"


def _reload_roots(cfg: ServeConfig) -> list[Path]:
    """Folders /admin/reload may load adapters from: the registry, serve.reload_dirs, serve.adapters' folders."""
    from supportbot.core.artifacts import default_root

    roots = [default_root(), *map(Path, cfg.reload_dirs)]
    roots += [
        Path(spec).expanduser().parent for spec in cfg.adapters.values() if not spec.startswith("registry:")
    ]
    return [r.resolve() for r in roots]


TOKEN_BUDGET_FIELDS = ("max_new_tokens", "max_tokens", "max_completion_tokens")


def _publish_limits(app: FastAPI, max_new_tokens: int) -> None:
    """Make the OpenAPI spec state the server's real token limit, not the schema's hard bound."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        schema = base()
        for component in schema.get("components", {}).get("schemas", {}).values():
            for name, prop in component.get("properties", {}).items():
                if name in TOKEN_BUDGET_FIELDS:
                    for alt in [prop, *prop.get("anyOf", [])]:
                        if "maximum" in alt:
                            alt["maximum"] = max_new_tokens
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_app(root_cfg: Any) -> FastAPI:
    """Load keys, guardrails, request log and the engine named by a full supportbot config; build the app."""
    from supportbot.serve.auth import load_admin_keys, load_keys
    from supportbot.serve.engine import HFEngine

    cfg: ServeConfig = root_cfg.serve
    _setup_logging(cfg.log_level)
    keys = load_keys(cfg)
    admin_keys = load_admin_keys(cfg)
    Guardrails(cfg.guardrails)  # fails fast on a missing PII module
    troubleshooter = Troubleshooter.load(root_cfg)  # a missing/stale index fails before the model loads
    if cfg.backend == "vllm":
        from supportbot.serve.vllm_backend import VllmEngine

        engine = VllmEngine.load(root_cfg.model, root_cfg.generation, cfg)
    else:
        engine = HFEngine.load(root_cfg.model, root_cfg.generation, cfg)
    if troubleshooter is not None:
        budget = min(cfg.troubleshoot.max_new_tokens, cfg.limits.max_new_tokens)
        troubleshooter.prepare_guided(engine, budget)
    request_log = RequestLog(cfg.request_log) if cfg.request_log else None
    if not keys:
        log.warning("no API key configured: only loopback clients are served (others get 403)")
    log.info(
        "serving %s (backend=%s, batching=%s) models: %s",
        engine.default_model,
        cfg.backend,
        "on" if cfg.batching.enabled else "off",
        ", ".join(m["id"] for m in engine.models()),
    )
    retriever = None
    if cfg.context is not None:
        from supportbot.retrieval.context import ContextRetriever

        retriever = ContextRetriever(cfg.context)  # builds a missing index from the KB
    return create_app(
        engine, cfg, root_cfg.generation, keys, request_log, troubleshooter, retriever, admin_keys
    )


def _setup_logging(level: str) -> None:
    """Log supportbot.serve lines to stderr (uvicorn configures only its own loggers)."""
    logger = logging.getLogger("supportbot")
    logger.setLevel(level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False

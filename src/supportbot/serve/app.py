"""The FastAPI application: shared Service, error handlers, auth, limits and metrics middleware, and the
routers of serve/routes/ (health, /generate, OpenAI-compatible chat, /v1/troubleshoot, feedback, admin)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from supportbot.core import __version__
from supportbot.core.config import GenerationConfig
from supportbot.serve.auth import AuthMiddleware, KeyChecker
from supportbot.serve.config import ServeConfig
from supportbot.serve.errors import APIError, api_error_payload, error_payload
from supportbot.serve.guardrails import Guardrails
from supportbot.serve.limits import BodySizeLimit, RequestRate
from supportbot.serve.metrics import Metrics, MetricsMiddleware
from supportbot.serve.request_log import RequestLog
from supportbot.serve.routes import admin, feedback, generate, health, openai, troubleshoot
from supportbot.serve.service import RequestLogFn, Service
from supportbot.serve.troubleshoot import Troubleshooter

log = logging.getLogger("supportbot.serve")
ROUTERS = (health, generate, openai, troubleshoot, feedback, admin)


def _field(loc: tuple | list) -> str:
    # pydantic names the union member tried ("constrained-str", "list[constrained-str]"): not a field
    parts = [str(p) for p in loc if not re.search(r"[-\[]", str(p))]
    return ".".join(parts[1:] if parts and parts[0] in ("body", "query", "header") else parts) or "body"


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
    svc = Service(engine, cfg, gen, metrics, request_log, troubleshooter, retriever)
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

    routers = [module.router(svc) for module in ROUTERS]
    for api in routers:
        app.include_router(api)

    app.add_middleware(BodySizeLimit, max_bytes=cfg.limits.max_body_bytes)
    per_minute = cfg.limits.requests_per_minute
    rate = RequestRate(per_minute) if per_minute else None
    app.add_middleware(AuthMiddleware, checker=KeyChecker(keys or [], admin_keys or []), rate=rate)
    routes = {r.path for r in app.routes if hasattr(r, "path")}
    routes |= {r.path for api in routers for r in api.routes if hasattr(r, "path")}
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=routes)
    _publish_limits(app, cfg.limits)
    return app


TOKEN_BUDGET_FIELDS = ("max_new_tokens", "max_tokens", "max_completion_tokens")


def _publish_limits(app: FastAPI, limits: Any) -> None:
    """Make the OpenAPI spec state the server's real token and message limits, not the schema's hard bounds
    (a schema-valid request is then never answered 422 by a configured limit)."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        schema = base()
        for component in schema.get("components", {}).get("schemas", {}).values():
            for name, prop in component.get("properties", {}).items():
                for alt in [prop, *prop.get("anyOf", [])]:
                    if name in TOKEN_BUDGET_FIELDS and "maximum" in alt:
                        alt["maximum"] = limits.max_new_tokens
                    if name == "messages" and alt.get("type") == "array":
                        alt["maxItems"] = limits.max_messages
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
    cfg.backend = cfg.runtime(root_cfg.model.backend)
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
    from supportbot.retrieval.context import ContextRetriever, trained_context

    context = cfg.context
    if context is None and cfg.context_from_model:
        context = trained_context(root_cfg.model.adapter or root_cfg.model.name)
        if context is not None:
            log.info("retrieving KB context from %s, as the served adapter was trained", context.index_dir)
    if context is not None:
        retriever = ContextRetriever(context)  # builds a missing index from the KB
        retriever.retrieve(["warm-up"])  # load the index and the embedder now, not on the first requests
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

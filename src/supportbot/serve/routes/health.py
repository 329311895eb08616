"""Liveness, readiness, Prometheus metrics and the model list."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from supportbot.serve.errors import NotReady
from supportbot.serve.schemas import ErrorResponse, Health, ModelCard, ModelList
from supportbot.serve.service import ERRORS, Service


def router(svc: Service) -> APIRouter:
    """/healthz, /readyz, /metrics and /v1/models."""
    api = APIRouter()
    engine = svc.engine

    @api.get("/healthz", response_model=Health, response_model_exclude_none=True, tags=["health"])
    async def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok")

    @api.get("/readyz", response_model=Health, responses={503: {"model": ErrorResponse}}, tags=["health"])
    async def readyz() -> Health:
        """Readiness: the model is loaded and the generation worker runs."""
        if not engine.ready:
            raise NotReady("the model is not loaded")
        return Health(status="ready", models=[m["id"] for m in engine.models()])

    @api.get(
        "/metrics", response_class=Response, tags=["health"], responses={200: {"content": {"text/plain": {}}}}
    )
    async def metrics_route() -> Response:
        """Prometheus metrics (text exposition format)."""
        svc.metrics.queue_depth.set(engine.queue_depth())
        return Response(svc.metrics.render(), media_type=svc.metrics.content_type)

    @api.get("/v1/models", response_model=ModelList, responses=ERRORS, tags=["openai"])
    async def list_models() -> ModelList:
        """The base model and every loaded adapter, by the names requests use."""
        return ModelList(data=[ModelCard(created=engine.created, **m) for m in engine.models()])

    return api

"""POST /admin/reload: hot-reload adapters from the registry or configured folders (admin key only)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from fastapi import APIRouter

from supportbot.core.artifacts import REGISTRY_PREFIX
from supportbot.core.errors import SupportbotError
from supportbot.serve.config import ServeConfig
from supportbot.serve.errors import BadRequest, Forbidden
from supportbot.serve.schemas import ModelCard, ModelList, ReloadRequest
from supportbot.serve.service import ERRORS, Service

log = logging.getLogger("supportbot.serve")


def router(svc: Service) -> APIRouter:
    """The admin routes."""
    api = APIRouter()
    engine = svc.engine

    @api.post("/admin/reload", response_model=ModelList, responses=ERRORS, tags=["admin"])
    async def reload(body: ReloadRequest | None = None) -> ModelList:
        """Hot-reload adapters without restart: load/replace `adapters`, unload `remove`; no body = reload all."""
        body = body or ReloadRequest()
        for name in list(body.adapters or {}) + body.remove:
            if name in ("base", engine.base_name) or not re.fullmatch(r"[\w.:-]+", name):
                raise BadRequest(f"adapters: invalid adapter name {name!r}", param="adapters")
        if engine.default_model in body.remove:
            raise BadRequest(f"remove: {engine.default_model!r} is the default model", param="remove")
        allowed = _reload_roots(svc.cfg)
        for name, spec in (body.adapters or {}).items():
            if not spec.startswith(REGISTRY_PREFIX) and not any(
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

    return api


def _reload_roots(cfg: ServeConfig) -> list[Path]:
    """Folders /admin/reload may load adapters from: the registry, serve.reload_dirs, serve.adapters' folders."""
    from supportbot.core.artifacts import default_root

    roots = [default_root(), *map(Path, cfg.reload_dirs)]
    roots += [
        Path(spec).expanduser().parent
        for spec in cfg.adapters.values()
        if not spec.startswith(REGISTRY_PREFIX)
    ]
    return [r.resolve() for r in roots]

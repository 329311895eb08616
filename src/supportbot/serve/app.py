"""FastAPI application: routes over the generation engine."""

from __future__ import annotations

import os

from fastapi import FastAPI

from supportbot import __version__


def create_app() -> FastAPI:
    """Build the API app (the serving issue adds generation routes, auth and limits)."""
    app = FastAPI(title="supportbot", version=__version__)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def create_app_from_env() -> FastAPI:
    """App configured from the SUPPORTBOT_CONFIG env var (a YAML recipe), for `uvicorn api.app:app`."""
    os.environ.get("SUPPORTBOT_CONFIG")
    return create_app()

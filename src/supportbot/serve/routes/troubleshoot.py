"""POST /v1/troubleshoot: the grounded JSON contract (the work is Troubleshooter.respond)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from supportbot.grounded.contract import TroubleshootRequest, TroubleshootResponse
from supportbot.serve.errors import NotEnabled
from supportbot.serve.schemas import ErrorResponse
from supportbot.serve.service import ERRORS, Service

TROUBLESHOOT_HEADERS = {
    "X-Supportbot-Retrieved": {"description": "Retrieved chunk ids, best first (comma-separated)."},
    "X-Supportbot-Attempts": {"description": "Generations made: 1, or 2 when the repair retry was used."},
    "X-Supportbot-Model": {"description": "The served model that answered."},
    "Server-Timing": {"description": "retrieval, generation and total milliseconds."},
}


def router(svc: Service) -> APIRouter:
    """The troubleshoot route."""
    api = APIRouter()

    @api.post(
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
        if svc.troubleshooter is None:
            raise NotEnabled("troubleshoot is not enabled on this server (serve.troubleshoot.enabled)")
        return await svc.troubleshooter.respond(svc, req, model, request.is_disconnected)

    return api

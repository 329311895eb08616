"""POST /v1/feedback: rate an answer this server gave, optionally with the answer it should have been."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from supportbot.serve.errors import NotEnabled, NotFound
from supportbot.serve.feedback import FeedbackReceipt, FeedbackRequest, new_feedback_id
from supportbot.serve.request_log import RequestLog
from supportbot.serve.service import ERRORS, Service


def router(svc: Service) -> APIRouter:
    """The feedback route."""
    api = APIRouter()

    @api.post(
        "/v1/feedback", response_model=FeedbackReceipt, status_code=201, responses=ERRORS, tags=["feedback"]
    )
    async def feedback(body: FeedbackRequest) -> FeedbackReceipt:
        """Rate an answer this server gave (by its response id), optionally with the answer it should have been."""
        if svc.responses is None:
            raise NotEnabled("feedback is off: set serve.feedback.enabled: true")
        served = svc.responses.get(body.response_id)
        if served is None:
            kept = svc.cfg.feedback.store or "this process's memory (serve.feedback.store: null)"
            raise NotFound(
                f"response_id {body.response_id!r}: not one of the last {svc.cfg.feedback.remember} answers "
                f"remembered in {kept}",
                param="response_id",
                code="unknown_response",
            )
        if svc.feedback_log is None:
            svc.feedback_log = RequestLog(svc.cfg.feedback.path, "serve.feedback.path")
        fid = new_feedback_id()
        record = {"id": fid, **body.model_dump(), **served}
        await asyncio.to_thread(svc.feedback_log, record)
        return FeedbackReceipt(id=fid, response_id=body.response_id)

    return api

"""POST /generate: one prompt, the configured system prompt, optional retrieved context."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from supportbot.core.generation import Generation
from supportbot.core.prompt import build_messages
from supportbot.serve.feedback import generate_id
from supportbot.serve.schemas import GenerateRequest, GenerateResponse
from supportbot.serve.service import ERRORS, Service, mark_deadline


def router(svc: Service) -> APIRouter:
    """The /generate route."""
    api = APIRouter()
    engine = svc.engine

    @api.post("/generate", response_model=GenerateResponse, responses=ERRORS, tags=["generate"])
    async def generate(req: GenerateRequest, request: Request, response: Response) -> GenerateResponse:
        """Answer one prompt (with the configured system prompt)."""
        refusal = svc.guard.check_input([req.prompt])  # before retrieval: a refused prompt costs nothing
        user, chunk_ids = (req.prompt, None) if refusal is not None else await svc.with_context(req.prompt)
        messages = build_messages(user, svc.gen.system_prompt)
        params, public, n_prompt = svc.params(messages, req.model, req.max_new_tokens, "max_new_tokens", req)
        if refusal is not None:
            result = Generation(refusal.message, n_prompt, 0, 0.0, "guardrail")
        else:
            result = await engine.generate(params, request.is_disconnected)
            result.text = svc.guard.redact_output(result.text)
            mark_deadline(response, result)
        svc.finish("/generate", public, params.adapter, req, result, {"guardrail": refusal and refusal.rule})
        rid = generate_id()
        await svc.remember(rid, "/generate", public, [{"role": "user", "content": req.prompt}], result.text)
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

    return api

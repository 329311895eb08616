"""OpenAI-compatible POST /v1/chat/completions, plain and streamed (server-sent events)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from supportbot.core.generation import Generation
from supportbot.core.prompt import Messages
from supportbot.serve import limits
from supportbot.serve.engine import Params
from supportbot.serve.errors import BadRequest, error_payload
from supportbot.serve.guardrails import StreamText
from supportbot.serve.schemas import ChatCompletion, ChatCompletionRequest
from supportbot.serve.service import ERRORS, Service, mark_deadline, sse

log = logging.getLogger("supportbot.serve")


def _chat_messages(req: ChatCompletionRequest, system_prompt: str) -> Messages:
    messages = [
        {"role": "system" if m.role == "developer" else m.role, "content": m.text()} for m in req.messages
    ]
    if system_prompt and not any(m["role"] == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


def _client_turns(req: ChatCompletionRequest) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.text()} for m in req.messages if m.role in ("user", "assistant")]


def router(svc: Service) -> APIRouter:
    """The chat completions route."""
    api = APIRouter()
    engine = svc.engine

    @api.post(
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
        limits.check_messages(req.messages, svc.cfg.limits, "messages")
        # guardrails before retrieval: a refused request costs no search
        refusal = svc.guard.check_input([m.text() for m in req.messages if m.role == "user"])
        messages = _chat_messages(req, svc.gen.system_prompt)
        if refusal is None and svc.retriever is not None and messages[-1]["role"] == "user":
            messages[-1]["content"], _ = await svc.with_context(messages[-1]["content"])
        max_new = req.max_completion_tokens or req.max_tokens
        field = "max_completion_tokens" if req.max_completion_tokens else "max_tokens"
        params, public, n_prompt = svc.params(messages, req.model, max_new, field, req)
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if req.stream:
            return await _stream(req, request, params, public, n_prompt, refusal, cid, created)
        if refusal is not None:
            result, finish = Generation(refusal.message, n_prompt, 0, 0.0, "content_filter"), "content_filter"
        else:
            result = await engine.generate(params, request.is_disconnected)
            result.text, finish = svc.guard.redact_output(result.text), result.finish_reason
            mark_deadline(response, result)
        svc.finish(
            "/v1/chat/completions",
            public,
            params.adapter,
            req,
            result,
            {"guardrail": refusal and refusal.rule},
        )
        await svc.remember(cid, "/v1/chat/completions", public, _client_turns(req), result.text)
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
            return sse(
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
                    yield sse(error_payload(f"generation failed: {exc.__class__.__name__}", "server_error"))
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
                yield sse(
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
            await svc.remember(cid, "/v1/chat/completions", public, _client_turns(req), result.text)
            yield "data: [DONE]\n\n"

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    return api

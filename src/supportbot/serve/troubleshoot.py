"""POST /v1/troubleshoot: retrieve KB chunks, then generate → validate → repair once, through the engine.

The response body is exactly the troubleshoot contract (schemas/troubleshoot_response.schema.json), so
downstream parsers never see extra keys; what the answer was built from travels in headers:
`X-Supportbot-Retrieved` (chunk ids, best first), `X-Supportbot-Attempts`, `X-Supportbot-Model` and
`Server-Timing` (retrieval / generation / total milliseconds).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi.responses import JSONResponse

from supportbot.core.generation import Generation
from supportbot.grounded.contract import TroubleshootRequest, TroubleshootResponse
from supportbot.grounded.enforce import GroundedOutputError, agenerate_valid
from supportbot.grounded.prompt import build_grounded_messages, retrieval_query
from supportbot.serve import limits
from supportbot.serve.engine import DisconnectCheck, Params
from supportbot.serve.errors import InvalidModelOutput

log = logging.getLogger("supportbot.serve")
ROUTE = "/v1/troubleshoot"


@dataclass
class TroubleshootOutcome:
    """One answered (or failed) troubleshoot request and what it cost."""

    hits: list[Any]
    generations: list[Generation] = field(default_factory=list)
    response: TroubleshootResponse | None = None
    error: GroundedOutputError | None = None
    retrieval_s: float = 0.0
    generation_s: float = 0.0

    @property
    def attempts(self) -> int:
        """Generations made (1 + repair retries used)."""
        return len(self.generations)

    def usage(self, text: str) -> Generation:
        """All attempts as one Generation (summed tokens and time) for metrics and the request log."""
        gens = self.generations
        return Generation(
            text,
            sum(g.tokens_in for g in gens),
            sum(g.tokens_out for g in gens),
            self.retrieval_s + self.generation_s,
            gens[-1].finish_reason if gens else "stop",
        )

    def headers(self, model: str) -> dict[str, str]:
        """Retrieved chunk ids, attempts, model and timings as response headers (ASCII, percent-encoded)."""
        return {
            "X-Supportbot-Retrieved": ",".join(quote(h.chunk_id, safe="#-_.:") for h in self.hits),
            "X-Supportbot-Attempts": str(self.attempts),
            "X-Supportbot-Model": quote(model, safe="-_.:/"),
            "Server-Timing": f"retrieval;dur={self.retrieval_s * 1000:.1f}, "
            f"generation;dur={self.generation_s * 1000:.1f}, "
            f"total;dur={(self.retrieval_s + self.generation_s) * 1000:.1f}",
        }


class Troubleshooter:
    """The KB index plus the settings of /v1/troubleshoot."""

    def __init__(self, index: Any, k: int, max_new_tokens: int, retries: int, guided: bool = False) -> None:
        self.index = index
        self.k = k
        self.max_new_tokens = max_new_tokens
        self.retries = retries
        self.guided = guided
        self._lock = threading.Lock()
        self.vocab: Any = None  # grounded.guided.Vocab of the served tokenizer, set by `prepare_guided`

    def prepare_guided(self, engine: Any, max_new_tokens: int) -> None:
        """Index the served tokenizer for guided decoding and check the token budget fits the grammar."""
        from supportbot.core.errors import ConfigError
        from supportbot.grounded.guided import ContractGrammar, Vocab

        if not self.guided:
            return
        if getattr(engine, "lm", None) is None:
            raise ConfigError("serve.troubleshoot.guided needs the hf or llamacpp backend (serve.backend)")
        self.vocab = Vocab.of(engine.lm.tokenizer)
        longest = sorted((c.chunk_id for c in self.index.chunks), key=len)[-self.k :]
        try:
            ContractGrammar.build(self.vocab, longest, max_new_tokens)
        except ValueError as exc:
            raise ConfigError(f"serve.troubleshoot.max_new_tokens: {exc}") from exc

    def guide(self, hits: list[Any], max_new_tokens: int) -> Any:
        """A factory of this request's grammar (citations limited to `hits`), or None when not guided."""
        if self.vocab is None:
            return None
        from supportbot.grounded.guided import ContractGrammar

        ids = [h.chunk_id for h in hits]
        return lambda: ContractGrammar.build(self.vocab, ids, max_new_tokens)

    @classmethod
    def load(cls, root_cfg: Any) -> Troubleshooter | None:
        """The index of the troubleshoot settings (grounded.config.troubleshoot_settings, as the grounded eval
        resolves them), checked against the KB; None when disabled.

        A missing or stale index is built when serve.troubleshoot.build_index is on, otherwise startup
        fails with a DataError naming the `supportbot index` command that fixes it.
        """
        from supportbot.grounded.config import troubleshoot_settings
        from supportbot.retrieval.index import open_index

        if not root_cfg.serve.troubleshoot.enabled:
            return None
        s = troubleshoot_settings(root_cfg.serve.troubleshoot, root_cfg.retrieval)
        index, how = open_index(s.index_dir, s.kb_dir, build=s.build_index, cfg=root_cfg.retrieval)
        if index.cfg.dense_weight > 0:
            # load the query encoder now: ready means ready, and a missing model fails here
            _ = index.embedder.model
        m = index.manifest
        log.info(
            "troubleshoot: %s index %s (%s articles, %s chunks, kb_hash %s), k=%d",
            how, s.index_dir, m.get("articles"), m.get("chunks"), m.get("kb_hash"), s.k,
        )  # fmt: skip
        return cls(index, s.k, s.max_new_tokens, s.retries, s.guided)

    def retrieve(self, request: TroubleshootRequest) -> list[Any]:
        """The top-k chunks for a request (its query, else its stage and error codes); called off the loop."""
        with self._lock:  # one search at a time: the query encoder's fast tokenizer is not thread-safe
            return self.index.search(retrieval_query(request.user_state, request.query), self.k)

    async def answer(
        self,
        engine: Any,
        params: Params,
        hits: list[Any],
        retrieval_s: float,
        disconnected: DisconnectCheck | None = None,
    ) -> TroubleshootOutcome:
        """Run grounded/enforce.py's enforcement loop with the engine (queue, batching, deadline) as the model;
        `disconnected` halts it when the client leaves."""
        outcome = TroubleshootOutcome(hits, retrieval_s=retrieval_s)

        async def generate(messages: list[dict[str, str]]) -> str:
            gen = await engine.generate(Params(**{**vars(params), "messages": messages}), disconnected)
            outcome.generations.append(gen)
            return gen.text

        started = time.perf_counter()
        try:
            result = await agenerate_valid(
                generate, params.messages, {h.chunk_id for h in hits}, self.retries
            )
            outcome.response = result.response
        except GroundedOutputError as exc:
            outcome.error = exc
        outcome.generation_s = time.perf_counter() - started
        return outcome

    async def respond(
        self, svc: Any, req: TroubleshootRequest, model: str | None, disconnected: DisconnectCheck
    ) -> JSONResponse:
        """The whole of POST /v1/troubleshoot: guardrails, retrieval, limits, enforced generation, redaction,
        metrics and the request log; an answer still invalid after the retries is a 502."""
        engine, metrics = svc.engine, svc.metrics
        public, adapter = engine.resolve(model)
        refusal = svc.guard.check_input([req.query] if req.query else [])  # before retrieval
        if refusal is not None:
            metrics.troubleshoot.labels("guardrail").inc()
            body = refusal_response(refusal.message)
            result = Generation(body.model_dump_json(), 0, 0, 0.0, "guardrail")
            svc.finish(ROUTE, public, adapter, req, result, {"guardrail": refusal.rule})
            headers = {"X-Supportbot-Guardrail": refusal.rule, "X-Supportbot-Model": public}
            return JSONResponse(body.model_dump(mode="json"), headers=headers)
        started = time.perf_counter()
        hits = await asyncio.to_thread(self.retrieve, req)
        retrieval_s = time.perf_counter() - started
        messages = build_grounded_messages(req, hits)
        budget = limits.check_max_new_tokens(None, self.max_new_tokens, svc.cfg.limits, "max_new_tokens")
        n_prompt = engine.count_prompt_tokens(messages)
        limits.check_prompt_tokens(n_prompt, budget, engine.context_length, svc.cfg.limits, "query")
        gen = svc.gen
        params = Params(
            messages=messages,
            max_new_tokens=budget,
            temperature=gen.temperature,
            top_p=gen.top_p,
            seed=gen.seed,
            stop=[],
            adapter=adapter,
            guide=self.guide(hits, budget),
        )
        outcome = await self.answer(engine, params, hits, retrieval_s, disconnected)
        headers = outcome.headers(public)
        log_extra = {"retrieved": [h.chunk_id for h in hits], "attempts": outcome.attempts}
        if outcome.response is None:
            error = outcome.error
            assert error is not None
            metrics.troubleshoot.labels("invalid").inc()
            usage = outcome.usage(outcome.generations[-1].text if outcome.generations else "")
            svc.finish(
                ROUTE, public, adapter, req, usage,
                {"finish_reason": "invalid", "log": {**log_extra, "errors": error.errors[:10]}},
            )  # fmt: skip
            log.warning("troubleshoot: invalid model output after %d attempt(s)", outcome.attempts)
            detail = {
                "errors": error.errors[:10],
                "attempts": outcome.attempts,
                "retrieved": log_extra["retrieved"],
            }
            raise InvalidModelOutput(str(error), detail=detail, headers=headers)
        metrics.troubleshoot.labels("valid" if outcome.attempts == 1 else "repaired").inc()
        response = redact_response(outcome.response, svc.guard.redact_output)
        usage = outcome.usage(response.model_dump_json())
        svc.finish(ROUTE, public, adapter, req, usage, {"log": log_extra})
        return JSONResponse(response.model_dump(mode="json"), headers=headers)


def refusal_response(message: str) -> TroubleshootResponse:
    """A schema-valid answer for a request a guardrail refused (nothing retrieved, nothing generated)."""
    return TroubleshootResponse(
        predicted_drop_reason="out_of_scope",
        explanation=message,
        steps_to_fix=[],
        confidence_score=0.0,
        citations=[],
        nudge_messages=[],
        conversational_message=message,
    )


def redact_response(response: TroubleshootResponse, redact: Any) -> TroubleshootResponse:
    """PII redaction over every free-text field of a response (ids, scores and styles untouched)."""
    data = response.model_dump()
    for key in ("predicted_drop_reason", "explanation", "conversational_message"):
        data[key] = redact(data[key])
    data["steps_to_fix"] = [redact(s) for s in data["steps_to_fix"]]
    for nudge in data["nudge_messages"]:
        nudge["text"] = redact(nudge["text"])
    return TroubleshootResponse.model_validate(data)

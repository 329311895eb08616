"""Typed config of the serve stage: binding, auth, limits, queue/batching, adapters, guardrails, logging."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from supportbot.core.config import StrictModel
from supportbot.grounded.config import TroubleshootConfig
from supportbot.retrieval.config import ContextConfig

DEFAULT_REFUSAL = (
    "I'm sorry, I can't help with that. I can answer questions about NovaPay accounts, payments and KYC."
)


class LimitsConfig(StrictModel):
    """Per-request bounds; requests beyond them get a 4xx naming the field."""

    max_new_tokens: int = Field(512, ge=1, le=8192, description="Upper bound on max_new_tokens/max_tokens.")
    max_prompt_tokens: int = Field(
        1536, ge=1, description="Prompt bound in tokens (also capped by the model's context)."
    )
    max_body_bytes: int = Field(65536, ge=256, description="Largest accepted request body.")
    max_messages: int = Field(64, ge=1, description="Most messages in one chat request.")
    requests_per_minute: int | None = Field(
        None,
        ge=1,
        description="Per API key (per client address when no key is configured): model requests (/generate, "
        "chat completions, troubleshoot) a minute, as a token bucket of that size refilled evenly; beyond it "
        "429 + Retry-After. Counted in each server process. null: no per-key limit.",
    )


class BatchingConfig(StrictModel):
    """Dynamic micro-batching: concurrent compatible requests share one batched forward."""

    enabled: bool = True
    max_wait_ms: float = Field(10.0, ge=0.0, le=1000.0, description="How long the first request waits.")
    wait_fraction: float = Field(
        0.02,
        ge=0.0,
        le=0.2,
        description="Also wait up to this share of the recent batch time (capped at max_adaptive_wait_ms): "
        "when a batch takes seconds (CPU), waiting ~100 ms more fills it at ~2% extra latency.",
    )
    max_adaptive_wait_ms: float = Field(250.0, ge=0.0, le=5000.0)
    max_batch: int = Field(8, ge=1, le=256)


# The shipped input rules: on in plain `supportbot serve`, the Dockerfile and api/app.py, not only in a recipe.
DEFAULT_RULES: list[dict[str, object]] = [
    {
        "name": "prompt_injection",
        "pattern": r"ignore (all )?(the )?(previous|prior|above) instructions|reveal (your|the) system prompt",
    },
    {"name": "weapons", "keywords": ["build a bomb", "make a weapon"]},
    {"name": "credentials", "pattern": r"\b(give|tell|send) me (your|the) (password|otp|cvv|pin)\b"},
]


class GuardrailRule(StrictModel):
    """One input rule: a regex and/or keywords (case-insensitive) that trigger a safe refusal."""

    name: str = Field(min_length=1)
    pattern: str | None = None
    keywords: list[str] = Field(default_factory=list)
    message: str | None = Field(None, description="Refusal text for this rule (default: guardrails.refusal).")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _has_trigger(self) -> GuardrailRule:
        if not self.pattern and not self.keywords:
            raise ValueError(f"rule {self.name!r} needs a pattern or keywords")
        return self


class GuardrailsConfig(StrictModel):
    """Input rules answered with a refusal, and PII redaction of outputs."""

    enabled: bool = True
    refusal: str = DEFAULT_REFUSAL
    redact_pii: bool = True
    rules: list[GuardrailRule] = Field(
        default_factory=lambda: [GuardrailRule(**r) for r in DEFAULT_RULES],
        description="Input rules; the shipped ones apply unless you list your own ([] turns them off).",
    )


class FeedbackConfig(StrictModel):
    """POST /v1/feedback: ratings and corrected answers of served answers, appended PII-scrubbed."""

    enabled: bool = True
    path: str = Field("feedback/feedback.jsonl", description="Append-only JSONL of feedback records.")
    remember: int = Field(
        10000, ge=1, description="Answers kept by response id for feedback (the oldest go first)."
    )
    store: str | None = Field(
        "feedback/answers.sqlite",
        description="SQLite file of the remembered answers (PII-scrubbed): kept across restarts and shared by "
        "the workers of one host, so feedback finds its answer whichever worker gave it; null: this process's "
        "memory only.",
    )


class ServeConfig(StrictModel):
    """Settings of `supportbot serve` and `uvicorn api.app:app`."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    backend: Literal["hf", "llamacpp", "vllm"] | None = Field(
        None,
        description="hf (transformers + PEFT), llamacpp (GGUF base of model.gguf.type + GGUF LoRAs, CPU; "
        "`make setup-llamacpp`) or vllm (GPU); null: model.backend, the runtime eval and chat use too.",
    )

    def runtime(self, model_backend: str) -> str:
        """The backend serve runs: serve.backend, else the model section's."""
        return self.backend or model_backend

    api_keys_env: str = Field("SUPPORTBOT_API_KEYS", description="Env var holding comma-separated keys.")
    api_keys_file: str | None = Field(None, description="File with one API key per line (# comments).")
    admin_keys_env: str = Field(
        "SUPPORTBOT_ADMIN_KEYS", description="Env var holding comma-separated admin keys (/admin/* routes)."
    )
    admin_keys_file: str | None = Field(
        None, description="File with one admin key per line; no admin key: /admin off."
    )
    reload_dirs: list[str] = Field(
        default_factory=list,
        description="Folders /admin/reload may load adapters from, besides the registry and serve.adapters' folders.",
    )
    adapters: dict[str, str] = Field(
        default_factory=dict, description="Model name -> LoRA adapter dir or run dir, served beside the base."
    )
    default_model: str | None = Field(None, description="Model used when a request names none.")
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    request_timeout_s: float = Field(
        60.0,
        gt=0.0,
        description="Generation time of one request, counted from when it is scheduled (queue wait not "
        "included); at it the text so far is returned with finish_reason 'length' and the header "
        "X-Supportbot-Deadline: generation.",
    )
    max_queue_wait_s: float = Field(
        30.0,
        gt=0.0,
        description="Admission control: a request whose estimated queue wait (requests ahead / batch size x "
        "recent batch time) passes this gets 429 + Retry-After at once; one still queued at it gets 429 then. "
        "An answered request therefore arrives within max_queue_wait_s + request_timeout_s.",
    )
    max_queue: int = Field(64, ge=1, description="Waiting requests beyond this get 429 + Retry-After.")
    batching: BatchingConfig = Field(default_factory=BatchingConfig)
    guardrails: GuardrailsConfig = Field(default_factory=GuardrailsConfig)
    troubleshoot: TroubleshootConfig = Field(default_factory=TroubleshootConfig)
    context: ContextConfig | None = Field(
        None,
        description="Put the KB sentences retrieved for each question before it on /generate and chat. "
        "null = the train.context the served model was trained with (see context_from_model), else none.",
    )
    context_from_model: bool = Field(
        True,
        description="When serve.context is null and the served tuned model was trained with train.context, "
        "retrieve the same way (as eval and chat do).",
    )
    request_log: str | None = Field(None, description="JSONL file of requests/responses (PII redacted).")
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("adapters")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.fullmatch(r"[\w.:-]+", name) or name == "base":
                raise ValueError(f"adapter name {name!r}: use letters, digits, '_.:-' (and not 'base')")
        return value

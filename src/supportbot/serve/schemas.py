"""Pydantic request/response models of the HTTP API (our /generate and the OpenAI-compatible routes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Stop sequences: up to 4 strings of 1-64 characters, stated in the schema itself so the spec says what passes.
StopString = Annotated[str, Field(min_length=1, max_length=64)]
StopField = StopString | Annotated[list[StopString], Field(max_length=4)] | None
HARD_MAX_TOKENS = 8192  # schema-level bound; the published spec shows the configured serve.limits instead
GREEDY_BELOW = 1e-5  # a temperature below this decodes greedily (dividing logits by ~1e-38 overflows)


class GenerateRequest(BaseModel):
    """POST /generate: one prompt answered with the configured system prompt."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    prompt: str = Field(min_length=1, description="The user's question.")
    max_new_tokens: int | None = Field(None, ge=1, le=HARD_MAX_TOKENS)
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="0 = greedy.")
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    stop: StopField = Field(None, description="Up to 4 strings that end the answer.")
    model: str | None = Field(None, description="Base name, 'base', or an adapter name (GET /v1/models).")
    seed: int | None = Field(None, ge=0, le=2**32 - 1)


class GenerateResponse(BaseModel):
    """The answer to /generate and what it cost."""

    model_config = ConfigDict(protected_namespaces=())

    id: str = Field(description="Response id (POST /v1/feedback rates the answer by it).")
    text: str
    latency_ms: float
    tokens_in: int
    tokens_out: int
    model: str
    adapter: str | None
    finish_reason: Literal["stop", "length", "guardrail"]
    guardrail: str | None = Field(None, description="The rule that refused the request, if any.")
    context_chunk_ids: list[str] | None = Field(
        None, description="KB chunks retrieved as context (when serve.context is on), best first."
    )


class TextPart(BaseModel):
    """An OpenAI content part; only text parts are supported."""

    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    """One OpenAI chat message."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        """The message content as plain text."""
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content)
        return self.content or ""


class StreamOptions(BaseModel):
    """OpenAI stream_options."""

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """POST /v1/chat/completions (OpenAI-compatible; unknown OpenAI fields are accepted and ignored)."""

    model_config = ConfigDict(extra="ignore", protected_namespaces=())

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1, le=HARD_MAX_TOKENS)
    max_completion_tokens: int | None = Field(None, ge=1, le=HARD_MAX_TOKENS)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    n: int = Field(1, ge=1, description="Only n=1 is supported (n > 1 is a 400 `unsupported_field`).")
    stream: bool = False
    stream_options: StreamOptions | None = None
    stop: StopField = None
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    presence_penalty: float | None = Field(None, ge=-2.0, le=2.0, description="Accepted, ignored.")
    frequency_penalty: float | None = Field(None, ge=-2.0, le=2.0, description="Accepted, ignored.")
    user: str | None = None
    # OpenAI fields supportbot does not implement: accepted by the schema so that a request using them gets a
    # 400 naming the field (`unsupported_field`), never a 200 that silently ignores it.
    tools: list[Any] | None = Field(None, description="Not supported: a non-empty list is a 400.")
    tool_choice: Any = Field(None, description="Not supported unless 'none'.")
    functions: list[Any] | None = Field(None, description="Not supported: a non-empty list is a 400.")
    function_call: Any = Field(None, description="Not supported unless 'none'.")
    logprobs: bool | None = Field(None, description="Not supported: true is a 400.")
    top_logprobs: int | None = Field(None, ge=0, le=20, description="Not supported: above 0 is a 400.")
    response_format: dict[str, Any] | None = Field(
        None, description="Only {'type': 'text'}; for JSON answers use /v1/troubleshoot (guided JSON)."
    )

    def unsupported_field(self) -> tuple[str, str] | None:
        """The first field set to something supportbot does not do, and why (None: all supported)."""
        if self.n > 1:
            return "n", f"only one choice per request is generated (got n={self.n}); send n requests"
        if self.tools:
            return "tools", "tool calling is not supported"
        if self.functions:
            return "functions", "function calling is not supported"
        for name in ("tool_choice", "function_call"):
            value = getattr(self, name)
            if value not in (None, "none"):
                return name, "tool calling is not supported (only 'none')"
        if self.logprobs:
            return "logprobs", "log probabilities are not returned"
        if self.top_logprobs:
            return "top_logprobs", "log probabilities are not returned"
        if self.response_format and self.response_format.get("type", "text") != "text":
            return (
                "response_format",
                f"type {self.response_format.get('type')!r} is not supported; only 'text' "
                "(grounded JSON answers: POST /v1/troubleshoot)",
            )
        return None


class Usage(BaseModel):
    """Token counts of one completion."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    """The assistant's reply."""

    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    """One completion choice."""

    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop", "length", "content_filter"]
    logprobs: None = None


class ChatCompletion(BaseModel):
    """A non-streamed chat completion."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None


class ModelCard(BaseModel):
    """One entry of GET /v1/models."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "supportbot"
    root: str | None = Field(None, description="The base model of an adapter.")
    adapter: str | None = Field(None, description="Adapter directory, if any.")


class ModelList(BaseModel):
    """GET /v1/models."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


class ReloadRequest(BaseModel):
    """POST /admin/reload: load or replace adapters; an empty body reloads every adapter from disk."""

    adapters: dict[str, str] | None = Field(None, description="Model name -> adapter dir or run dir.")
    remove: list[str] = Field(default_factory=list, description="Adapter names to unload.")


class Health(BaseModel):
    """Liveness/readiness."""

    status: str
    models: list[str] | None = None


class ErrorBody(BaseModel):
    """OpenAI-style error detail."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None
    detail: dict[str, Any] | None = Field(
        None, description="502 invalid_model_output: the validation errors, attempts and retrieved chunk ids."
    )


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body."""

    error: ErrorBody
    detail: list[dict[str, Any]] | None = None

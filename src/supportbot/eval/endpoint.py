"""OpenAI-compatible chat client (httpx): answers a batch of conversations from a served or hosted model."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from supportbot.core.config import GenerationConfig
from supportbot.core.errors import SupportbotError
from supportbot.core.generation import Generation
from supportbot.core.prompt import Messages


class EndpointError(SupportbotError):
    """An OpenAI-compatible endpoint could not be reached or answered badly."""


class EndpointClient:
    """Calls POST {base_url}/chat/completions; one request per conversation, `concurrency` at a time."""

    def __init__(
        self,
        base_url: str,
        model_name: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        concurrency: int = 4,
    ) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)
        self.concurrency = max(1, concurrency)
        self.model_name = model_name or self._first_model()

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        import httpx

        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise EndpointError(
                f"{self.base_url}{path}: request failed ({type(exc).__name__}: {exc})"
            ) from exc
        if resp.status_code >= 400:
            hint = " (check --api-key or its env var)" if resp.status_code in (401, 403) else ""
            raise EndpointError(
                f"{self.base_url}{path}: HTTP {resp.status_code}{hint}: {resp.text[:300].strip()}"
            )
        try:
            return resp.json()
        except ValueError as exc:
            raise EndpointError(f"{self.base_url}{path}: response is not JSON: {resp.text[:200]!r}") from exc

    def _first_model(self) -> str:
        """The first model the server lists (GET /models), used when no --model-name is given."""
        try:
            data = self._request("GET", "/models").get("data") or []
        except EndpointError:
            return "default"
        return str(data[0].get("id", "default")) if data else "default"

    def chat(
        self, messages: Messages, cfg: GenerationConfig, max_new_tokens: int | None = None
    ) -> Generation:
        """One chat completion with the same decoding settings as local generation."""
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": messages,
            "max_tokens": max_new_tokens or cfg.max_new_tokens,
            "temperature": cfg.temperature,
            "seed": cfg.seed,
        }
        if cfg.temperature > 0:
            body["top_p"] = cfg.top_p
        started = time.perf_counter()
        data = self._request("POST", "/chat/completions", json=body)
        latency = time.perf_counter() - started
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise EndpointError(
                f"{self.base_url}/chat/completions: no choices[0].message.content in {str(data)[:200]}"
            ) from exc
        usage = data.get("usage") or {}
        return Generation(
            text=text.strip(),
            tokens_in=int(usage.get("prompt_tokens") or 0),
            tokens_out=int(usage.get("completion_tokens") or 0),
            latency_s=latency,
            finish_reason=str(choice.get("finish_reason") or "stop"),
        )

    def generate(
        self, batch: list[Messages], cfg: GenerationConfig, max_new_tokens: int | None = None
    ) -> list[Generation]:
        """Answer a batch (requests run concurrently; results keep the batch order)."""
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(batch)) or 1) as pool:
            return list(pool.map(lambda m: self.chat(m, cfg, max_new_tokens), batch))

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

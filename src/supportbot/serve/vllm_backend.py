"""vLLM backend behind the HFEngine interface (GPU machines): continuous batching, LoRA adapters per request.

Untested on CPU-only machines: it is imported only with `--backend vllm` and fails with a clear message
when vLLM is not installed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from supportbot.core.artifacts import resolve_adapter_dir
from supportbot.core.config import GenerationConfig, ModelConfig
from supportbot.core.errors import ConfigError
from supportbot.core.generation import Generation
from supportbot.core.models import embedded_model_dir, embedded_tokenizer_dir
from supportbot.serve.config import ServeConfig
from supportbot.serve.engine import Params, resolve_models
from supportbot.serve.errors import ModelNotFound, QueueFull, Timeout


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as exc:
        raise ConfigError(
            "serve.backend=vllm needs vLLM (GPU machines): pip install vllm, or use --backend hf"
        ) from exc
    return vllm


class _Handle:
    """Async iterator over text deltas of one vLLM stream (same shape as engine.StreamHandle)."""

    def __init__(self, gen: AsyncIterator[Any], first: Any, started: float) -> None:
        self.gen, self.first, self.started = gen, first, started
        self.job = type("Job", (), {"halt": False})()
        self.result: Generation | None = None

    async def __aiter__(self) -> AsyncIterator[str]:
        """Yield new text as vLLM produces it."""
        sent, out = 0, self.first
        while True:
            text = out.outputs[0].text
            if len(text) > sent:
                yield text[sent:]
                sent = len(text)
            if out.finished or self.job.halt:
                break
            out = await self.gen.__anext__()
        o = out.outputs[0]
        finish = "stop" if o.finish_reason == "stop" else "length"
        elapsed = time.perf_counter() - self.started
        self.result = Generation(o.text, len(out.prompt_token_ids), len(o.token_ids), elapsed, finish)


class VllmEngine:
    """vLLM AsyncLLMEngine with LoRA: same methods as HFEngine, so the app does not know the difference."""

    backend = "vllm"

    def __init__(
        self, engine: Any, tokenizer: Any, base: str, gen_cfg: GenerationConfig, cfg: ServeConfig
    ) -> None:
        self.engine, self.tokenizer, self.base_name = engine, tokenizer, base
        self.gen_cfg, self.cfg = gen_cfg, cfg
        self.created = int(time.time())
        self.context_length = int(getattr(engine.engine.model_config, "max_model_len", 2048))
        self.dirs: dict[str, str] = {}
        self.ids: dict[str, int] = {}
        self.default_model = base
        self.on_batch = None
        self._inflight = 0
        self._next_id = 0

    @classmethod
    def load(cls, model: ModelConfig, gen_cfg: GenerationConfig, cfg: ServeConfig) -> VllmEngine:
        """Start vLLM on the base model with LoRA enabled and register the adapters."""
        vllm = _import_vllm()
        base, adapters, default = resolve_models(model, cfg)
        path = str(embedded_model_dir()) if base == "smollm2-135m" else base
        tok = str(embedded_tokenizer_dir()) if base == "smollm2-135m" else None
        args = vllm.AsyncEngineArgs(
            model=path, tokenizer=tok, enable_lora=bool(adapters), max_loras=8, max_lora_rank=64
        )
        engine = vllm.AsyncLLMEngine.from_engine_args(args)
        from transformers import AutoTokenizer

        self = cls(engine, AutoTokenizer.from_pretrained(tok or path), base, gen_cfg, cfg)
        for name, source in adapters.items():
            self._register(name, source)
        self.default_model = cfg.default_model or default or base
        return self

    def _register(self, name: str, source: str) -> None:
        found = resolve_adapter_dir(source)
        if found is None:
            raise ModelNotFound(f"adapters: not an adapter or run directory: {source}", param="adapters")
        self.dirs[name] = str(Path(found).resolve())
        self._next_id += 1  # a fresh id per (re)load: vLLM caches LoRA weights by id
        self.ids[name] = self._next_id

    @property
    def adapters(self) -> Any:
        """Adapter names (mirrors HFEngine.adapters.names())."""
        return type("Names", (), {"names": lambda _: list(self.dirs)})()

    @property
    def ready(self) -> bool:
        """True once vLLM is up."""
        return True

    def models(self) -> list[dict[str, Any]]:
        """The base first, then each adapter."""
        rows = [{"id": self.base_name, "root": self.base_name, "adapter": None}]
        rows += [{"id": n, "root": self.base_name, "adapter": d} for n, d in self.dirs.items()]
        return rows

    def resolve(self, name: str | None) -> tuple[str, str | None]:
        """(public name, adapter or None)."""
        name = name or self.default_model
        if name in (self.base_name, "base"):
            return self.base_name, None
        if name in self.dirs:
            return name, name
        raise ModelNotFound(f"model {name!r} is not served", param="model")

    def adapter_dir(self, adapter: str | None) -> str | None:
        """Where an adapter was loaded from."""
        return self.dirs.get(adapter) if adapter else None

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        """Prompt length after the chat template."""
        return len(self.tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True))

    def queue_depth(self) -> int:
        """Requests in flight."""
        return self._inflight

    def _request(self, p: Params) -> tuple[str, Any, Any]:
        vllm = _import_vllm()
        from vllm.lora.request import LoRARequest

        prompt = self.tokenizer.apply_chat_template(p.messages, tokenize=False, add_generation_prompt=True)
        sp = vllm.SamplingParams(
            max_tokens=p.max_new_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            seed=p.seed if p.temperature > 0 else None,
            stop=p.stop or None,
            repetition_penalty=self.gen_cfg.repetition_penalty,
        )
        lora = LoRARequest(p.adapter, self.ids[p.adapter], self.dirs[p.adapter]) if p.adapter else None
        return prompt, sp, lora

    async def _start(self, p: Params) -> tuple[AsyncIterator[Any], Any, float]:
        if self._inflight >= self.cfg.max_queue:
            raise QueueFull("the generation queue is full; retry later", headers={"Retry-After": "1"})
        prompt, sp, lora = self._request(p)
        started = time.perf_counter()
        gen = self.engine.generate(prompt, sp, request_id=uuid.uuid4().hex, lora_request=lora)
        try:
            first = await asyncio.wait_for(gen.__anext__(), self.cfg.request_timeout_s)
        except TimeoutError:
            raise Timeout(f"generation took longer than {self.cfg.request_timeout_s:g}s") from None
        return gen, first, started

    async def generate(self, p: Params, disconnected: Any = None) -> Generation:
        """One answer; 504 past the timeout. (Not yet here: admission control, partial text at the deadline and
        halting on `disconnected`, which the hf engine does; vLLM aborts a request whose task is cancelled.)"""
        self._inflight += 1
        try:
            handle = _Handle(*await self._start(p))

            async def drain() -> None:
                async for _ in handle:
                    pass

            await asyncio.wait_for(drain(), self.cfg.request_timeout_s)
        except TimeoutError:
            raise Timeout(f"generation took longer than {self.cfg.request_timeout_s:g}s") from None
        finally:
            self._inflight -= 1
        assert handle.result is not None
        return handle.result

    async def stream(self, p: Params, disconnected: Any = None) -> _Handle:
        """A started stream."""
        return _Handle(*await self._start(p))

    async def reload(self, adapters: dict[str, str] | None, remove: list[str]) -> list[str]:
        """Register new adapter dirs (vLLM loads a LoRA on its first request) and drop removed names."""
        for name, source in (adapters or {}).items():
            self._register(name, source)
        for name in remove:
            self.dirs.pop(name, None)
        return list(self.dirs)

    def close(self) -> None:
        """Nothing to stop explicitly."""

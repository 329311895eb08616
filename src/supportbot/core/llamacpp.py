"""The llama.cpp runtime: a GGUF model with GGUF LoRA adapters, decoding batches of rows in one llama.cpp context.

Prompts are tokenized by the same transformers tokenizer and chat template as the hf backend, so both backends
see the same token ids. Every row of a batch is its own sequence in one unified KV cache: the prompts are
prefilled together, then each step decodes one token for every row still running (llama.cpp's batched
decoding through its low-level API, not the one-request-at-a-time `Llama` class). The logits go through the
same transformers logits processors as `generate` (repetition penalty, n-gram block, temperature, top-k/p),
and through a row's guided-decoding constraint, so greedy answers match the hf backend's up to float rounding.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from supportbot.core.config import GenerationConfig
from supportbot.core.errors import ModelNotFoundError
from supportbot.core.gguf import import_llama_cpp
from supportbot.core.models import LoadedModel, load_tokenizer
from supportbot.core.spec import parse_spec


def default_threads() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class LlamaCppModel:
    """One GGUF model, its LoRA adapters by name and one context of `n_seq` sequences sharing `n_ctx` tokens."""

    backend = "llamacpp"
    device = torch.device("cpu")

    def __init__(self, gguf: Path, n_ctx: int = 8192, n_seq: int = 16, threads: int = 0) -> None:
        self.ll = import_llama_cpp()
        ll = self.ll
        ll.llama_backend_init()
        self.gguf = Path(gguf)
        mparams = ll.llama_model_default_params()
        self.model = ll.llama_model_load_from_file(str(gguf).encode(), mparams)
        if not self.model:
            raise ModelNotFoundError(f"llama.cpp could not load {gguf}")
        self.threads = threads or default_threads()
        cparams = ll.llama_context_default_params()
        cparams.n_ctx = n_ctx
        cparams.n_batch = min(n_ctx, 2048)
        cparams.n_ubatch = 512
        cparams.n_seq_max = n_seq
        cparams.n_threads = cparams.n_threads_batch = self.threads
        cparams.kv_unified = True  # all sequences share n_ctx: a long prompt can use what short ones leave
        cparams.no_perf = True
        self.ctx = ll.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            raise ModelNotFoundError(f"llama.cpp could not create a context for {gguf} (n_ctx {n_ctx})")
        self.n_ctx = ll.llama_n_ctx(self.ctx)
        self.n_seq = n_seq
        self.n_batch = cparams.n_batch
        self.n_vocab = ll.llama_vocab_n_tokens(ll.llama_model_get_vocab(self.model))
        self.context_length = ll.llama_model_n_ctx_train(self.model)
        self.memory = ll.llama_get_memory(self.ctx)
        self.batch = ll.llama_batch_init(self.n_batch, 0, 1)
        self.loras: dict[str, Any] = {}  # name -> llama_adapter_lora pointer (freed with the model)
        self.active: str | None = None
        self.select(None)

    # -- adapters --------------------------------------------------------------------------------------
    def load_adapter(self, name: str, gguf_lora: Path) -> None:
        """Load (or replace) a GGUF LoRA under `name`."""
        ptr = self.ll.llama_adapter_lora_init(self.model, str(gguf_lora).encode())
        if not ptr:
            raise ModelNotFoundError(f"llama.cpp could not load the LoRA {gguf_lora} onto {self.gguf.name}")
        self.loras[name] = ptr
        if self.active == name:
            self.select(name, force=True)

    def remove_adapter(self, name: str) -> None:
        """Stop using adapter `name` (llama.cpp frees adapters with their model)."""
        self.loras.pop(name)
        if self.active == name:
            self.select(None)

    def select(self, name: str | None, force: bool = False) -> None:
        """Make adapter `name` (None: none) the one every later decode uses."""
        if name == self.active and not force:
            return
        ll = self.ll
        if name is None:
            rc = ll.llama_set_adapters_lora(self.ctx, None, 0, None)
        else:
            adapters = (ll.llama_adapter_lora_p_ctypes * 1)(self.loras[name])
            scales = (ctypes.c_float * 1)(1.0)
            rc = ll.llama_set_adapters_lora(self.ctx, adapters, 1, scales)
        if rc != 0:
            raise RuntimeError(f"llama.cpp could not switch to adapter {name!r} (rc {rc})")
        self.active = name

    @contextlib.contextmanager
    def use_adapter(self, name: str | None) -> Iterator[None]:
        """Decode with adapter `name` (None: the bare base) inside the block."""
        before = self.active
        self.select(name)
        try:
            yield
        finally:
            self.select(before)

    def disable_adapter(self) -> contextlib.AbstractContextManager[None]:
        """The bare base inside the block (the name PEFT uses, so eval's base-from-tuned reuse works)."""
        return self.use_adapter(None)

    # -- decoding --------------------------------------------------------------------------------------
    def _submit(self, tokens: list[tuple[int, int, int, bool]]) -> dict[int, np.ndarray]:
        """Decode (token, pos, seq, want_logits) in n_batch chunks; logits by position in `tokens`."""
        ll, b = self.ll, self.batch
        out: dict[int, np.ndarray] = {}
        for start in range(0, len(tokens), self.n_batch):
            chunk = tokens[start : start + self.n_batch]
            b.n_tokens = len(chunk)
            for j, (tok, pos, seq, logits) in enumerate(chunk):
                b.token[j] = tok
                b.pos[j] = pos
                b.n_seq_id[j] = 1
                b.seq_id[j][0] = seq
                b.logits[j] = logits
            rc = ll.llama_decode(self.ctx, b)
            if rc != 0:
                raise RuntimeError(f"llama_decode failed (rc {rc}): {len(chunk)} tokens, n_ctx {self.n_ctx}")
            for j, (_, _, _, logits) in enumerate(chunk):
                if logits:
                    ptr = ll.llama_get_logits_ith(self.ctx, j)
                    out[start + j] = np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).copy()
        return out

    def run(
        self,
        prompts: list[list[int]],
        budgets: list[int],
        pick: Callable[[int, list[int], np.ndarray], int],
        keep_going: Callable[[int, list[int]], bool],
    ) -> list[list[int]]:
        """Generate for each prompt: `pick(row, ids so far, logits)` chooses the next token and
        `keep_going(row, generated ids)`, called after every token, says whether the row goes on (a row also
        ends at its budget). Returns the generated ids per row."""
        need = [len(p) + b for p, b in zip(prompts, budgets, strict=True)]
        if max(need) > self.n_ctx:
            raise ValueError(
                f"prompt + max_new_tokens = {max(need)} tokens exceeds the llama.cpp context n_ctx {self.n_ctx}"
            )
        # rows that do not fit together in the shared cache go in successive groups
        groups: list[list[int]] = [[]]
        used = 0
        for i, n in enumerate(need):
            if groups[-1] and (used + n > self.n_ctx or len(groups[-1]) >= self.n_seq):
                groups.append([])
                used = 0
            groups[-1].append(i)
            used += n
        generated: list[list[int]] = [[] for _ in prompts]
        for group in groups:
            self._run_group(group, prompts, budgets, pick, keep_going, generated)
        return generated

    def _run_group(
        self,
        group: list[int],
        prompts: list[list[int]],
        budgets: list[int],
        pick: Callable[[int, list[int], np.ndarray], int],
        keep_going: Callable[[int, list[int]], bool],
        generated: list[list[int]],
    ) -> None:
        """Decode the rows of `group` together, row k as sequence k of a cleared KV cache."""
        self.ll.llama_memory_clear(self.memory, True)
        seq_of = {row: k for k, row in enumerate(group)}
        tokens, last = [], {}
        for seq, row in enumerate(group):
            ids = prompts[row]
            for pos, tok in enumerate(ids):
                tokens.append((tok, pos, seq, pos == len(ids) - 1))
            last[row] = len(tokens) - 1
        logits = self._submit(tokens)
        current = {row: logits[last[row]] for row in group}
        running = [row for row in group if budgets[row] > 0]
        while running:
            step, still = [], []
            for row in running:
                tok = pick(row, prompts[row] + generated[row], current[row])
                generated[row].append(tok)
                if keep_going(row, generated[row]) and len(generated[row]) < budgets[row]:
                    step.append((tok, len(prompts[row]) + len(generated[row]) - 1, seq_of[row], True))
                    still.append(row)
            if not still:
                break
            logits = self._submit(step)
            current = {row: logits[k] for k, row in enumerate(still)}
            running = still

    def close(self) -> None:
        """Free the context and the model."""
        if getattr(self, "ctx", None):
            self.ll.llama_batch_free(self.batch)
            self.ll.llama_free(self.ctx)
            self.ll.llama_model_free(self.model)
            self.ctx = self.model = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def load_llamacpp_model(spec: str, adapter: str | None = None, gguf: Any = None) -> LoadedModel:
    """Load a spec on the llama.cpp runtime: the base as a GGUF of `gguf.type` and its adapter (if any) as a
    GGUF LoRA under the name "tuned", active; the tokenizer is the hf backend's, so prompts are the same ids."""
    from supportbot.core.config import GgufConfig
    from supportbot.core.gguf import base_gguf, lora_gguf

    started = time.perf_counter()
    gguf = gguf or GgufConfig()
    parsed = parse_spec(spec)
    if parsed.kind == "endpoint":
        raise ModelNotFoundError(f"{spec} is an http endpoint, not a model to load")
    adapter_dir = parsed.adapter if adapter is None else parse_spec(adapter).adapter
    if adapter is not None and adapter_dir is None:
        raise ModelNotFoundError(f"not an adapter or run directory (no adapter_config.json): {adapter}")
    base = parsed.base or spec
    runtime = LlamaCppModel(base_gguf(base, gguf.type), gguf.n_ctx, gguf.n_seq, gguf.threads)
    lm = LoadedModel(runtime, load_tokenizer(base), base)
    if adapter_dir is not None:
        runtime.load_adapter("tuned", lora_gguf(Path(adapter_dir), base))
        runtime.select("tuned")
        lm.adapter = str(adapter_dir)
    lm.extra["gguf"] = str(runtime.gguf)
    lm.load_seconds = time.perf_counter() - started
    return lm


def logits_processors(cfg: GenerationConfig) -> Any:
    """The transformers processors `generate` would apply for `cfg`, in its order."""
    from transformers import (
        LogitsProcessorList,
        NoRepeatNGramLogitsProcessor,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    procs = LogitsProcessorList()
    if cfg.repetition_penalty != 1.0:
        procs.append(RepetitionPenaltyLogitsProcessor(cfg.repetition_penalty))
    if cfg.no_repeat_ngram_size:
        procs.append(NoRepeatNGramLogitsProcessor(cfg.no_repeat_ngram_size))
    if cfg.temperature > 0:
        if cfg.temperature != 1.0:
            procs.append(TemperatureLogitsWarper(cfg.temperature))
        if cfg.top_k:
            procs.append(TopKLogitsWarper(cfg.top_k))
        if cfg.top_p < 1.0:
            procs.append(TopPLogitsWarper(cfg.top_p))
    return procs

"""Batched and streamed decoding for the serving engine: per-row token budgets, stop strings, cancellation."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import torch

from supportbot.config import GenerationConfig
from supportbot.generation import Generation, Messages, decoding_kwargs, encode_batch
from supportbot.models import LoadedModel


@dataclass
class Job:
    """One queued request: what to generate and how to hand the result back."""

    messages: Messages
    max_new_tokens: int
    temperature: float
    top_p: float
    seed: int
    stop: list[str] = field(default_factory=list)
    adapter: str | None = None  # public adapter name; None = base
    guide: Callable[[], Any] | None = None  # guided decoding: makes this row's grammar (grounded/guided.py)
    stream: bool = False
    deadline: float = math.inf  # time.monotonic() after which generation stops (set when scheduled)
    started: bool = False  # set by the worker when it takes the job off the queue
    halt: bool = False  # set from the event loop: client gone, withdrawn, or stop string seen
    timed_out: bool = False  # set by the worker when the deadline cut generation short
    future: Future = field(default_factory=Future)
    sink: Callable[[str, Any], None] | None = None  # stream events: ("start"|"text"|"done"|"error", payload)
    call: Callable[[], Any] | None = None  # an admin task run in the worker thread (e.g. reload)

    def batch_key(self) -> tuple:
        """Jobs with equal keys may share one batched forward."""
        seed = self.seed if self.temperature > 0 else None
        return (self.adapter, self.temperature, self.top_p if self.temperature > 0 else None, seed)


def apply_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """Cut `text` at the earliest stop string; True when one was found."""
    cuts = [i for i in (text.find(s) for s in stops) if i >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


class _RowStop:
    """Stopping criterion marking rows done at their own budget, deadline, or when halted."""

    def __init__(self, jobs: list[Job], prompt_len: int) -> None:
        self.jobs = jobs
        self.prompt_len = prompt_len

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.BoolTensor:
        produced = input_ids.shape[1] - self.prompt_len
        now = time.monotonic()
        done = []
        for j in self.jobs:
            late = now >= j.deadline and produced < j.max_new_tokens
            j.timed_out = j.timed_out or late
            done.append(j.halt or late or produced >= j.max_new_tokens)
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


def _config_for(job: Job, base: GenerationConfig) -> GenerationConfig:
    return base.model_copy(update={"temperature": job.temperature, "top_p": job.top_p, "seed": job.seed})


def _stopping(jobs: list[Job], prompt_len: int) -> Any:
    from transformers import StoppingCriteriaList

    return StoppingCriteriaList([_RowStop(jobs, prompt_len)])


@torch.inference_mode()
def run_batch(lm: LoadedModel, jobs: list[Job], base: GenerationConfig) -> list[Generation]:
    """Generate for compatible jobs in one batched call; each row keeps its own budget and stop strings."""
    cfg = _config_for(jobs[0], base)
    started = time.perf_counter()
    enc = encode_batch(lm.tokenizer, [j.messages for j in jobs], lm.device)
    prompt_len = enc["input_ids"].shape[1]
    kwargs = decoding_kwargs(cfg, lm.tokenizer, max(j.max_new_tokens for j in jobs))
    if cfg.temperature > 0:
        torch.manual_seed(cfg.seed)
    if any(j.guide is not None for j in jobs):  # rows without a guide stay unconstrained
        from transformers import LogitsProcessorList

        from supportbot.grounded.guided import GuidedJSON

        grammars = [j.guide() if j.guide is not None else None for j in jobs]
        kwargs["logits_processor"] = LogitsProcessorList([GuidedJSON(grammars, prompt_len)])
    out = lm.model.generate(**enc, **kwargs, stopping_criteria=_stopping(jobs, prompt_len))
    latency = time.perf_counter() - started
    stops = set(kwargs["eos_token_id"])
    results = []
    for job, row, mask in zip(jobs, out, enc["attention_mask"], strict=True):
        new = row[prompt_len : prompt_len + job.max_new_tokens].tolist()
        cut = next((i for i, t in enumerate(new) if t in stops), None)
        kept = new if cut is None else new[:cut]
        text = lm.tokenizer.decode(kept, skip_special_tokens=True).strip()
        tokens_out = len(kept) + (cut is not None)
        text, hit = apply_stop(text, job.stop)
        if hit:
            text = text.strip()
            tokens_out = len(lm.tokenizer.encode(text, add_special_tokens=False))
        finish = "stop" if (cut is not None or hit) else "length"
        cut_short = job.timed_out and finish == "length"
        results.append(Generation(text, int(mask.sum()), tokens_out, latency, finish, cut_short))
    return results


@torch.inference_mode()
def run_stream(lm: LoadedModel, job: Job, base: GenerationConfig) -> Generation:
    """Generate one answer, sending ("text", piece) events to the job's sink as tokens arrive."""
    from transformers import TextStreamer

    sink = job.sink
    assert sink is not None

    class _Sink(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if text:
                sink("text", text)

    cfg = _config_for(job, base)
    started = time.perf_counter()
    enc = encode_batch(lm.tokenizer, [job.messages], lm.device)
    prompt_len = enc["input_ids"].shape[1]
    kwargs = decoding_kwargs(cfg, lm.tokenizer, job.max_new_tokens)
    if cfg.temperature > 0:
        torch.manual_seed(cfg.seed)
    streamer = _Sink(lm.tokenizer, skip_prompt=True, skip_special_tokens=True)
    out = lm.model.generate(
        **enc, **kwargs, streamer=streamer, stopping_criteria=_stopping([job], prompt_len)
    )
    new = out[0, prompt_len:].tolist()
    stops = set(kwargs["eos_token_id"])
    cut = next((i for i, t in enumerate(new) if t in stops), None)
    tokens_out = len(new) if cut is None else cut + 1
    finish = "stop" if cut is not None else "length"
    cut_short = job.timed_out and finish == "length"
    return Generation("", prompt_len, tokens_out, time.perf_counter() - started, finish, cut_short)

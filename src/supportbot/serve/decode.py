"""Serving jobs onto the one decode loop (core/generation.py): a job's limits become a Row, its halt flag and
deadline the row's stop check, and a stream job's sink receives the text as it is generated."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from supportbot.core.config import GenerationConfig
from supportbot.core.generation import DEADLINE, HALT, Generation, Row, decode
from supportbot.core.models import LoadedModel
from supportbot.core.prompt import Messages


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
    guide: Callable[[], Any] | None = None  # guided decoding: makes the row's constraint (grounded/guided.py)
    stream: bool = False
    deadline: float = math.inf  # time.monotonic() after which generation stops (set when scheduled)
    started: bool = False  # set by the worker when it takes the job off the queue
    halt: bool = False  # set from the event loop: client gone, withdrawn, or stop string seen
    future: Future = field(default_factory=Future)
    sink: Callable[[str, Any], None] | None = None  # stream events: ("start"|"text"|"done"|"error", payload)
    call: Callable[[], Any] | None = None  # an admin task run in the worker thread (e.g. reload)

    def batch_key(self) -> tuple:
        """Jobs with equal keys may share one batched forward."""
        seed = self.seed if self.temperature > 0 else None
        return (self.adapter, self.temperature, self.top_p if self.temperature > 0 else None, seed)

    def should_stop(self) -> str | None:
        """Polled every decoding step: halted from outside, or past the deadline."""
        if self.halt:
            return HALT
        return DEADLINE if time.monotonic() >= self.deadline else None

    def row(self) -> Row:
        """This job as a row of the decode loop (a fresh constraint each time: it is stateful)."""
        constraint = self.guide() if self.guide is not None else None
        return Row(self.messages, self.max_new_tokens, list(self.stop), constraint, self.should_stop)


def _config_for(job: Job, base: GenerationConfig) -> GenerationConfig:
    return base.model_copy(update={"temperature": job.temperature, "top_p": job.top_p, "seed": job.seed})


def run_batch(lm: LoadedModel, jobs: list[Job], base: GenerationConfig) -> list[Generation]:
    """Generate for compatible jobs (equal batch_key) in one batched call."""
    return decode(lm, [j.row() for j in jobs], _config_for(jobs[0], base))


def run_stream(lm: LoadedModel, job: Job, base: GenerationConfig) -> Generation:
    """Generate one answer, sending ("text", piece) events to the job's sink as tokens arrive."""
    sink = job.sink
    assert sink is not None
    return decode(lm, [job.row()], _config_for(job, base), on_text=lambda piece: sink("text", piece))[0]

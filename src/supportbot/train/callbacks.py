"""Trainer callbacks: metrics JSONL (+ tokens/s, memory, perplexity), NaN/divergence stop, sample generations."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments


@dataclass
class TokenCounter:
    """Real (non-padding) tokens seen by this process; the trainer adds to it every micro-batch."""

    tokens: int = 0


def memory_mb() -> float:
    """Current memory in MiB: CUDA allocated when on GPU, else the process's resident set size."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.memory_allocated() / 2**20
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_memory_mb() -> float:
    """Peak memory in MiB: CUDA max allocated, else the process's peak RSS."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.max_memory_allocated() / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class MetricsCallback(TrainerCallback):
    """Enrich every log (tokens/s, MFU, memory, perplexity) and append it to metrics.jsonl; runs before
    TensorBoard."""

    def __init__(
        self,
        path: Path | None,
        counter: TokenCounter,
        world_size: int = 1,
        flops_per_token: int | None = None,
        peak_gflops: float | None = None,
    ) -> None:
        self.path = path
        self.counter = counter
        self.world_size = world_size
        self.flops_per_token = flops_per_token  # train/mfu.py: for `mfu` next to tokens/s
        self.peak_gflops = peak_gflops  # measured GEMM peak of one rank
        self._last = (time.perf_counter(), 0)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ):
        self._last = (time.perf_counter(), _reduced_over_ranks(self.counter.tokens, self.world_size))

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kw: Any
    ):
        if logs is None:
            return
        if "eval_loss" in logs:
            logs["eval_perplexity"] = perplexity(logs["eval_loss"])
        if "loss" in logs:
            # every rank logs the train loss at the same steps, so the count can be summed over ranks here
            now, tokens = time.perf_counter(), _reduced_over_ranks(self.counter.tokens, self.world_size)
            t0, n0 = self._last
            if now > t0:
                rate = (tokens - n0) / (now - t0)
                logs["tokens_per_s"] = round(rate, 1)
                if self.flops_per_token and self.peak_gflops:
                    achieved = rate * self.flops_per_token / 1e9
                    logs["model_gflops"] = round(achieved, 2)
                    logs["mfu"] = round(achieved / (self.peak_gflops * self.world_size), 4)
            logs["tokens_seen"] = tokens  # real tokens, all ranks, since these processes started training
            self._last = (now, tokens)
            logs["memory_mb"] = round(memory_mb(), 1)
        if self.path is not None and state.is_world_process_zero:
            row = {"step": state.global_step, "epoch": state.epoch, "time": round(time.time(), 3), **logs}
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")


def _reduced_over_ranks(value: int, world_size: int, op: str = "sum") -> int:
    """An integer reduced (sum or max) over all ranks; a collective, so every rank must call it."""
    dist = torch.distributed
    if world_size <= 1 or not (dist.is_available() and dist.is_initialized()):
        return value
    device = f"cuda:{torch.cuda.current_device()}" if dist.get_backend() == "nccl" else "cpu"
    box = torch.tensor([value], dtype=torch.int64, device=device)
    dist.all_reduce(box, op=dist.ReduceOp.SUM if op == "sum" else dist.ReduceOp.MAX)
    return int(box.item())


def perplexity(loss: float) -> float:
    """exp(loss), capped so that a huge loss stays a finite JSON number."""
    return math.exp(min(loss, 50.0)) if math.isfinite(loss) else float("inf")


@dataclass
class Divergence:
    """Why training stopped early (None when it did not)."""

    step: int | None = None
    reason: str | None = None
    history: list[float] = field(default_factory=list)


class DivergenceCallback(TrainerCallback):
    """Stop on a NaN/inf loss or grad norm, or a loss above `factor` × the lowest seen, before any checkpoint."""

    def __init__(self, factor: float, warmup_logs: int = 1) -> None:
        self.factor = factor
        self.warmup_logs = warmup_logs
        self.result = Divergence()

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kw: Any
    ):
        if logs and "eval_loss" in logs and not math.isfinite(float(logs["eval_loss"])):
            self._stop(state, control, f"val loss is {logs['eval_loss']}")
            return
        if not logs or "loss" not in logs:
            return
        loss, gnorm = float(logs["loss"]), float(logs.get("grad_norm", 0.0) or 0.0)
        hist = self.result.history
        reason = None
        if not math.isfinite(loss):
            reason = f"loss is {loss}"
        elif not math.isfinite(gnorm):
            reason = f"grad norm is {gnorm}"
        elif len(hist) >= self.warmup_logs and loss > self.factor * min(hist):
            reason = f"loss {loss:.3g} exceeds {self.factor:g}x the lowest loss so far ({min(hist):.3g})"
        hist.append(loss)
        if reason is not None:
            self._stop(state, control, reason)

    def _stop(self, state: TrainerState, control: TrainerControl, reason: str) -> None:
        self.result.step, self.result.reason = state.global_step, reason
        # Stop now: no eval and, above all, no checkpoint of the diverged weights.
        control.should_training_stop = True
        control.should_save = False
        control.should_evaluate = False


class SampleGenerationCallback(TrainerCallback):
    """After each eval, answer a few fixed val prompts greedily; write samples.jsonl and TensorBoard text."""

    def __init__(
        self, prompts: list[dict[str, Any]], tokenizer: Any, gen_cfg: Any, out: Path, max_new_tokens: int
    ):
        self.prompts = prompts
        self.tokenizer = tokenizer
        self.gen_cfg = gen_cfg.model_copy(update={"temperature": 0.0, "max_new_tokens": max_new_tokens})
        self.out = out
        self.tb_source: Any = None  # callable returning TensorBoard's SummaryWriter (set by the recipe)

    def generate_now(self, model: Any, step: int, label: str) -> list[dict[str, Any]]:
        """Generate the samples with `model` and record them under `label` (e.g. 'base', 'step 100')."""
        from supportbot.core.generation import generate
        from supportbot.core.models import LoadedModel

        was_training = model.training
        model.eval()
        cache = model.config.use_cache
        model.config.use_cache = True
        try:
            lm = LoadedModel(model, self.tokenizer, "training")
            gens = generate(lm, [p["messages"] for p in self.prompts], self.gen_cfg)
        finally:
            model.config.use_cache = cache
            if was_training:
                model.train()
        rows = [
            {
                "step": step,
                "label": label,
                "id": p["id"],
                "question": p["question"],
                "reference": p["reference"],
                "generated": g.text,
            }
            for p, g in zip(self.prompts, gens, strict=True)
        ]
        with self.out.open("a", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        tb = self.tb_source() if self.tb_source else None
        if tb is not None:
            text = "\n\n".join(f"**Q:** {r['question']}\n\n**A:** {r['generated']}" for r in rows)
            tb.add_text("samples", text, step)
        return rows

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any):
        if not state.is_world_process_zero or not self.prompts:
            return
        self.generate_now(kw["model"], state.global_step, f"step {state.global_step}")


class FinalDigestCallback(TrainerCallback):
    """Fingerprint the adapter as trained at the last step (before the best checkpoint is reloaded)."""

    def __init__(self, digest: Any) -> None:
        self._digest = digest
        self.digest: str | None = None

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any):
        if control.should_training_stop or state.global_step >= state.max_steps:
            self.digest = self._digest(kw["model"])


class EvaluateLastStepCallback(TrainerCallback):
    """Evaluate (and so rank) the final step too, not only multiples of `eval_steps`.

    The Trainer saves the last step but never evaluates it, so a run shorter than `eval_steps` had no best
    checkpoint and no adapter, and the last stretch of a longer run was never a candidate for best.
    """

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any):
        if state.global_step >= state.max_steps:
            control.should_evaluate = True
            control.should_save = True
        return control


class GracefulStopCallback(TrainerCallback):
    """On SIGINT / SIGTERM, finish the current step, save a checkpoint and stop; a second signal aborts.

    `catching()` installs the handlers around `trainer.train()` (main thread only) and restores them after.
    """

    def __init__(self, say: Any = print, world_size: int = 1) -> None:
        self.signum: int | None = None  # the signal this run stops for (this rank's or another rank's)
        self._received: int | None = None  # the signal this process itself received
        self._say = say
        self.world_size = world_size

    def _handle(self, signum: int, frame: Any) -> None:
        if self._received is not None:
            raise KeyboardInterrupt  # second signal: stop now, without the checkpoint
        self._received = signum
        self.signum = self.signum or signum
        self._say(
            f"{signal.Signals(signum).name}: saving a checkpoint after this step, then stopping "
            "(send it again to stop at once)"
        )

    @contextlib.contextmanager
    def catching(self) -> Any:
        """Install the graceful handlers for SIGINT and SIGTERM while the block runs."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any):
        # Several processes: the signal may reach one rank a step before the others (or only one). All stop at
        # the step where the first got it; a rank that stopped alone would leave the rest waiting in a collective.
        signum = _reduced_over_ranks(self.signum or 0, self.world_size, op="max")
        if signum:
            if self.signum is None:
                self.signum = signum
                self._say(
                    f"{signal.Signals(signum).name} reached another rank: saving a checkpoint, then stopping"
                )
            control.should_save = True
            control.should_training_stop = True
        return control

"""Training precision chosen by measurement: bf16 only where this machine runs it faster at the same loss.

On CUDA, `auto` is bf16 (fp16 where bf16 is not supported). On a CPU, bf16 pays only with bf16 units
(AVX512-BF16 or AMX-BF16): without them a bf16 matmul ran at 0.3 GFLOP/s against 155 in fp32 on one
machine, and at 1.1-1.2x fp32 with them on another. So `auto` on a CPU reads the CPU's flags, and where
bf16 units are there it times one GEMM of a training-like shape in both precisions; bf16 is chosen when it
is faster by `MIN_SPEEDUP`, and `check_loss` later confirms on real val rows that the bf16 model's loss
stays within `LOSS_TOLERANCE` of fp32's (else training goes back to fp32). Every decision carries its reason,
stored in the run's manifest.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from supportbot.core.errors import ConfigError
from supportbot.train.mfu import gemm_gflops
from supportbot.train.rundir import cpu_flag_set

BF16_FLAGS = ("avx512_bf16", "amx_bf16")
FLAGS_ENV = "SUPPORTBOT_CPU_FLAGS"  # comma-separated flags that replace /proc/cpuinfo's (tests, odd kernels)
MIN_SPEEDUP = 1.05
LOSS_TOLERANCE = 0.01  # relative val-loss difference, bf16 vs fp32, that still counts as the same model
PROBE_SHAPE = (512, 576, 1536)  # (tokens, hidden, intermediate): one MLP matmul of a 135M model's step


@dataclass
class PrecisionChoice:
    """Which precision trains, and why (stored as run.json's `precision_choice`)."""

    precision: str
    reason: str
    cpu_flags: list[str] = field(default_factory=list)
    gemm_gflops: dict[str, float] = field(default_factory=dict)
    val_loss: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The manifest record."""
        return asdict(self)


def cpu_flags() -> set[str]:
    """The CPU's feature flags ($SUPPORTBOT_CPU_FLAGS when set, else /proc/cpuinfo; empty when unknown)."""
    forced = os.environ.get(FLAGS_ENV)
    if forced is not None:
        return {f.strip() for f in forced.split(",") if f.strip()}
    return cpu_flag_set()


def precision_dtype(precision: str) -> torch.dtype:
    """The torch dtype of a training precision ("bf16", "fp16"; anything else fp32)."""
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)


def choose_precision(requested: str, cuda: bool, flags: set[str] | None = None) -> PrecisionChoice:
    """The precision to train in: `requested` checked against the machine, or measured for `auto`."""
    if cuda:
        if requested == "auto":
            bf16 = torch.cuda.is_bf16_supported()
            return PrecisionChoice("bf16" if bf16 else "fp16", "CUDA: mixed precision (bf16 where supported)")
        return PrecisionChoice(requested, "asked for (train.precision)")
    flags = cpu_flags() if flags is None else flags
    units = sorted(f for f in BF16_FLAGS if f in flags)
    if requested == "fp16":
        raise ConfigError("train.precision=fp16: fp16 training needs a GPU; on a CPU use fp32, bf16 or auto")
    if requested == "fp32":
        return PrecisionChoice("fp32", "asked for (train.precision)", units)
    if requested == "bf16":
        if not units:
            raise ConfigError(
                "train.precision=bf16: this CPU has no bf16 units (no avx512_bf16 / amx_bf16 flag), where bf16 "
                "matmuls run ~500x slower than fp32 — use train.precision=fp32 or auto"
            )
        return PrecisionChoice("bf16", f"asked for (train.precision); CPU has {', '.join(units)}", units)
    if not units:
        return PrecisionChoice("fp32", "CPU without bf16 units (no avx512_bf16 / amx_bf16 flag)", [])
    speed = {
        "fp32": gemm_gflops(torch.float32, PROBE_SHAPE),
        "bf16": gemm_gflops(torch.bfloat16, PROBE_SHAPE),
    }
    speed = {k: round(v, 1) for k, v in speed.items()}
    ratio = speed["bf16"] / max(speed["fp32"], 1e-9)
    if ratio < MIN_SPEEDUP:
        why = f"CPU has {', '.join(units)} but a bf16 GEMM ran {ratio:.2f}x fp32 here (< {MIN_SPEEDUP}x)"
        return PrecisionChoice("fp32", why, units, speed)
    why = f"CPU has {', '.join(units)} and a bf16 GEMM ran {ratio:.2f}x fp32 here"
    return PrecisionChoice("bf16", why, units, speed)


def check_loss(choice: PrecisionChoice, fp32_loss: float, bf16_loss: float) -> PrecisionChoice:
    """Keep an `auto` bf16 choice only when the bf16 model's val loss is within LOSS_TOLERANCE of fp32's."""
    choice.val_loss = {"fp32": round(fp32_loss, 5), "bf16": round(bf16_loss, 5)}
    rel = abs(bf16_loss - fp32_loss) / max(abs(fp32_loss), 1e-9)
    if rel > LOSS_TOLERANCE:
        choice.precision = "fp32"
        choice.reason += f"; but the bf16 val loss differed by {rel:.2%} (> {LOSS_TOLERANCE:.0%}): fp32"
    else:
        choice.reason += f"; val loss within {rel:.2%} of fp32"
    return choice

"""Model FLOPs utilisation: the model FLOPs a training step needs per real token, against a measured GEMM peak.

nanoGPT's `estimate_mfu` divides by a datasheet peak (A100: 312 TFLOP/s); CPUs have no such number that
holds across SKUs, turbo and thread counts, so the peak here is measured once per machine, dtype and thread
count (one large GEMM) and cached. FLOPs per token count the matmuls of a LoRA step:

- forward: 2 x every matmul weight (frozen and LoRA; embeddings are a lookup, a tied lm_head is a matmul,
  counted for the share of tokens whose logits are computed);
- backward, input gradients: 2 x the matmul weights from the lowest adapted block up (backward stops there);
- backward, weight gradients: 2 x the trainable (LoRA) weights.

So a trained weight costs 6 FLOPs per token, a frozen one above the lowest adapter 4, and one below it 2.
Attention's score/value products (which grow with sequence length) are left out, as in the 6N rule.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import torch

_BLOCK = re.compile(r"\.layers\.(\d+)\.")


def flops_per_token(model: Any, head_share: float = 1.0) -> int:
    """Training FLOPs per real token of a (PEFT) model: forward, input gradients and LoRA weight gradients.

    `head_share`: the share of tokens whose logits are computed (supportbot's labelled-positions loss runs
    the lm_head on answer tokens only, so its head costs that share of the full-sequence head).
    """
    linears = [
        (name, m.weight.numel() * (head_share if name.endswith("lm_head") else 1.0))
        for name, m in model.named_modules()
        if isinstance(m, torch.nn.Linear)
    ]
    adapted = [
        int(b.group(1)) for n, p in model.named_parameters() if p.requires_grad if (b := _BLOCK.search(n))
    ]
    lowest = min(adapted) if adapted else None
    forward = sum(n for _, n in linears)
    if lowest is None:
        backprop = sum(n for _, n in linears)  # full fine-tuning: input gradients everywhere
    else:
        backprop = sum(
            n for name, n in linears if (b := _BLOCK.search(name)) is None or int(b.group(1)) >= lowest
        )
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return round(2 * forward + 2 * backprop + 2 * trained)


def chip_name(device: str = "cpu") -> str:
    """The CPU model or the CUDA device name: the peak cache's key."""
    from supportbot.train.rundir import cpu_model

    return torch.cuda.get_device_name(torch.device(device)) if device != "cpu" else cpu_model()


def _cache_key(dtype: torch.dtype, threads: int, device: str) -> str:
    return f"{chip_name(device)}|{device}|{str(dtype).removeprefix('torch.')}|{threads}"


PEAK_SHAPES = ((1024, 576, 1536), (1024, 1536, 576), (2048, 2048, 2048))  # a 135M model's MLP + square
SPEED_PROBE = (256, 256, 256)  # timed first, not a peak candidate: a slow dtype is known before a big GEMM
MAX_CALL_S = 0.5  # no GEMM is repeated (or, for the peak, tried) when one call takes longer than this


def _seconds(a: torch.Tensor, b: torch.Tensor) -> float:
    started = time.perf_counter()
    torch.matmul(a, b)
    if a.device.type == "cuda":
        torch.cuda.synchronize()
    return max(time.perf_counter() - started, 1e-9)


def gemm_gflops(
    dtype: torch.dtype, shape: tuple[int, int, int], device: str = "cpu", tries: int = 4
) -> float:
    """The best GFLOP/s of `tries` (m x k) @ (k x n) GEMMs in `dtype` with torch's current threads, after a
    warm-up call; only the warm-up when that one call already takes longer than MAX_CALL_S (a slow dtype)."""
    m, k, n = shape
    a = torch.randn(m, k, device=device).to(dtype)
    b = torch.randn(k, n, device=device).to(dtype)
    flop = 2 * m * k * n
    warm = _seconds(a, b)
    if warm > MAX_CALL_S:
        return flop / warm / 1e9
    return max(flop / _seconds(a, b) for _ in range(tries)) / 1e9


def measured_peak_gflops(dtype: torch.dtype = torch.float32, device: str = "cpu") -> float:
    """The best GFLOP/s of a few GEMMs (training-shaped and square) on this machine, cached per chip, dtype and
    thread count. A value measured while other processes kept the cores busy (load average above the cores
    left free) is used for this run but not cached, so a busy moment does not become the machine's peak."""
    import os

    from supportbot.core.models import cache_root

    threads = torch.get_num_threads()
    path = cache_root() / "gemm_peak.json"
    key = _cache_key(dtype, threads, device)
    try:
        cache = json.loads(path.read_text())
    except (OSError, ValueError):
        cache = {}
    if key in cache:
        return float(cache[key])
    speed = gemm_gflops(dtype, SPEED_PROBE, device, tries=1)
    feasible = [s for s in PEAK_SHAPES if 2 * s[0] * s[1] * s[2] / (speed * 1e9) <= MAX_CALL_S]
    # every shape too slow to time (bf16 without bf16 units): the probe's speed is all there is
    best = round(max((gemm_gflops(dtype, s, device) for s in feasible), default=speed), 1)
    idle = device != "cpu" or os.getloadavg()[0] <= (os.cpu_count() or 1) - threads + 0.5
    if idle:
        cache[key] = best
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(cache, indent=1))
        except OSError:
            pass  # a read-only cache only costs a re-measure next time
    return best

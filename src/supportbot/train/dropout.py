"""A faster LoRA dropout for CPU training.

PEFT puts an `nn.Dropout` in front of every LoRA branch (7 per transformer block). On CPU, torch draws each
dropout mask element by element (`bernoulli_`), and those draws were ~11% of a LoRA training step of the
embedded default, more than the attention. `FastDropout` draws the same Bernoulli(1 - p) keep-mask from
random 32-bit integers (one 64-bit draw feeds two elements), about 3x faster, and scales kept values by
1 / (1 - p) exactly like `nn.Dropout`. Masks stay independent per module and per step and follow torch's seed.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

_INT32_SPAN = 2**32


class FastDropout(nn.Module):
    """Inverted dropout with probability `p`, masks drawn from 32-bit random integers."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        # P(bits < threshold) = p for bits uniform over the int32 range (resolution 2^-32).
        self.threshold = round(p * _INT32_SPAN) - 2**31

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        n = x.numel()
        words = torch.randint(-(2**63), 2**63 - 1, ((n + 1) // 2,), dtype=torch.int64, device=x.device)
        keep = words.view(torch.int32)[:n].view(x.shape) >= self.threshold
        return x * (keep.to(x.dtype) * (1.0 / (1.0 - self.p)))

    def extra_repr(self) -> str:
        return f"p={self.p}"


def use_fast_lora_dropout(model: Any) -> int:
    """Swap the nn.Dropout of every LoRA branch for FastDropout; returns how many were swapped."""
    swapped = 0
    for module in model.modules():
        branches = getattr(module, "lora_dropout", None)
        if not isinstance(branches, nn.ModuleDict):
            continue
        for name, drop in list(branches.items()):
            if type(drop) is nn.Dropout and drop.p > 0:
                fast = FastDropout(drop.p)
                fast.train(drop.training)
                branches[name] = fast
                swapped += 1
    return swapped

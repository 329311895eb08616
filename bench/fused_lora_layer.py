"""One LoRA linear layer, forward + backward: PEFT's layer against supportbot's fused one (train/fused_lora.py).

    python bench/fused_lora_layer.py          # one thread, 4x256 tokens, r 16, dropout 0.05, SmolLM2 shapes

Both layers use FastDropout (as `supportbot train` does on CPU) and the same seed, so they draw the same masks;
the script checks that their input gradients match before timing 20 steps after 3 warm-up steps.
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from peft import LoraConfig, get_peft_model
from torch import nn

from supportbot.train.dropout import use_fast_lora_dropout
from supportbot.train.fused_lora import use_fused_lora

SHAPES = ((576, 1536), (1536, 576), (576, 576))  # SmolLM2-135M: up/gate, down, q/o projections


class _OneLinear(nn.Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.proj = nn.Linear(n_in, n_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


def main(argv: list[str] | None = None) -> None:
    """Time both layers for each shape and print ms per forward + backward."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    cfg = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=["proj"])
    for n_in, n_out in SHAPES:
        torch.manual_seed(0)
        peft_layer = get_peft_model(_OneLinear(n_in, n_out), cfg)
        use_fast_lora_dropout(peft_layer)
        for name, p in peft_layer.named_parameters():
            if "lora_B" in name:
                nn.init.normal_(p, std=0.02)
        fused = copy.deepcopy(peft_layer)
        use_fused_lora(fused)
        x = torch.randn(4, args.tokens // 4, n_in)

        def step(model: nn.Module, x: torch.Tensor = x) -> torch.Tensor:
            xx = x.clone().requires_grad_(True)
            model(xx).sum().backward()
            return xx.grad

        torch.manual_seed(1)
        g_peft = step(peft_layer.train())
        torch.manual_seed(1)
        g_fused = step(fused.train())
        if not torch.allclose(g_peft, g_fused, atol=1e-5):
            raise SystemExit(f"{n_in}->{n_out}: input gradients differ")
        times = {}
        for label, model in (("peft", peft_layer), ("fused", fused)):
            for _ in range(3):
                step(model)
            started = time.perf_counter()
            for _ in range(args.steps):
                step(model)
            times[label] = (time.perf_counter() - started) / args.steps * 1000
        print(
            f"{n_in}->{n_out}: peft {times['peft']:.1f} ms, fused {times['fused']:.1f} ms "
            f"({times['peft'] / times['fused']:.2f}x)",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""A fused LoRA linear layer for CPU training: the same maths as PEFT's `lora.Linear`, fewer passes over memory.

PEFT computes a LoRA layer as `base(x) + scale * B(A(dropout(x)))`: the `[tokens, out]` product of B is scaled
in a separate pass and added to the base output in another, and in the backward pass autograd scales the
incoming gradient, then adds the LoRA branch's input gradient to the base's. `FusedLoraFunction` (installed on a
model's LoRA layers by `use_fused_lora`) writes B's product straight into the base output (`addmm_` with
`alpha=scale`), scales only the rank-r intermediate in the backward pass, and adds the LoRA input gradient
(times the dropout mask) into the base's in one `addcmul_`. Same outputs and gradients to float rounding, same
dropout masks (`FastDropout.keep_mask` or torch's Bernoulli draw, from torch's seed). Forward + backward of one
layer, one thread, 4x256 tokens, r 16 (`python bench/fused_lora_layer.py`, two runs): 576->1536 1.07-1.09x,
576->576 1.08-1.09x, 1536->576 0.97-1.01x. In
`bench/train_throughput.py` (bench/README.md) the whole step's speed stayed within run-to-run noise (162.5 and
176.4 real tokens/s fused, 166.7 unfused) and peak RSS was lower (4344 and 4356 vs 5069 MiB), presumably from
the [tokens, out] temporaries it skips.

Only plain cases are fused: one active unmerged adapter on an `nn.Linear` with frozen weights, no DoRA, no LoRA
bias, grad enabled and no autocast. Anything else (eval, `disable_adapter()`, merged weights, quantised base
layers) takes PEFT's own forward.
"""

from __future__ import annotations

import types
from typing import Any

import torch
from torch import nn

from supportbot.train.dropout import FastDropout


class FusedLoraFunction(torch.autograd.Function):
    """y = x W^T (+ b) + scale * (x * mask) A^T B^T, with gradients for x, A and B (W and b are frozen)."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        lora_a: torch.Tensor,
        lora_b: torch.Tensor,
        scale: float,
        mask: torch.Tensor | None,
    ) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        y = x2 @ weight.T if bias is None else torch.addmm(bias, x2, weight.T)
        xd = x2 if mask is None else x2 * mask.view_as(x2)
        h = xd @ lora_a.T
        y.addmm_(h, lora_b.T, alpha=scale)
        ctx.save_for_backward(weight, lora_a, lora_b, xd, h, None if mask is None else mask.view_as(x2))
        ctx.scale = scale
        ctx.in_shape = shape
        return y.view(*shape[:-1], y.shape[-1])

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        weight, lora_a, lora_b, xd, h, mask = ctx.saved_tensors
        g = grad.reshape(-1, grad.shape[-1])
        gh = (g @ lora_b).mul_(ctx.scale)  # rank-r: the scale costs r columns, not out_features
        grad_b = (g.T @ h).mul_(ctx.scale) if ctx.needs_input_grad[4] else None
        grad_a = gh.T @ xd if ctx.needs_input_grad[3] else None
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = g @ weight
            if mask is None:
                grad_x.addmm_(gh, lora_a)
            else:
                grad_x.addcmul_(gh @ lora_a, mask)
            grad_x = grad_x.view(ctx.in_shape)
        return grad_x, None, None, grad_a, grad_b, None, None


def _dropout_mask(drop: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """The scaled keep-mask the branch's dropout would apply to x (None: no dropout)."""
    if isinstance(drop, FastDropout):
        return drop.keep_mask(x) if drop.training and drop.p > 0 else None
    if isinstance(drop, nn.Dropout):
        if not drop.training or drop.p == 0:
            return None
        return torch.empty_like(x).bernoulli_(1 - drop.p).div_(1 - drop.p)
    return None  # nn.Identity (dropout 0)


def _fusable(layer: Any) -> bool:
    """Whether this LoRA layer's setup is one FusedLoraFunction covers (checked once, at install)."""
    base = layer.base_layer
    drop_ok = all(isinstance(d, nn.Dropout | nn.Identity | FastDropout) for d in layer.lora_dropout.values())
    return (
        type(base) is nn.Linear
        and not base.weight.requires_grad
        and (base.bias is None or not base.bias.requires_grad)
        and not getattr(layer, "fan_in_fan_out", False)
        and not any(getattr(layer, "use_dora", {}).values())
        and all(a.bias is None for a in layer.lora_A.values())
        and all(b.bias is None for b in layer.lora_B.values())
        and drop_ok
    )


def _fused_forward(self: Any, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    adapters = self.active_adapters
    if (
        args
        or kwargs
        or self.disable_adapters
        or self.merged
        or len(adapters) != 1
        or adapters[0] not in self.lora_A
        or not torch.is_grad_enabled()
        or torch.is_autocast_enabled()  # (CUDA)
        or torch.is_autocast_enabled("cpu")  # CPU bf16 autocast: PEFT's forward casts per op
        or x.dtype != self.base_layer.weight.dtype
        or x.dtype != self.lora_A[adapters[0]].weight.dtype
    ):
        return self._peft_forward(x, *args, **kwargs)  # type: ignore[no-any-return]
    name = adapters[0]
    return FusedLoraFunction.apply(  # type: ignore[no-any-return]
        x,
        self.base_layer.weight,
        self.base_layer.bias,
        self.lora_A[name].weight,
        self.lora_B[name].weight,
        float(self.scaling[name]),
        _dropout_mask(self.lora_dropout[name], x),
    )


def use_fused_lora(model: nn.Module) -> int:
    """Route every fusable PEFT LoRA linear layer of `model` through FusedLoraFunction; returns how many."""
    from peft.tuners.lora import Linear as LoraLinear

    fused = 0
    for module in model.modules():
        if type(module) is LoraLinear and not hasattr(module, "_peft_forward") and _fusable(module):
            module._peft_forward = module.forward  # type: ignore[assignment]
            module.forward = types.MethodType(_fused_forward, module)  # type: ignore[method-assign]
            fused += 1
    return fused

"""FastDropout drops the asked share, scales like nn.Dropout, follows the seed, and replaces PEFT's dropouts."""

from __future__ import annotations

import pytest
import torch
from peft import LoraConfig, get_peft_model

from supportbot.core.models import tiny_random_model
from supportbot.train.dropout import FastDropout, use_fast_lora_dropout


@pytest.mark.parametrize("p", [0.05, 0.1, 0.5])
def test_drops_the_asked_share_and_keeps_the_mean(p):
    torch.manual_seed(0)
    x = torch.ones(400, 1000)
    y = FastDropout(p).train()(x)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - p) < 4 * (p * (1 - p) / x.numel()) ** 0.5 + 1e-4
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / (1 - round(p * 2**16) / 2**16)))
    assert abs(y.mean().item() - 1.0) < 0.01


def test_odd_sizes_seeded_and_off_in_eval():
    drop = FastDropout(0.3).train()
    x = torch.randn(3, 5, 7)  # 105 elements, not a multiple of 4: part of a 64-bit word is left over
    torch.manual_seed(1)
    a = drop(x)
    torch.manual_seed(1)
    b = drop(x)
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(drop(x), a)  # a fresh mask each call
    assert drop.eval()(x) is x


def test_gradient_is_masked_and_scaled():
    torch.manual_seed(0)
    x = torch.randn(64, 32, requires_grad=True)
    y = FastDropout(0.25).train()(x)
    y.sum().backward()
    expected = (y.detach() != 0).float() / 0.75  # 0.25 is a multiple of 2^-16: exact
    assert torch.allclose(x.grad, expected)


def test_swaps_every_lora_dropout():
    model = get_peft_model(
        tiny_random_model(), LoraConfig(r=4, lora_alpha=8, lora_dropout=0.05, target_modules="all-linear")
    )
    n_branches = sum(
        1 for m in model.modules() if isinstance(getattr(m, "lora_dropout", None), torch.nn.ModuleDict)
    )
    assert use_fast_lora_dropout(model) == n_branches > 0
    assert not any(type(m) is torch.nn.Dropout and m.p > 0 for m in model.modules() if m is not model)
    assert use_fast_lora_dropout(model) == 0  # idempotent


def test_rejects_bad_probability():
    with pytest.raises(ValueError, match="dropout probability"):
        FastDropout(1.0)

"""Fused LoRA layers (use_fused_lora): the same outputs, gradients and dropout masks as PEFT's LoRA layer,
and PEFT's path where the fused one does not apply."""

from __future__ import annotations

import copy

import pytest
import torch
from peft import LoraConfig, get_peft_model

from supportbot.core.models import tiny_random_model
from supportbot.train.dropout import use_fast_lora_dropout
from supportbot.train.fused_lora import use_fused_lora


def _pair(dropout: float, fast_dropout: bool):
    """A tiny LoRA model (B initialised non-zero so the branch matters) and its fused copy."""
    torch.manual_seed(0)
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=dropout, target_modules="all-linear")
    peft_model = get_peft_model(tiny_random_model(), cfg)
    if fast_dropout:
        use_fast_lora_dropout(peft_model)
    for name, p in peft_model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.05)
    fused = copy.deepcopy(peft_model)
    n = use_fused_lora(fused)
    assert n == sum(1 for name, _ in fused.named_modules() if name.endswith("proj")) > 0
    return peft_model.train(), fused.train()


def _loss_and_grads(model, ids):
    torch.manual_seed(123)  # the same dropout draws on both sides
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad()
    return loss.detach(), grads


@pytest.mark.parametrize(("dropout", "fast_dropout"), [(0.0, False), (0.1, False), (0.1, True)])
def test_same_loss_and_gradients_as_peft(dropout, fast_dropout):
    peft_model, fused = _pair(dropout, fast_dropout)
    ids = torch.randint(0, peft_model.config.vocab_size, (2, 12))
    loss_p, grads_p = _loss_and_grads(peft_model, ids)
    loss_f, grads_f = _loss_and_grads(fused, ids)
    assert torch.allclose(loss_p, loss_f, atol=1e-6)
    assert grads_p.keys() == grads_f.keys() and any("lora_A" in n for n in grads_p)
    for name in grads_p:
        assert torch.allclose(grads_p[name], grads_f[name], atol=1e-6, rtol=1e-4), name


def test_dropout_changes_the_step_so_the_masks_really_match():
    peft_model, fused = _pair(0.5, True)
    ids = torch.randint(0, peft_model.config.vocab_size, (2, 12))
    loss_a, _ = _loss_and_grads(fused, ids)
    torch.manual_seed(999)
    loss_b = fused(input_ids=ids, labels=ids).loss.detach()
    assert not torch.allclose(loss_a, loss_b)  # another seed, other masks: the masks are in the fused path


def test_eval_disabled_adapter_and_merge_take_the_peft_path():
    peft_model, fused = _pair(0.1, True)
    ids = torch.randint(0, peft_model.config.vocab_size, (1, 8))
    peft_model.eval(), fused.eval()
    with torch.no_grad():
        assert torch.allclose(peft_model(input_ids=ids).logits, fused(input_ids=ids).logits, atol=1e-6)
        with fused.disable_adapter():
            base = fused(input_ids=ids).logits
        merged = fused.merge_and_unload()(input_ids=ids).logits
    assert not torch.allclose(base, merged)
    assert torch.allclose(merged, peft_model(input_ids=ids).logits, atol=1e-5)


def test_install_is_idempotent_and_skips_dora():
    _, fused = _pair(0.0, False)
    assert use_fused_lora(fused) == 0
    dora = get_peft_model(
        tiny_random_model(), LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", use_dora=True)
    )
    assert use_fused_lora(dora) == 0

"""The labelled-positions loss equals the stock causal-LM loss, in value and in gradients."""

from __future__ import annotations

import pytest
import torch
from peft import LoraConfig, get_peft_model

from supportbot.core.models import tiny_random_model
from supportbot.train.loss import labelled_positions_loss, plain_head_parts


def _batch(vocab: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (2, 24), generator=g)
    labels = ids.clone()
    labels[:, :10] = -100  # prompt
    labels[1, 20:] = -100  # padding
    position_ids = torch.cat([torch.arange(12), torch.arange(12)]).repeat(2, 1)  # two packed examples per row
    return {"input_ids": ids, "position_ids": position_ids, "labels": labels}


def _lora_grads(model) -> list[torch.Tensor]:
    return [p.grad.clone() for n, p in model.named_parameters() if p.requires_grad]


@pytest.mark.parametrize("num_items", [None, 23])
def test_equals_stock_loss_and_gradients(num_items):
    torch.manual_seed(0)
    model = get_peft_model(tiny_random_model(), LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    for _, p in model.named_parameters():  # B is zero-initialised: give the adapter a real gradient path
        if p.requires_grad:
            torch.nn.init.normal_(p, std=0.02)
    model.eval()  # no dropout: both paths must see the same activations
    model.config.use_cache = False  # as in training: without a cache the packed rows get block-diagonal masks
    batch = _batch(model.config.vocab_size)
    extra = {} if num_items is None else {"num_items_in_batch": torch.tensor(num_items)}

    stock = model(**batch, **extra).loss
    stock.backward()
    stock_grads = _lora_grads(model)
    model.zero_grad()

    inputs = {k: v for k, v in batch.items() if k != "labels"}
    ours = labelled_positions_loss(
        *plain_head_parts(model), inputs, batch["labels"], extra.get("num_items_in_batch")
    )
    ours.backward()

    assert torch.allclose(ours, stock, atol=1e-5), (ours.item(), stock.item())
    for a, b in zip(_lora_grads(model), stock_grads, strict=True):
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def test_unknown_architecture_keeps_the_stock_forward():
    model = tiny_random_model()
    model.config.model_type = "gemma2"  # soft-capped logits: lm_head(hidden) is not the whole story
    assert plain_head_parts(model) is None


def test_micro_batch_without_labels_gives_zero_loss_with_a_graph():
    model = get_peft_model(tiny_random_model(), LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    batch = _batch(model.config.vocab_size)
    labels = torch.full_like(batch["labels"], -100)
    loss = labelled_positions_loss(*plain_head_parts(model), {"input_ids": batch["input_ids"]}, labels)
    assert loss.item() == 0.0 and loss.requires_grad

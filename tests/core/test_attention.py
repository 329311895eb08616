"""sdpa_gqa: the same outputs and gradients as transformers' sdpa, on padded batches and packed rows."""

from __future__ import annotations

import torch

from supportbot.core.attention import NAME, use_gqa_attention
from supportbot.core.config import GenerationConfig
from supportbot.core.generation import generate
from supportbot.core.models import load_model, tiny_random_model


def test_cpu_models_with_grouped_heads_load_with_gqa_attention():
    lm = load_model("tiny-random")
    assert lm.model.config._attn_implementation == NAME
    assert not use_gqa_attention(lm.model)  # already switched


def test_padded_batch_generation_is_identical_to_sdpa():
    lm = load_model("tiny-random")
    cfg = GenerationConfig(max_new_tokens=12, temperature=0.0)
    msgs = [[{"role": "user", "content": t}] for t in ("hi", "how do I reset my MPIN " * 12, "upi limit")]
    ours = [g.text for g in generate(lm, msgs, cfg)]
    lm.model.set_attn_implementation("sdpa")
    assert [g.text for g in generate(lm, msgs, cfg)] == ours


def test_packed_rows_give_the_same_loss_and_gradients():
    ids = torch.randint(0, 1000, (2, 24))
    pos = torch.tensor([list(range(10)) + list(range(14)), list(range(24))])  # row 0 packs two examples
    results = []
    for impl in ("sdpa", NAME):
        model = tiny_random_model()
        if impl == NAME:
            assert use_gqa_attention(model)
        out = model(input_ids=ids, position_ids=pos, labels=ids)
        out.loss.backward()
        grad = model.model.layers[0].self_attn.k_proj.weight.grad
        results.append((out.loss.detach(), grad.clone()))
    assert torch.allclose(results[0][0], results[1][0], atol=1e-5)
    assert torch.allclose(results[0][1], results[1][1], atol=1e-5)

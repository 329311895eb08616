"""Causal-LM loss computed only where there is a label.

A stock forward projects every position onto the vocabulary (49k columns for SmolLM2) and the cross-entropy
then ignores the prompt positions. In SFT most positions are prompt (system prompt, context, question), so
most of the LM-head matmul, its backward and the big logits tensor are wasted. Here the decoder's hidden
states are gathered at the labelled positions first and only those go through the LM head.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

# Architectures whose logits are exactly lm_head(last hidden state): no soft-capping, logit scaling or
# auxiliary router loss that the shortcut would silently drop. Anything else keeps the stock forward.
PLAIN_HEAD_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3", "phi3", "smollm3", "olmo2"})


def plain_head_parts(model: Any) -> tuple[Any, Any] | None:
    """(decoder, lm_head) of a causal LM (PEFT-wrapped or not) whose logits are lm_head(hidden), else None."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(base.config, "model_type", None) not in PLAIN_HEAD_TYPES:
        return None
    decoder = base.get_decoder() if hasattr(base, "get_decoder") else None
    head = base.get_output_embeddings()
    if decoder is None or head is None:
        return None
    return decoder, head


def labelled_positions_loss(
    decoder: Any,
    lm_head: Any,
    inputs: dict[str, torch.Tensor],
    labels: torch.Tensor,
    num_items_in_batch: torch.Tensor | int | None = None,
) -> torch.Tensor:
    """Next-token cross-entropy over the labelled positions only, equal to the stock causal-LM loss.

    Like transformers' `ForCausalLMLoss`: position t predicts label t+1; the mean over labelled tokens, or
    their sum divided by `num_items_in_batch` (the Trainer's count across gradient-accumulation steps).
    """
    hidden = decoder(**inputs, use_cache=False).last_hidden_state
    targets = labels[:, 1:]
    keep = targets != -100
    picked = hidden[:, :-1][keep]  # (n_labelled, hidden)
    logits = lm_head(picked).float()
    if num_items_in_batch is None:
        if picked.shape[0] == 0:
            return logits.sum() * 0.0  # no label in this micro-batch: zero loss that still has a graph
        return F.cross_entropy(logits, targets[keep])
    total = F.cross_entropy(logits, targets[keep], reduction="sum")
    if torch.is_tensor(num_items_in_batch):
        num_items_in_batch = num_items_in_batch.to(total.device)
    return total / num_items_in_batch

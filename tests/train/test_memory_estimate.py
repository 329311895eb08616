"""The training memory estimate: which activations count (blocks reached by backward, eager attention)."""

from __future__ import annotations

from supportbot.core.models import tiny_random_model
from supportbot.train.lora import ParamReport, memory_estimate

PARAMS = ParamReport(trainable=1_000, total=1_000_000)


def _acts(model, **kw) -> float:
    args = {"weight_bits": 32, "micro_batch": 4, "seq_len": 256, "gradient_checkpointing": False, **kw}
    return memory_estimate(model, PARAMS, **args)["activations"]


def test_fewer_trained_blocks_and_checkpointing_keep_fewer_activations():
    model = tiny_random_model()
    layers = model.config.num_hidden_layers
    assert layers >= 2
    all_blocks = _acts(model)
    assert _acts(model, trained_layers=1) < all_blocks
    assert _acts(model, trained_layers=layers) == all_blocks == _acts(model, trained_layers=None)
    checkpointed = _acts(model, gradient_checkpointing=True)
    assert checkpointed < all_blocks
    # enable_input_require_grads puts every checkpointed block in the graph, top_layers or not
    assert _acts(model, gradient_checkpointing=True, trained_layers=1) == checkpointed


def test_only_eager_attention_keeps_the_attention_matrix():
    model = tiny_random_model()
    model.config._attn_implementation = "sdpa"
    sdpa = _acts(model)
    model.config._attn_implementation = "eager"
    assert _acts(model) > sdpa


def test_parts_add_up_and_weights_follow_the_bit_width():
    model = tiny_random_model()
    est = memory_estimate(model, PARAMS, 4, 1, 64, False)
    assert abs(est["total"] - sum(v for k, v in est.items() if k != "total")) < 1e-12
    w8, w32 = (memory_estimate(model, PARAMS, bits, 1, 64, False)["weights"] for bits in (8, 32))
    assert w32 == 4 * w8 and est["weights"] < w8


def test_fsdp_shards_split_the_model_state_but_not_the_activations():
    model = tiny_random_model()
    layers = model.config.num_hidden_layers
    one = memory_estimate(model, PARAMS, 32, 1, 64, False)
    two = memory_estimate(model, PARAMS, 32, 1, 64, False, shards=2)
    # half the weights, plus one decoder layer gathered whole at a time
    assert abs(two["weights"] - (one["weights"] / 2 + one["weights"] / layers)) < 1e-12
    for part in ("adapter", "gradients", "optimizer"):
        assert abs(two[part] - one[part] / 2) < 1e-15
    assert two["activations"] == one["activations"] and two["total"] < one["total"]

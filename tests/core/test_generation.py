"""Generation: chat template, batching, greedy determinism, streaming."""

from supportbot.core.config import GenerationConfig
from supportbot.core.generation import decoding_kwargs, generate, stream
from supportbot.core.prompt import build_messages


def test_build_messages_orders_system_history_question():
    msgs = build_messages(
        "q2", "sys", [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}]
    )
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[-1]["content"] == "q2"


def test_temperature_zero_is_greedy(tiny_lm):
    kwargs = decoding_kwargs(GenerationConfig(temperature=0), tiny_lm.tokenizer)
    assert kwargs["do_sample"] is False
    assert tiny_lm.tokenizer.convert_tokens_to_ids("<|im_end|>") in kwargs["eos_token_id"]


def test_batched_greedy_generation_is_deterministic(tiny_lm):
    cfg = GenerationConfig(max_new_tokens=8, repetition_penalty=1.0)
    batch = [build_messages("How do I reset my MPIN?", "sys"), build_messages("Refund status?", "sys")]
    first = generate(tiny_lm, batch, cfg)
    second = generate(tiny_lm, batch, cfg)
    assert len(first) == 2
    assert [g.text for g in first] == [g.text for g in second]
    assert all(0 < g.tokens_out <= 8 and g.tokens_in > 0 for g in first)


def test_left_padding_does_not_change_an_answer(tiny_lm):
    cfg = GenerationConfig(max_new_tokens=6, repetition_penalty=1.0)
    short = build_messages("Hi", "sys")
    long = build_messages("A much longer question about a failed UPI payment and refunds", "sys")
    [alone] = generate(tiny_lm, [short], cfg)
    batched = generate(tiny_lm, [short, long], cfg)
    assert batched[0].text == alone.text


def test_stream_matches_generate(tiny_lm):
    cfg = GenerationConfig(max_new_tokens=8, repetition_penalty=1.0)
    msgs = build_messages("Where is my refund?", "sys")
    [full] = generate(tiny_lm, [msgs], cfg)
    assert "".join(stream(tiny_lm, msgs, cfg)).strip() == full.text

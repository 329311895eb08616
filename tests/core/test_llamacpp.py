"""The llamacpp backend on the tiny model: same greedy ids as transformers (base and LoRA), batching, stops.

The GGUFs are converted by llama.cpp's own converters (make setup-llamacpp) from the tiny model and a LoRA
with large random B weights, so a broken conversion or a dropped adapter changes the ids and fails here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from supportbot.core.config import GenerationConfig, GgufConfig
from supportbot.core.generation import Row, decode
from supportbot.core.prompt import build_messages

if os.environ.get("SUPPORTBOT_REQUIRE_LLAMACPP") != "1":
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (make setup-llamacpp)")

QUESTIONS = ["How do I reset my MPIN?", "My refund has not arrived after 5 days", "Hi"]
STEPS = 12


@pytest.fixture(scope="module")
def tiny_adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ..serve.conftest import make_adapter

    return make_adapter(tmp_path_factory.mktemp("lora") / "adapter", 7)


@pytest.fixture(scope="module")
def cpp_lm():
    from supportbot.core.runtime import load_runtime

    lm = load_runtime("tiny-random", backend="llamacpp", gguf=GgufConfig(type="f32", n_ctx=2048, n_seq=4))
    yield lm
    lm.model.close()


def prompt_ids(tokenizer, question: str) -> list[int]:
    text = tokenizer.apply_chat_template(
        build_messages(question, "sys"), tokenize=False, add_generation_prompt=True
    )
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def hf_greedy(model, ids: list[int], steps: int = STEPS) -> list[int]:
    with torch.inference_mode():
        out = model.generate(
            torch.tensor([ids]),
            attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            max_new_tokens=steps,
            min_new_tokens=steps,
            do_sample=False,
            pad_token_id=0,
        )
    return out[0, len(ids) :].tolist()


def cpp_greedy(runtime, prompts: list[list[int]], steps: int = STEPS) -> list[list[int]]:
    return runtime.run(
        prompts, [steps] * len(prompts), lambda i, ids, logits: int(logits.argmax()), lambda i, new: True
    )


def test_greedy_ids_match_transformers_in_one_batch(tiny_lm, cpp_lm):
    prompts = [prompt_ids(tiny_lm.tokenizer, q) for q in QUESTIONS]
    expected = [hf_greedy(tiny_lm.model, p) for p in prompts]
    assert cpp_greedy(cpp_lm.model, prompts) == expected
    # one at a time gives the same ids as the batch (sequences do not leak into each other)
    assert [cpp_greedy(cpp_lm.model, [p])[0] for p in prompts] == expected


def test_a_lora_adapter_changes_the_ids_as_peft_does(tiny_lm, cpp_lm, tiny_adapter):
    from peft import PeftModel

    from supportbot.core.gguf import lora_gguf
    from supportbot.core.models import tiny_random_model

    prompts = [prompt_ids(tiny_lm.tokenizer, q) for q in QUESTIONS[:2]]
    peft = PeftModel.from_pretrained(tiny_random_model(), tiny_adapter).eval()
    expected = [hf_greedy(peft, p) for p in prompts]
    base = [hf_greedy(tiny_lm.model, p) for p in prompts]
    assert expected != base  # the adapter matters, so the comparison below can fail

    runtime = cpp_lm.model
    runtime.load_adapter("t", lora_gguf(tiny_adapter, "tiny-random"))
    try:
        with runtime.use_adapter("t"):
            assert cpp_greedy(runtime, prompts) == expected
        assert cpp_greedy(runtime, prompts) == base  # switched back to the bare base
    finally:
        runtime.remove_adapter("t")


def test_decode_matches_the_hf_backend(tiny_lm, cpp_lm):
    cfg = GenerationConfig(max_new_tokens=10, repetition_penalty=1.3)
    rows = [Row(build_messages(q, "sys")) for q in QUESTIONS]
    want = decode(tiny_lm, rows, cfg)
    got = decode(cpp_lm, [Row(build_messages(q, "sys")) for q in QUESTIONS], cfg)
    assert [(g.text, g.tokens_in, g.tokens_out, g.finish_reason) for g in got] == [
        (g.text, g.tokens_in, g.tokens_out, g.finish_reason) for g in want
    ]


def test_per_row_budgets_and_the_deadline(cpp_lm):
    from supportbot.core.generation import DEADLINE

    polls = {"n": 0}

    def deadline_after_three_polls() -> str | None:
        polls["n"] += 1
        return DEADLINE if polls["n"] >= 3 else None

    cfg = GenerationConfig(max_new_tokens=10, repetition_penalty=1.0)
    rows = [
        Row(build_messages(QUESTIONS[0], "sys"), max_new_tokens=4),
        Row(build_messages(QUESTIONS[1], "sys"), should_stop=deadline_after_three_polls),
    ]
    short, cut = decode(cpp_lm, rows, cfg)
    assert short.tokens_out <= 4
    assert cut.tokens_out == 3 and cut.finish_reason == "length" and cut.deadline_cut


def test_a_prompt_longer_than_the_context_is_refused_with_the_numbers(cpp_lm):
    rows = [Row(build_messages("refund " * 3000, "sys"))]
    with pytest.raises(ValueError, match="n_ctx 2048"):
        decode(cpp_lm, rows, GenerationConfig(max_new_tokens=8))


def test_an_unknown_gguf_type_names_the_choices():
    from supportbot.core.errors import ModelNotFoundError
    from supportbot.core.gguf import base_gguf

    with pytest.raises(ModelNotFoundError, match="q4_k_m"):
        base_gguf("tiny-random", "q3_xs")


def test_relative_paths_convert_although_the_converter_runs_elsewhere(tiny_adapter, monkeypatch):
    from supportbot.core.gguf import lora_gguf

    monkeypatch.chdir(tiny_adapter.parent)
    out = lora_gguf(Path(tiny_adapter.name), "tiny-random", out=Path("relative.gguf"))
    assert out == tiny_adapter.parent / "relative.gguf" and out.stat().st_size > 0


def test_guided_json_decoding_gives_the_contract_and_the_hf_backends_answer(tiny_lm, cpp_lm):
    from supportbot.grounded.enforce import validate_output
    from supportbot.grounded.guided import ContractGrammar, Vocab

    vocab = Vocab.of(tiny_lm.tokenizer)
    allowed = ["KB-016#0", "KB-016#1", "KB-014#0"]

    def rows() -> list[Row]:
        grammar = ContractGrammar.build(vocab, allowed, 160)
        return [Row([{"role": "user", "content": "OTP never came"}], max_new_tokens=160, constraint=grammar)]

    cfg = GenerationConfig()
    [got] = decode(cpp_lm, rows(), cfg)
    response, errors = validate_output(got.text, set(allowed))
    assert errors == [] and set(response.citations) <= set(allowed), (errors, got.text)
    [want] = decode(tiny_lm, rows(), cfg)
    assert (got.text, got.tokens_out, got.finish_reason) == (want.text, want.tokens_out, want.finish_reason)

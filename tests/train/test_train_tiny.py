"""End-to-end training of the tiny model: run dir contract, metrics, divergence stop, quantisation errors."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from supportbot.config import load_recipe
from supportbot.core.errors import ConfigError
from supportbot.train.run import TrainingDivergedError, train

from .conftest import tiny_overrides, write_splits


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One real tiny-random training run shared by the run-dir tests."""
    root = tmp_path_factory.mktemp("tiny")
    data = write_splits(root / "processed")
    return train(load_recipe(None, tiny_overrides(data, root / "runs", **{"train.run_name": "tiny"})))


def test_run_dir_holds_config_provenance_log_metrics_and_best_adapter(tiny_run):
    run = tiny_run.run
    for name in ("config.yaml", "run.json", "train.log", "metrics.jsonl", "samples.jsonl"):
        assert (run.root / name).is_file(), name
    manifest = json.loads(run.manifest.read_text())
    assert manifest["base_model"] == "tiny-random" and manifest["status"] == "completed"
    assert manifest["data"]["dataset_hash"] == "sha256:test"
    assert manifest["versions"]["transformers"] and manifest["versions"]["peft"]
    assert "commit" in manifest["git"] and manifest["hardware"]["cpu_count"]
    assert 0 < manifest["trainable_percent"] < 100 and manifest["memory_estimate_gib"]["total"] > 0
    assert (run.adapter / "adapter_config.json").is_file()
    assert json.loads((run.adapter / "supportbot.json").read_text()) == {"base_model": "tiny-random"}
    assert (run.root.parent / "last").resolve() == run.root
    assert "lr: 0.005" in run.config.read_text()


def test_training_lowers_val_perplexity_below_the_base_model(tiny_run):
    s = tiny_run.run.read_manifest()
    assert s["best_val_perplexity"] < s["base_val_perplexity"]


def test_each_log_has_loss_lr_grad_norm_tokens_per_s_and_memory_and_each_eval_perplexity(tiny_run):
    rows = [json.loads(x) for x in tiny_run.run.metrics.read_text().splitlines()]
    train_rows = [r for r in rows if "loss" in r]
    eval_rows = [r for r in rows if "eval_loss" in r]
    assert len(train_rows) >= 6 and len(eval_rows) == 3
    for r in train_rows:
        assert {"learning_rate", "grad_norm", "tokens_per_s", "memory_mb"} <= set(r)
        assert r["tokens_per_s"] > 0 and r["memory_mb"] > 0
    assert all(
        abs(r["eval_perplexity"] - 2.718281828 ** r["eval_loss"]) < 1e-3 * r["eval_perplexity"]
        for r in eval_rows
    )
    samples = [json.loads(x) for x in tiny_run.run.samples.read_text().splitlines()]
    assert {s["step"] for s in samples} == {0, 4, 8, 12} and all("generated" in s for s in samples)


def test_checkpoints_keep_last_k_plus_best_with_optimizer_and_scheduler_state(tiny_run):
    ckpts = sorted(tiny_run.run.checkpoints.glob("checkpoint-*"))
    assert 1 <= len(ckpts) <= 2
    for c in ckpts:
        assert (
            (c / "optimizer.pt").is_file()
            and (c / "scheduler.pt").is_file()
            and (c / "rng_state.pth").is_file()
        )


def test_trained_run_dir_loads_for_inference(tiny_run):
    from supportbot.core.models import load_model

    lm = load_model(str(tiny_run.run.root))
    assert lm.adapter and lm.name == "tiny-random"


def test_absurd_lr_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path):
    data = write_splits(tmp_path / "processed")
    # warmup starts at lr 0, so step 1 is good and checkpointed; the next update overflows fp32 to NaN
    extra = {
        "train.lr": 1e36,
        "train.scheduler": "linear",
        "train.warmup_ratio": 0.25,
        "train.max_steps": 16,
        "train.logging_steps": 1,
        "train.eval_steps": 1,
        "train.save_steps": 1,
        "train.save_total_limit": 5,
    }
    with pytest.raises(
        TrainingDivergedError, match=r"training stopped at step \d+: (val )?(loss|grad norm) is nan"
    ) as err:
        train(load_recipe(None, tiny_overrides(data, tmp_path / "runs", **extra)))
    run_dir = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "diverged"
    stop = manifest["diverged"]["step"]
    saved = sorted(int(p.name.split("-")[1]) for p in (run_dir / "checkpoints").glob("checkpoint-*"))
    assert saved and max(saved) < stop  # nothing written after the blow-up
    assert f"checkpoint-{max(saved)}" in str(err.value)
    assert (
        manifest["best_val_perplexity"] < manifest["base_val_perplexity"] * 1.01
    )  # the kept adapter is finite


@pytest.fixture
def bitsandbytes_without_cpu_backend(monkeypatch):
    """bitsandbytes as an older release without a CPU backend behaves: its kernels cannot be imported."""
    if torch.cuda.is_available():
        pytest.skip("on CUDA bitsandbytes quantises; this is about a CPU without its backend")
    monkeypatch.setitem(sys.modules, "bitsandbytes.functional", None)


def test_4bit_where_bitsandbytes_cannot_quantise_fails_at_once_naming_the_key(
    tmp_path, bitsandbytes_without_cpu_backend
):
    data = write_splits(tmp_path / "processed")
    with pytest.raises(ConfigError, match=r"train.quantization.bits=4: .*bitsandbytes.*--allow-fallback"):
        train(load_recipe(None, tiny_overrides(data, tmp_path / "runs", **{"train.quantization.bits": 4})))


def test_allow_fallback_trains_unquantised_and_says_so(tmp_path, capsys, bitsandbytes_without_cpu_backend):
    data = write_splits(tmp_path / "processed", n_train=8, n_val=2)
    res = train(
        load_recipe(
            None,
            tiny_overrides(data, tmp_path / "runs", **{"train.quantization.bits": 8, "train.max_steps": 4}),
        ),
        allow_fallback=True,
    )
    assert "falling back to unquantised 32-bit" in capsys.readouterr().out
    assert res.run.read_manifest()["quantization_bits"] == 32


def test_a_run_shorter_than_eval_steps_still_ends_with_a_best_adapter(tmp_path):
    """The final step is always evaluated and saved, so every completed run has `adapter/`."""
    data = write_splits(tmp_path / "processed")
    result = train(load_recipe(None, tiny_overrides(data, tmp_path / "runs", **{"train.max_steps": 3})))
    s = result.run.read_manifest()
    assert s["status"] == "completed" and s["best_step"] == 3 and s["final_val_loss"] is not None
    assert (result.run.adapter / "adapter_model.safetensors").is_file()
    evals = [json.loads(line) for line in result.run.metrics.read_text().splitlines()]
    assert [e["step"] for e in evals if "eval_loss" in e] == [3]


def test_bad_step_settings_are_a_config_error_naming_the_keys(tmp_path):
    with pytest.raises(ConfigError, match="save_steps"):
        train(load_recipe(None, tiny_overrides(tmp_path, tmp_path / "runs", **{"train.save_steps": 5})))


def test_missing_split_is_a_data_error_naming_the_file(tmp_path):
    from supportbot.core.errors import DataError

    (tmp_path / "processed").mkdir()
    with pytest.raises(DataError, match=r"train.jsonl"):
        train(load_recipe(None, tiny_overrides(tmp_path / "processed", tmp_path / "runs")))


def test_report_writes_plots_and_a_convergence_summary(tiny_run):
    from supportbot.train.report import write_report

    rep = write_report(tiny_run.run.root)
    assert {p.name for p in rep.plots} == {"loss.png", "lr.png", "grad_norm.png"}
    assert all(p.stat().st_size > 1000 for p in rep.plots)
    assert "val perplexity: base" in rep.markdown and rep.findings["best_step"] == 12
    assert rep.findings["perplexity_vs_base"] < 1


def test_report_flags_overfitting_when_val_loss_rises_after_its_best():
    from supportbot.train.report import analyse

    rows = [
        {"step": s, "loss": 2.0 - s / 100, "eval_loss": v, "epoch": s / 10}
        for s, v in ((10, 2.0), (20, 1.5), (30, 1.7))
    ]
    f = analyse(rows, {"base_val_perplexity": 10.0})
    assert f["best_step"] == 20 and any("overfitting" in s for s in f["signs"])


def test_sweep_runs_the_grid_and_writes_markdown_and_csv(tmp_path, repo_root):
    import csv

    import yaml

    from supportbot.config import SupportbotConfig
    from supportbot.train.sweep import run_sweep

    data = write_splits(tmp_path / "processed", n_train=8, n_val=2)
    sets = dict(o.split("=", 1) for o in tiny_overrides(data, tmp_path / "runs", **{"train.max_steps": 4}))
    sets["train.lora.top_layers"] = None  # quick.yaml adapts 6 blocks; the tiny model has 2
    spec = {
        "base": str(repo_root / "configs" / "quick.yaml"),
        "set": sets,
        "grid": {"train.lr": [1e-3, 5e-3]},
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec))
    rows = run_sweep(path, SupportbotConfig)
    assert len(rows) == 2 and all(r["status"] == "completed" for r in rows)
    sweep_dir = next((tmp_path / "runs" / "sweeps").iterdir())
    table = list(csv.DictReader((sweep_dir / "sweep.csv").open()))
    assert [t["params"] for t in table] == ["train.lr=0.001", "train.lr=0.005"]
    assert all(float(t["best_val_perplexity"]) > 0 and float(t["peak_memory_mb"]) > 0 for t in table)
    assert "| run_id |" in (sweep_dir / "sweep.md").read_text()


def test_retrieval_augmented_run_trains_on_retrieved_context_and_records_it(tmp_path, repo_root):
    data = write_splits(tmp_path / "processed", n_train=8, n_val=2)
    ctx = {
        "train.context.index_dir": tmp_path / "idx",
        "train.context.kb_dir": repo_root / "data" / "sample" / "kb",
        "train.context.k": 2,
        "train.max_length": 256,
        "train.max_steps": 4,
    }
    res = train(load_recipe(None, tiny_overrides(data, tmp_path / "runs", **ctx)))
    meta = json.loads((res.run.adapter / "supportbot.json").read_text())
    assert meta["context"]["k"] == 2 and meta["context"]["index_dir"] == str(tmp_path / "idx")
    # the rendered training prompts carried the context: far more tokens than the bare examples
    plain = train(
        load_recipe(
            None,
            tiny_overrides(data, tmp_path / "runs-plain", **{"train.max_length": 256, "train.max_steps": 4}),
        )
    )
    tokens = [r.run.read_manifest()["data"]["stats"]["train"]["tokens"] for r in (res, plain)]
    assert tokens[0] > tokens[1] + 8 * 20

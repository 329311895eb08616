"""precision: auto decides from the machine: no bf16 units -> fp32 without probing; bf16 units -> measured.
MFU (train/mfu.py) is logged with every train step and summarised in the report."""

from __future__ import annotations

import json

import pytest
import torch

from supportbot.config import load_recipe
from supportbot.core.errors import ConfigError
from supportbot.train.precision import FLAGS_ENV, LOSS_TOLERANCE, MIN_SPEEDUP, check_loss, choose_precision
from supportbot.train.run import train

from .conftest import tiny_overrides


def _run(processed, tmp_path, monkeypatch, flags: str, **extra):
    monkeypatch.setenv(FLAGS_ENV, flags)
    result = train(
        load_recipe(None, tiny_overrides(processed, tmp_path / "runs", **{"train.max_steps": 4, **extra}))
    )
    return json.loads(result.run.manifest.read_text()), result


def test_a_cpu_without_bf16_units_trains_fp32_and_does_not_probe(processed, tmp_path, monkeypatch):
    manifest, _ = _run(processed, tmp_path, monkeypatch, "avx2,fma")
    choice = manifest["precision_choice"]
    assert manifest["precision"] == choice["precision"] == "fp32"
    assert "no avx512_bf16 / amx_bf16" in choice["reason"] and choice["gemm_gflops"] == {}


def test_a_cpu_with_bf16_units_measures_and_records_why(processed, tmp_path, monkeypatch):
    manifest, result = _run(processed, tmp_path, monkeypatch, "avx2,avx512_bf16")
    choice = manifest["precision_choice"]
    assert choice["cpu_flags"] == ["avx512_bf16"]
    speed = choice["gemm_gflops"]
    assert speed["fp32"] > 0 and speed["bf16"] > 0  # the probe ran on this machine
    faster = speed["bf16"] / speed["fp32"] >= MIN_SPEEDUP
    if not faster:
        assert manifest["precision"] == "fp32" and "ran" in choice["reason"]
        return
    # bf16 was faster: the val-loss check ran, and the run trained in what it decided
    fp32, bf16 = choice["val_loss"]["fp32"], choice["val_loss"]["bf16"]
    same = abs(bf16 - fp32) / fp32 <= LOSS_TOLERANCE
    assert manifest["precision"] == ("bf16" if same else "fp32")
    assert manifest["status"] == "completed"


def test_explicit_bf16_trains_with_bf16_frozen_weights_and_fp32_lora(processed, tmp_path, monkeypatch):
    manifest, result = _run(processed, tmp_path, monkeypatch, "amx_bf16", **{"train.precision": "bf16"})
    assert manifest["precision"] == "bf16" and manifest["status"] == "completed"
    metrics = [json.loads(line) for line in result.run.metrics.read_text().splitlines()]
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in metrics if "loss" in r)


def test_explicit_bf16_without_bf16_units_is_a_clear_error():
    with pytest.raises(ConfigError, match="no bf16 units"):
        choose_precision("bf16", cuda=False, flags={"avx2"})
    with pytest.raises(ConfigError, match="fp16 training needs a GPU"):
        choose_precision("fp16", cuda=False, flags={"amx_bf16"})


def test_the_loss_check_sends_a_lossy_bf16_back_to_fp32():
    kept = check_loss(choose_precision("bf16", cuda=False, flags={"amx_bf16"}), 2.0, 2.01)
    assert kept.precision == "bf16" and "within 0.50%" in kept.reason
    dropped = check_loss(choose_precision("bf16", cuda=False, flags={"amx_bf16"}), 2.0, 2.2)
    assert dropped.precision == "fp32" and "10.00%" in dropped.reason


def test_mfu_is_logged_per_step_and_in_the_report(processed, tmp_path, monkeypatch):
    from supportbot.train.mfu import flops_per_token

    manifest, result = _run(processed, tmp_path, monkeypatch, "avx2")
    rows = [json.loads(line) for line in result.run.metrics.read_text().splitlines()]
    steps = [r for r in rows if "loss" in r and "tokens_per_s" in r]
    assert steps and all(0 < r["mfu"] < 1 for r in steps)
    peak = manifest["gemm_peak_gflops"]["value"]
    for r in steps:  # mfu = real tokens/s x FLOPs per token / measured peak
        assert abs(r["mfu"] - r["tokens_per_s"] * manifest["flops_per_token"] / 1e9 / peak) < 2e-3
    from supportbot.train.report import write_report

    report = write_report(result.run.root).path.read_text()
    assert "MFU" in report and "GFLOP/s GEMM peak" in report
    assert "memory: peak" in report and "against an estimate of" in report
    from peft import LoraConfig, get_peft_model

    from supportbot.core.models import tiny_random_model

    lora = get_peft_model(
        tiny_random_model(), LoraConfig(r=4, target_modules=["q_proj"], layers_to_transform=[1])
    )
    frozen_only = flops_per_token(lora)
    full = get_peft_model(tiny_random_model(), LoraConfig(r=4, target_modules=["q_proj"]))
    assert flops_per_token(full) > frozen_only  # backward reaches further down when block 0 is adapted

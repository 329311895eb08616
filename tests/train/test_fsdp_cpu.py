"""FSDP2 in two CPU processes (gloo), launched the way users launch it: `accelerate launch --config_file
configs/accelerate/fsdp.yaml`. The run must really shard (accelerate alone falls back to data parallelism on
CPU), train the adapter a single process trains, resume to the uninterrupted run's numbers, and save a plain
PEFT adapter."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from safetensors.torch import load_file

from supportbot.config import load_recipe
from supportbot.train.run import train
from supportbot.train.rundir import resolve_run_dir

from .conftest import (
    assert_checkpoints_verify,
    assert_same_end,
    sets,
    tiny_overrides,
    two_processes,
    write_splits,
)

STEPS = {
    "train.max_steps": 8,
    "train.save_steps": 2,
    "train.eval_steps": 2,
    "train.logging_steps": 2,
    "train.save_total_limit": 10,
    "train.micro_batch_size": 2,
    "train.eval_base": True,
    "train.num_samples": 1,  # must be switched off under FSDP, not hang rank 0
    "train.precision": "fp32",
    "train.lora.dropout": 0.0,
}


def _launch(repo_root: Path, cwd: Path, args: list[str], config: Path | None = None):
    """Run `accelerate launch --config_file <configs/accelerate/fsdp.yaml> scripts/train.py args` (2 processes)."""
    cmd, env = two_processes(repo_root, args, config or repo_root / "configs" / "accelerate" / "fsdp.yaml")
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=420, cwd=cwd)


@pytest.fixture(scope="module")
def fsdp_run(tmp_path_factory, repo_root):
    """One finished 2-process FSDP run on the tiny model: (its dir, its overrides, the tmp root)."""
    root = tmp_path_factory.mktemp("fsdp")
    over = tiny_overrides(write_splits(root / "processed"), root / "runs", **STEPS)
    res = _launch(repo_root, root, sets(over))
    assert res.returncode == 0, res.stderr[-3000:]
    assert "sample generations: off under FSDP" in res.stdout
    runs = [p for p in (root / "runs").iterdir() if p.name != "last"]
    assert len(runs) == 1
    return runs[0], over, root


def test_two_cpu_processes_really_shard_and_train_the_single_process_adapter(fsdp_run):
    run_dir, over, root = fsdp_run
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "completed" and manifest["world_size"] == 2
    # accelerate on its own reports MULTI_CPU here (plain data parallelism); FSDP means fully_shard ran
    assert manifest["distributed_type"] == "FSDP"
    assert manifest["fsdp"]["version"] == 2 and manifest["fsdp"]["param_dtype"] is None  # fp32: no policy
    digests = manifest["adapter_sha256_by_rank"]
    assert len(digests) == 2 and digests[0] == digests[1]

    # one process seeing the same 4 examples per step (2 micro-batches of 2, accumulated)
    single_over = [o.replace(str(root / "runs"), str(root / "single")) for o in over]
    single = train(load_recipe(None, [*single_over, "train.grad_accum=2"])).run
    one = single.read_manifest()
    assert manifest["base_val_loss"] == pytest.approx(one["base_val_loss"], rel=1e-5)
    assert manifest["final_train_loss"] == pytest.approx(one["final_train_loss"], rel=1e-4)
    assert manifest["final_val_loss"] == pytest.approx(one["final_val_loss"], rel=1e-4)
    # tokens seen are summed over both ranks, not rank 0's count doubled
    seen = [json.loads(x).get("tokens_seen") for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    seen_one = [json.loads(x).get("tokens_seen") for x in single.metrics.read_text().splitlines()]
    assert [n for n in seen if n] == [n for n in seen_one if n] and any(seen)
    sharded = load_file(str(run_dir / "adapter" / "adapter_model.safetensors"))
    whole = load_file(str(single.root / "adapter" / "adapter_model.safetensors"))
    assert sharded.keys() == whole.keys() and len(sharded) > 0
    for name, t in whole.items():
        scale = t.abs().max().item()
        assert (sharded[name] - t).abs().max().item() <= 1e-4 * max(scale, 1e-6), name
    # and training moved it (LoRA's B starts at zero)
    assert any(t.abs().max().item() > 0 for n, t in sharded.items() if "lora_B" in n)


def test_a_resumed_fsdp_run_ends_where_the_uninterrupted_one_did(fsdp_run, repo_root, tmp_path):
    run_dir, _, _ = fsdp_run
    done = json.loads((run_dir / "run.json").read_text())
    # a run that died after checkpoint-4: later checkpoints gone, status not completed
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    for later in ("checkpoint-6", "checkpoint-8"):
        shutil.rmtree(copy / "checkpoints" / later)
    resolve_run_dir(copy).update_manifest(status="interrupted")
    res = _launch(repo_root, tmp_path, ["--resume", str(copy)])
    assert res.returncode == 0, res.stderr[-3000:]
    assert "resuming checkpoint-4" in res.stdout
    resumed = resolve_run_dir(copy).read_manifest()
    assert resumed["status"] == "completed" and resumed["global_step"] == 8
    # through the Trainer's own PEFT resume (load_adapter) this read 10.707 against 10.668
    assert_same_end(resumed, done)


def test_the_saved_adapter_is_plain_peft_on_the_unsharded_base(fsdp_run):
    from peft import PeftModel

    from supportbot.core.models import tiny_random_model

    run_dir, _, _ = fsdp_run
    adapter = run_dir / "adapter"
    plain = PeftModel.from_pretrained(tiny_random_model(), adapter)
    saved = load_file(str(adapter / "adapter_model.safetensors"))
    loaded = {n.replace(".default.", "."): p for n, p in plain.named_parameters() if "lora_" in n}
    assert loaded.keys() == saved.keys()
    assert all(bool((loaded[k] == saved[k]).all()) for k in saved)


def test_bf16_takes_accelerates_fsdp_mixed_precision_policy(repo_root, tmp_path):
    over = tiny_overrides(
        write_splits(tmp_path / "processed"),
        tmp_path / "runs",
        **{**STEPS, "train.max_steps": 4, "train.precision": "bf16", "train.num_samples": 0},
    )
    res = _launch(repo_root, tmp_path, sets(over))
    assert res.returncode == 0, res.stderr[-3000:]
    # accelerate's FSDP2 path upcasts the stored weights once a mixed-precision policy is set
    assert "FSDP upcast of low precision parameters" in res.stderr
    run_dir = next(p for p in (tmp_path / "runs").iterdir() if p.name != "last")
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "completed" and manifest["distributed_type"] == "FSDP"
    assert manifest["precision"] == "bf16" and manifest["final_val_loss"] < manifest["base_val_loss"]
    assert manifest["fsdp"]["param_dtype"] == "torch.bfloat16"


def test_a_preference_run_under_fsdp_says_it_is_not_sharded(repo_root, tmp_path):
    """TRL's trainers do not take supportbot's CPU FSDP switch: the run trains data-parallel and says so."""
    from .test_preference_train import dpo_overrides, write_pairs

    sft = train(
        load_recipe(
            None,
            tiny_overrides(
                write_splits(tmp_path / "processed"), tmp_path / "sft", **{"train.num_samples": 0}
            ),
        )
    )
    over = dpo_overrides(
        write_pairs(tmp_path / "prefs"),
        tmp_path / "runs",
        sft.run.root,
        **{"train.max_steps": 2, "train.num_samples": 0},
    )
    res = _launch(repo_root, tmp_path, sets(over))
    assert res.returncode == 0, res.stderr[-3000:]
    warning = "warning: FSDP was asked for, but this dpo run is plain data parallel (MULTI_CPU)"
    assert res.stdout.count(warning) == 1, res.stdout[-3000:] + res.stderr[-3000:]
    run_dir = next(p for p in (tmp_path / "runs").iterdir() if p.name != "last")
    assert json.loads((run_dir / "run.json").read_text())["distributed_type"] == "MULTI_CPU"
    assert_checkpoints_verify(run_dir)


def test_fsdp1_on_cpu_processes_is_refused_naming_the_key(repo_root, tmp_path):
    fsdp1 = tmp_path / "fsdp1.yaml"
    text = (repo_root / "configs" / "accelerate" / "fsdp.yaml").read_text()
    fsdp1.write_text(text.replace("fsdp_version: 2", "fsdp_version: 1"))
    over = tiny_overrides(write_splits(tmp_path / "processed"), tmp_path / "runs", **STEPS)
    res = _launch(repo_root, tmp_path, sets(over), config=fsdp1)
    assert res.returncode != 0
    assert "needs FSDP2: set `fsdp_version: 2` in the accelerate config (got 1)" in res.stderr

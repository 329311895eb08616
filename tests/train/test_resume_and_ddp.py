"""Reproducibility under failure and scale: resume after SIGKILL, and two gloo processes training one adapter."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from supportbot.train.rundir import latest_checkpoint, resolve_run_dir

from .conftest import (
    assert_checkpoints_verify,
    assert_same_end,
    sets,
    tiny_overrides,
    two_processes,
    write_splits,
)

STEPS = {
    "train.max_steps": 40,
    "train.save_steps": 4,
    "train.eval_steps": 4,
    "train.logging_steps": 2,
    "train.num_samples": 0,
    "train.save_total_limit": 3,
    "train.eval_base": False,
    "train.lora.dropout": 0.0,
}


def cli(args: list[str], cwd: Path) -> list[str]:
    return [sys.executable, "-m", "supportbot.cli", "train", *args]


def test_resume_after_sigkill_matches_uninterrupted_run(tmp_path, repo_root):
    data = write_splits(tmp_path / "processed")
    env = {**os.environ, "PYTHONPATH": str(repo_root / "src")}
    # the reference: the same recipe and seed, never interrupted
    ref = subprocess.run(
        cli(sets(tiny_overrides(data, tmp_path / "ref", **STEPS)), tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ref.returncode == 0, ref.stderr[-2000:]
    ref_run = resolve_run_dir(tmp_path / "ref" / "last").read_manifest()

    proc = subprocess.Popen(
        cli(sets(tiny_overrides(data, tmp_path / "runs", **STEPS)), tmp_path),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 240
    killed_at = None
    while time.time() < deadline and proc.poll() is None:
        runs = (
            [p for p in (tmp_path / "runs").glob("2*") if p.is_dir()] if (tmp_path / "runs").is_dir() else []
        )
        ckpt = (
            latest_checkpoint(resolve_run_dir(runs[0])) if runs and (runs[0] / "run.json").is_file() else None
        )
        if ckpt is not None and int(ckpt.name.split("-")[1]) >= 8:
            proc.send_signal(signal.SIGKILL)
            killed_at = ckpt.name
            break
        time.sleep(0.05)
    proc.wait(timeout=30)
    assert killed_at is not None, "the run finished (or never checkpointed) before it could be killed"
    run_dir = runs[0]
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"

    res = subprocess.run(
        cli(["--resume", str(run_dir)], tmp_path), env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "resuming checkpoint-" in res.stdout
    resumed = resolve_run_dir(run_dir).read_manifest()
    assert resumed["status"] == "completed" and resumed["global_step"] == 40
    assert_same_end(resumed, ref_run)
    assert resumed["train_loss_mean"] == pytest.approx(ref_run["train_loss_mean"], rel=1e-3)  # whole run
    steps = [json.loads(x)["step"] for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps)  # the killed run's tail was replaced, not duplicated


def _two_process_overrides(tmp_path: Path, **steps: object) -> list[str]:
    """--set overrides of a 2-process fp32 run on fresh tiny splits under tmp_path."""
    data = write_splits(tmp_path / "processed")
    return tiny_overrides(data, tmp_path / "runs", **{**STEPS, "train.precision": "fp32", **steps})


def test_two_gloo_processes_train_the_same_adapter_and_only_rank0_writes(tmp_path, repo_root):
    over = _two_process_overrides(
        tmp_path,
        **{"train.max_steps": 6, "train.save_steps": 2, "train.eval_steps": 2},
        **{"train.micro_batch_size": 2, "train.eval_base": True},
    )
    cmd, env = two_processes(repo_root, sets(over))
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    runs = [p for p in (tmp_path / "runs").iterdir() if p.name != "last"]
    assert len(runs) == 1
    manifest = json.loads((runs[0] / "run.json").read_text())
    assert manifest["world_size"] == 2 and manifest["status"] == "completed"
    digests = manifest["adapter_sha256_by_rank"]
    assert len(digests) == 2 and digests[0] == digests[1]
    assert "warning: skipping" not in res.stdout
    assert_checkpoints_verify(runs[0])
    # the val loss is the whole val set's, as one process measures it (not a mean of uneven shards)
    from supportbot.config import load_recipe
    from supportbot.train.run import train

    single = train(
        load_recipe(None, [o.replace(str(tmp_path / "runs"), str(tmp_path / "single")) for o in over])
    )
    one = single.run.read_manifest()["base_val_loss"]
    assert manifest["base_val_loss"] == pytest.approx(one, rel=1e-5)


def _signal_at_step(proc: subprocess.Popen, runs: Path, send, step: int = 6) -> bool:
    """Call `send` once the run under `runs` has logged `step`; False if the process ended first."""
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        metrics = list(runs.glob("2*/metrics.jsonl")) if runs.is_dir() else []
        lines = metrics[0].read_text().splitlines() if metrics else []
        if any(json.loads(x).get("step", 0) >= step for x in lines if x.strip()):
            send()
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_saves_a_checkpoint_exits_nonzero_and_bare_resume_finishes(tmp_path, repo_root, sig):
    data = write_splits(tmp_path / "processed")
    env = {**os.environ, "PYTHONPATH": str(repo_root / "src")}
    steps = {**STEPS, "train.save_steps": 20, "train.eval_steps": 20}
    overrides = tiny_overrides(data, tmp_path / "runs", **steps)
    proc = subprocess.Popen(
        cli(sets(overrides), tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sent = _signal_at_step(proc, tmp_path / "runs", lambda: proc.send_signal(sig))
    _, err = proc.communicate(timeout=120)
    assert sent, "the run finished before it could be interrupted"
    assert proc.returncode == 128 + sig, err[-2000:]
    assert "supportbot train --resume" in err
    run_dir = next(p for p in (tmp_path / "runs").glob("2*") if p.is_dir())
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "interrupted"
    ckpt = latest_checkpoint(resolve_run_dir(run_dir))
    assert (
        ckpt is not None and 6 <= int(ckpt.name.split("-")[1]) < 20
    )  # saved at the interrupt, not a save step

    res = subprocess.run(
        cli(["--resume", "--set", f"train.output_dir={tmp_path / 'runs'}"], tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"resuming {ckpt.name}" in res.stdout
    assert resolve_run_dir(run_dir).read_manifest()["status"] == "completed"


def _worker_pids(launcher_pid: int) -> dict[int, int]:
    """{RANK: pid} of the worker processes a torch.distributed.run launcher started."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(launcher_pid)], capture_output=True, text=True)
    ranks = {}
    for pid in (int(x) for x in out.stdout.split()):
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        rank = next((int(e.split(b"=", 1)[1]) for e in env if e.startswith(b"RANK=")), None)
        if rank is not None:
            ranks[rank] = pid
    return ranks


def test_sigterm_to_one_ddp_rank_stops_both_at_one_checkpoint_and_resume_finishes(tmp_path, repo_root):
    """Preemption often signals one process first. A rank stopping alone would leave the other waiting in its
    gradient all-reduce; both must stop after the same step, with rank 0's checkpoint, and resume."""
    over = _two_process_overrides(
        tmp_path, **{"train.max_steps": 60, "train.save_steps": 50, "train.eval_steps": 50}
    )
    cmd, env = two_processes(repo_root, sets(over))
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def rank1_only() -> None:
        os.kill(_worker_pids(proc.pid)[1], signal.SIGTERM)

    sent = _signal_at_step(proc, tmp_path / "runs", rank1_only)
    out, err = proc.communicate(timeout=120)  # without the agreement, rank 0 would wait here for rank 1
    assert sent, "the run finished before it could be signalled"
    assert proc.returncode != 0  # interrupted, not completed
    assert "SIGTERM reached another rank" in out, err[-2000:]
    run_dir = next(p for p in (tmp_path / "runs").glob("2*") if p.is_dir())
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "interrupted"
    ckpt = latest_checkpoint(resolve_run_dir(run_dir))
    stopped = int(ckpt.name.split("-")[1])
    assert 6 <= stopped < 50  # saved where the ranks stopped, not at a save step
    assert manifest["global_step"] == stopped

    cmd, env = two_processes(repo_root, ["--resume", str(run_dir)])
    res = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]  # transformers' own CPU-rank optimizer load failed here
    assert f"resuming {ckpt.name}" in res.stdout
    resumed = resolve_run_dir(run_dir).read_manifest()
    assert resumed["status"] == "completed" and resumed["global_step"] == 60

    # the same two processes, never interrupted, end at the same losses
    ref_over = [o.replace(str(tmp_path / "runs"), str(tmp_path / "ref")) for o in over]
    cmd, env = two_processes(repo_root, sets(ref_over))
    ref = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr[-2000:]
    whole = resolve_run_dir(tmp_path / "ref" / "last").read_manifest()
    assert_same_end(resumed, whole)

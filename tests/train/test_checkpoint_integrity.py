"""Checkpoint integrity on a real tiny run: checksums written at save; a corrupted checkpoint is never used."""

from __future__ import annotations

import json

import pytest

from supportbot.config import load_recipe
from supportbot.train.checkpoints import CHECKSUMS, best_good_checkpoint, checksum_problem
from supportbot.train.run import train
from supportbot.train.rundir import RunDir, latest_checkpoint

from .conftest import tiny_overrides, write_splits


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity")
    data = write_splits(root / "processed")
    steps = {
        "train.max_steps": 12,
        "train.save_total_limit": 5,
        "train.num_samples": 0,
        "train.eval_base": False,
    }
    return train(load_recipe(None, tiny_overrides(data, root / "runs", **steps))).run


def _flip(path, offset=-64):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_every_checkpoint_has_checksums_and_passes_them(run):
    ckpts = sorted(run.checkpoints.glob("checkpoint-*"))
    assert [c.name for c in ckpts] == ["checkpoint-12", "checkpoint-4", "checkpoint-8"]
    for c in ckpts:
        sums = json.loads((c / CHECKSUMS).read_text())
        assert "adapter_model.safetensors" in sums and "optimizer.pt" in sums
        assert checksum_problem(c) is None


def test_a_corrupted_checkpoint_is_never_resumed_from_or_picked_as_best(run, tmp_path):
    import shutil

    ckpts = tmp_path / "checkpoints"
    shutil.copytree(run.checkpoints, ckpts)
    history = json.loads((ckpts / "checkpoint-12" / "trainer_state.json").read_text())["log_history"]
    best, entry = best_good_checkpoint(ckpts, history)
    _flip(best / "adapter_model.safetensors")
    messages: list[str] = []
    assert "corrupted" in checksum_problem(best)
    picked = best_good_checkpoint(ckpts, history, messages.append)
    assert picked is not None and picked[0] != best
    assert picked[1]["eval_loss"] >= entry["eval_loss"]
    assert any(best.name in m and "adapter_model.safetensors" in m for m in messages)

    _flip(ckpts / "checkpoint-12" / "optimizer.pt", offset=100)
    newest = latest_checkpoint(RunDir(tmp_path), messages.append)
    assert newest is not None and newest.name != "checkpoint-12"
    assert "checkpoint-12" in messages[-1] and "corrupted" in messages[-1]


def test_checkpoints_and_adapter_hold_no_copy_of_the_base_model(run):
    """The GGUF the embedded tokenizer came from used to be copied into every one as tokenizer.model."""
    files = [p for d in (run.checkpoints, run.adapter) for p in d.rglob("*") if p.is_file()]
    assert files
    for f in files:
        assert f.stat().st_size < 8 * 2**20, f"{f} is {f.stat().st_size:,} bytes"
        with f.open("rb") as fh:
            assert fh.read(4) != b"GGUF", f


def test_a_checkpoint_dir_works_wherever_an_adapter_dir_does(run):
    from supportbot.core.artifacts import adapter_base_model, resolve_adapter_dir
    from supportbot.core.models import load_model

    ckpt = run.checkpoints / "checkpoint-8"
    assert resolve_adapter_dir(ckpt) == ckpt
    assert adapter_base_model(ckpt) == "tiny-random"  # from the run's run.json, not PEFT's cache path
    lm = load_model(str(ckpt))
    assert type(lm.model).__name__ == "PeftModelForCausalLM"


def test_a_corrupt_state_file_without_checksums_is_named_before_resume(run, tmp_path):
    import shutil

    from supportbot.train.checkpoints import unreadable_state

    ckpt = tmp_path / "checkpoint-8"
    shutil.copytree(run.checkpoints / "checkpoint-8", ckpt)
    (ckpt / CHECKSUMS).unlink()  # as written before checksums existed
    assert unreadable_state(ckpt) is None
    opt = ckpt / "optimizer.pt"
    opt.write_bytes(opt.read_bytes()[: opt.stat().st_size // 2])
    problem = unreadable_state(ckpt)
    assert problem is not None and "optimizer.pt: cannot be loaded" in problem


def _save_like_a_ddp_trainer(rank: int, world: int, tmp: str) -> None:
    """One rank of a 2-process save: rank 0 writes the weights and its rng state, rank 1 its rng state late
    and in two writes (a rank descheduled on a busy machine), then both run the checksum callback, as the
    Trainer does after _save_checkpoint (which does not wait for the other ranks' rng files)."""
    import time
    from pathlib import Path
    from types import SimpleNamespace

    import torch.distributed as dist
    from transformers import TrainerControl, TrainerState

    from supportbot.train.checkpoints import ChecksumCallback

    dist.init_process_group("gloo", init_method=f"file://{tmp}/store", rank=rank, world_size=world)
    ckpt = Path(tmp) / "out" / "checkpoint-1"
    ckpt.mkdir(parents=True, exist_ok=True)
    if rank == 0:
        (ckpt / "adapter_model.safetensors").write_bytes(b"w" * 1000)
        (ckpt / "rng_state_0.pth").write_bytes(b"r0")
    else:
        time.sleep(0.5)
        with (ckpt / "rng_state_1.pth").open("wb") as fh:
            fh.write(b"first part")
            fh.flush()
            time.sleep(0.3)
            fh.write(b", the rest")
    state = TrainerState(global_step=1, is_world_process_zero=rank == 0)
    ChecksumCallback().on_save(SimpleNamespace(output_dir=str(Path(tmp) / "out")), state, TrainerControl())
    dist.destroy_process_group()


def test_rank0_hashes_the_other_ranks_rng_state_only_once_it_is_written_whole(tmp_path):
    import torch.multiprocessing as mp

    mp.spawn(_save_like_a_ddp_trainer, args=(2, str(tmp_path)), nprocs=2)
    ckpt = tmp_path / "out" / "checkpoint-1"
    recorded = json.loads((ckpt / CHECKSUMS).read_text())
    assert {"rng_state_0.pth", "rng_state_1.pth"} <= set(recorded)
    assert checksum_problem(ckpt) is None

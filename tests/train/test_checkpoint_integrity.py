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

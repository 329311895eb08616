"""Fixtures for training tests: a small prepared dataset in the `supportbot prepare` format."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from ..serve.conftest import free_port

TOPICS = [
    ("How do I reset my password?", "Open Settings, choose Security and tap Reset password."),
    ("Why was my card declined?", "Card declines usually mean insufficient funds or a blocked card."),
    ("How long does a refund take?", "Refunds reach your account within 5 business days."),
    ("Can I change my email address?", "Yes: go to Profile, then Email, and confirm the new address."),
    ("How do I close my account?", "Contact support from the app and we will close it within 24 hours."),
    ("What are the transfer fees?", "Domestic transfers are free; international transfers cost 1%."),
]


def example(i: int, split: str, context: str | None = None, history: list | None = None) -> dict:
    """One row in the prepared-split format."""
    q, a = TOPICS[i % len(TOPICS)]
    return {
        "id": f"{split}-{i}",
        "inputs": {"question": f"{q} (case {i})", "context": context, "history": history or []},
        "outputs": {"answer": a},
        "meta": {"source": "test", "timestamp": None, "tags": [], "language": "en", "group": f"g{i}"},
    }


def write_splits(root: Path, n_train: int = 24, n_val: int = 6) -> Path:
    """Write train/val/test JSONL and a manifest under root; return root."""
    root.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("val", n_val), ("test", 2)):
        rows = [example(i, split, context="Plan: Basic." if i % 3 == 0 else None) for i in range(n)]
        (root / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "manifest.json").write_text(json.dumps({"dataset_hash": "sha256:test", "splits": {}}))
    return root


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    """A small processed dataset dir."""
    return write_splits(tmp_path / "processed")


def tiny_overrides(data_dir: Path, out_dir: Path, **extra: object) -> list[str]:
    """--set overrides for a fast tiny-random run."""
    base = {
        "model.name": "tiny-random",
        "train.data_dir": str(data_dir),
        "train.output_dir": str(out_dir),
        "train.max_length": 96,
        "train.micro_batch_size": 4,
        "train.lr": 5e-3,
        "train.max_steps": 12,
        "train.logging_steps": 2,
        "train.eval_steps": 4,
        "train.save_steps": 4,
        "train.save_total_limit": 2,
        "train.num_samples": 1,
        "train.sample_max_new_tokens": 8,
        "train.tensorboard": False,
        "train.lora.r": 4,
        "train.lora.alpha": 8,
        "train.threads": 1,
    }
    base.update({k: v for k, v in extra.items()})
    return [f"{k}={v}" for k, v in base.items()]


def sets(overrides: list[str]) -> list[str]:
    """`--set k=v` arguments for each override."""
    return [a for o in overrides for a in ("--set", o)]


def two_processes(
    repo_root: Path, args: list[str], accelerate_config: Path | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command and environment of a 2-process gloo run of scripts/train.py on a free port: through
    torch.distributed.run, or through `accelerate launch` with `accelerate_config`."""
    env = {**os.environ, "PYTHONPATH": str(repo_root / "src"), "OMP_NUM_THREADS": "1"}
    env.pop("ACCELERATE_USE_FSDP", None)
    port = str(free_port())
    if accelerate_config is None:
        launch = ["torch.distributed.run", "--nproc_per_node", "2", "--master_port", port]
    else:
        launch = [
            "accelerate.commands.launch",
            "--config_file",
            str(accelerate_config),
            "--main_process_port",
            port,
        ]
    return [sys.executable, "-m", *launch, str(repo_root / "scripts" / "train.py"), *args], env


def assert_same_end(run: dict, reference: dict, rel: float = 1e-4) -> None:
    """Two runs' manifests end at the same final train and val loss."""
    assert run["final_train_loss"] == pytest.approx(reference["final_train_loss"], rel=rel)
    assert run["final_val_loss"] == pytest.approx(reference["final_val_loss"], rel=rel)


def assert_checkpoints_verify(run_dir: Path, world: int = 2) -> None:
    """Every checkpoint of a multi-process run records and matches each rank's rng state: rank 0 hashed the
    other ranks' files only once they were written whole."""
    from supportbot.train.checkpoints import CHECKSUMS, checksum_problem

    ckpts = sorted((run_dir / "checkpoints").glob("checkpoint-*"))
    assert ckpts
    for ckpt in ckpts:
        recorded = json.loads((ckpt / CHECKSUMS).read_text())
        assert {f"rng_state_{r}.pth" for r in range(world)} <= set(recorded), (ckpt, sorted(recorded))
        assert checksum_problem(ckpt) is None, ckpt

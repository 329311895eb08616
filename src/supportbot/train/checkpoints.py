"""Checkpoint integrity: a sha256 of every weight and state file, written at save, checked before use.

A checkpoint whose files no longer match (flipped bytes, a truncated copy) is never resumed from and never
picked as the best adapter; the next good one is used, with a message naming the file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from supportbot.core.artifacts import ADAPTER_CONFIG, first_mismatch, sha256_file

CHECKSUMS = "supportbot-checksums.json"
# What a resume or the best adapter reads; trainer_state.json is left out as the Trainer rewrites it.
CHECKED = ("adapter_model.safetensors", "optimizer.pt", "scheduler.pt", "rng_state.pth", "scaler.pt")
ADAPTER_FILES = ("adapter_model.safetensors", ADAPTER_CONFIG)


def _checked_files(ckpt: Path) -> list[Path]:
    return sorted(
        p for p in ckpt.iterdir() if p.is_file() and (p.name in CHECKED or p.name.startswith("rng_state_"))
    )


def write_checksums(ckpt: Path) -> None:
    """Record the sha256 of the checkpoint's weight and state files in `supportbot-checksums.json`."""
    sums = {p.name: sha256_file(p) for p in _checked_files(ckpt)}
    tmp = ckpt / (CHECKSUMS + ".tmp")
    tmp.write_text(json.dumps(sums, indent=1) + "\n")
    tmp.replace(ckpt / CHECKSUMS)


def checksum_problem(ckpt: Path) -> str | None:
    """Why the checkpoint fails its checksums (None: it matches, or predates checksums)."""
    path = ckpt / CHECKSUMS
    if not path.is_file():
        return None
    try:
        sums = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return f"{path}: unreadable checksum file ({exc})"
    problem = first_mismatch(ckpt, sums)
    return f"{problem} since the save" if problem else None


class ChecksumCallback(TrainerCallback):
    """Write the checksums of each checkpoint right after the Trainer saves it (rank 0 only)."""

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any):
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            # Every rank writes its own rng_state_<rank>.pth and the Trainer does not wait for them after that:
            # without this barrier rank 0 could hash another rank's file half-written, and the checkpoint
            # then failed its checksums (skipped as best and for resume).
            dist.barrier()
        ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and ckpt.is_dir():
            write_checksums(ckpt)
        return control


def best_good_checkpoint(
    checkpoints: Path, log_history: list[dict[str, Any]], say: Callable[[str], None] = print
) -> tuple[Path, dict[str, Any]] | None:
    """The checkpoint with the lowest val loss whose files pass their checksums, and its eval entry."""
    evals = sorted((h for h in log_history if "eval_loss" in h), key=lambda h: (h["eval_loss"], h["step"]))
    for entry in evals:
        ckpt = checkpoints / f"checkpoint-{entry['step']}"
        if not (ckpt / ADAPTER_FILES[0]).is_file():
            continue  # rotated away by save_total_limit
        problem = checksum_problem(ckpt)
        if problem:
            say(f"warning: skipping {ckpt.name} as best: {problem}")
            continue
        return ckpt, entry
    return None


def copy_adapter(ckpt: Path, dest: Path) -> None:
    """Copy a checkpoint's PEFT adapter files (weights and config) into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ADAPTER_FILES:
        shutil.copy2(ckpt / name, dest / name)


def unreadable_state(ckpt: Path) -> str | None:
    """Why a checkpoint's state files cannot be loaded (None: they all load); checked before a resume so a
    corrupt file is one line naming it, not a traceback from inside the Trainer."""
    import torch
    from safetensors.torch import load_file

    for f in sorted(ckpt.iterdir()):
        try:
            if f.name == "adapter_model.safetensors":
                load_file(f)
            elif f.suffix in (".pt", ".pth"):
                torch.load(f, map_location="cpu", weights_only=False)
        except Exception as exc:  # any failure to parse means the file is unusable
            return f"{f}: cannot be loaded ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
    return None

"""Fixtures of the eval tests: a small KB + suite on disk, and a tiny-random run dir with a perturbed LoRA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .eval_data import write_kb, write_suite


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    return write_kb(tmp_path / "kb")


@pytest.fixture
def suite_path(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "mini.json")


@pytest.fixture(scope="session")
def tiny_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run dir as `supportbot train` writes it: run.json + a LoRA adapter on tiny-random, B weights perturbed."""
    import torch
    from peft import LoraConfig, get_peft_model

    from supportbot.core.models import tiny_random_model

    run = tmp_path_factory.mktemp("runs") / "run-0001"
    model = get_peft_model(
        tiny_random_model(), LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj", "o_proj"])
    )
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 2.0)
    model.save_pretrained(run / "adapter")
    (run / "adapter" / "supportbot.json").write_text(json.dumps({"base_model": "tiny-random"}))
    (run / "run.json").write_text(
        json.dumps(
            {"base_model": "tiny-random", "train_seconds": 12.5, "hardware": "cpu x2", "cost_usd": 0.001}
        )
    )
    return run


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """One torch thread: on a shared 2-core box, two spinning OpenMP threads are ~10x slower than one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

"""Pipeline helpers: the base defaults to the run's own base, training time/cost comes from run.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from supportbot.eval.config import PriceTable
from supportbot.eval.pipeline import default_base, training_info


def test_run_dir_defaults_base_and_reports_training(tiny_run_dir: Path) -> None:
    assert default_base(str(tiny_run_dir)) == "tiny-random"
    assert default_base("tiny-random") is None
    info = training_info(str(tiny_run_dir), PriceTable())
    assert info["train_seconds"] == 12.5 and info["cost_usd"] == 0.001 and info["hardware"] == "cpu x2"
    assert "train_cost_usd_estimated" not in info  # the run recorded its own cost
    assert training_info("tiny-random") == {}


def test_training_cost_is_estimated_from_time_when_missing(tmp_path: Path, tiny_run_dir: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_run_dir, run)
    meta = {"base_model": "tiny-random", "train_seconds": 7200, "hardware": {"cuda": False, "cpu_count": 2}}
    (run / "run.json").write_text(json.dumps(meta))
    info = training_info(str(run), PriceTable(cpu_hour=0.5))
    assert info["hardware.cpu_count"] == 2 and info["train_cost_usd_estimated"] == 1.0

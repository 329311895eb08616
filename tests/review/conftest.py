"""A real finished results dir for the review tests: `supportbot eval` of a tiny-random run dir vs its base."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ..eval.conftest import tiny_run_dir  # noqa: F401  (a session fixture, shared)
from ..eval.eval_data import write_kb, write_suite


@pytest.fixture(scope="session")
def finished_eval(tmp_path_factory: pytest.TempPathFactory, tiny_run_dir: Path) -> Path:  # noqa: F811
    """Answers of both models to the 4-question mini suite, judged by the facts judge."""
    from supportbot.cli import app

    root = tmp_path_factory.mktemp("review-eval")
    kb, suite, out = write_kb(root / "kb"), write_suite(root / "mini.json"), root / "results" / "mini-eval"
    args = ["eval", "--model", str(tiny_run_dir), "--suite", str(suite), "--out", str(out)]
    args += [
        "--set",
        f"eval.kb_dir={kb}",
        "--set",
        "generation.max_new_tokens=6",
        "--set",
        "eval.batch_size=2",
        "--set",
        "generation.temperature=1.0",  # sampled: the greedy tiny base says nothing
        "--set",
        "generation.seed=3",
    ]
    result = CliRunner().invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def results_dir(tmp_path: Path, finished_eval: Path) -> Path:
    """A private copy of the finished results dir (labels are appended to it)."""
    dest = tmp_path / "results" / finished_eval.name
    shutil.copytree(finished_eval, dest)
    return dest

"""Helpers for data-pipeline tests: write small input files and run the real pipeline on them."""

from pathlib import Path

import pytest

from supportbot.data.config import PrepareConfig
from supportbot.data.pipeline import PrepareResult, prepare


@pytest.fixture
def write(tmp_path: Path):
    """write({"raw/a.jsonl": text or bytes, ...}) -> the input folder."""
    root = tmp_path / "in"

    def _write(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return _write


@pytest.fixture
def run(tmp_path: Path):
    """run(input_path, **prepare_settings) -> PrepareResult, without tokenizer stats or eval suite by default."""

    def _run(input_path: Path, out: str = "out", **settings) -> PrepareResult:
        settings.setdefault("stats_model", None)
        settings.setdefault("eval_suite", None)
        cfg = PrepareConfig.model_validate({"input": str(input_path), "out": str(tmp_path / out), **settings})
        return prepare(cfg)

    return _run

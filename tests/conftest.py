"""Shared fixtures: no network, a tiny random model, the repo root."""

import os
from pathlib import Path

import pytest

# Nothing in the test suite may reach the Hugging Face hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def tiny_lm():
    """The tiny-random model with the real SmolLM2 tokenizer (shared; do not mutate)."""
    from supportbot.core.models import load_model

    return load_model("tiny-random")


@pytest.fixture(scope="session")
def grounded_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample KB indexed with configs/grounded.yaml's retrieval settings (k=3), built once per session."""
    from supportbot.config import load_config
    from supportbot.retrieval.index import HybridIndex

    cfg = load_config(REPO_ROOT / "configs" / "grounded.yaml").retrieval
    out = tmp_path_factory.mktemp("grounded-index")
    HybridIndex.build(REPO_ROOT / cfg.kb_dir, cfg).save(out)
    return out

"""Shared retrieval fixtures: one real hybrid index over the shipped sample KB, built once per session."""

from pathlib import Path

import pytest

from supportbot.retrieval.config import RetrievalConfig
from supportbot.retrieval.index import HybridIndex


@pytest.fixture(scope="session")
def sample_kb(repo_root: Path) -> Path:
    return repo_root / "data" / "sample" / "kb"


@pytest.fixture(scope="session")
def sample_index_dir(sample_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample KB indexed with the default config and saved to disk."""
    out = tmp_path_factory.mktemp("index")
    HybridIndex.build(sample_kb, RetrievalConfig()).save(out)
    return out


@pytest.fixture(scope="session")
def sample_index(sample_index_dir: Path) -> HybridIndex:
    """The saved sample index, loaded back from disk (as `supportbot` uses it)."""
    return HybridIndex.load(sample_index_dir)

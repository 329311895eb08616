"""`supportbot index` (the typer command) and the retrieval config section."""

import json

import pytest
import typer
from typer.testing import CliRunner

from supportbot.cli.retrieval import index_command
from supportbot.config import load_config
from supportbot.core.errors import ConfigError
from supportbot.retrieval.config import RetrievalConfig


def test_index_command_builds_an_index_folder(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "KB-1.md").write_text("---\nid: KB-1\ntitle: Refunds\ntags: [refunds]\n---\nRefunds take 3 days.")
    (kb / "KB-2.md").write_text("---\nid: KB-2\ntitle: Cards\ntags: [cards]\n---\nFreeze your card in Cards.")
    app = typer.Typer()
    app.command()(index_command)
    out = tmp_path / "idx"
    result = CliRunner().invoke(app, ["--kb", str(kb), "--out", str(out), "--set", "retrieval.chunk_size=50"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["articles"] == 2 and manifest["config"]["chunk_size"] == 50
    assert "2 articles, 2 chunks" in result.output


def test_config_rejects_overlap_not_below_size_and_unknown_keys(tmp_path):
    with pytest.raises(ValueError, match="chunk_overlap"):
        RetrievalConfig(chunk_size=50, chunk_overlap=50)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("retrieval:\n  top_k: 3\n  chunk_sise: 10\n")
    with pytest.raises(ConfigError, match="chunk_sise"):
        load_config(recipe)
    assert load_config(None, ["retrieval.top_k=7"]).retrieval.top_k == 7

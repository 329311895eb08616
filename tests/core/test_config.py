"""Config loading: every recipe parses, bad keys and types name the key and the file."""

from pathlib import Path

import pytest

from supportbot.config import load_config
from supportbot.core.config import parse_override
from supportbot.core.errors import ConfigError


def test_every_shipped_recipe_parses(repo_root: Path):
    recipes = sorted((repo_root / "configs").glob("*.yaml"))
    assert recipes, "configs/ should ship YAML recipes"
    for path in recipes:
        if path.name.startswith("sweep") or path.parent.name == "accelerate":
            continue
        load_config(path)


def test_unknown_key_names_key_and_file(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("generation:\n  max_new_tokenz: 10\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown key 'generation\.max_new_tokenz'"):
        load_config(path)


def test_unknown_section_is_rejected(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("trainer:\n  lr: 1\n")
    with pytest.raises(ConfigError, match="unknown key 'trainer'"):
        load_config(path)


def test_wrong_type_names_key(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("generation:\n  temperature: hot\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: key 'generation\.temperature'"):
        load_config(path)


def test_set_overrides_win_over_file(tmp_path: Path):
    path = tmp_path / "ok.yaml"
    path.write_text("generation:\n  max_new_tokens: 10\n")
    cfg = load_config(path, ["generation.max_new_tokens=42", "model.name=tiny-random"])
    assert cfg.generation.max_new_tokens == 42
    assert cfg.model.name == "tiny-random"


def test_bad_override_value_names_set():
    with pytest.raises(ConfigError, match=r"--set: key 'generation\.top_p'"):
        load_config(None, ["generation.top_p=7"])


def test_override_parsing_reads_yaml_scalars():
    assert parse_override("train.lr=1e-4") == (["train", "lr"], 1e-4)
    assert parse_override("model.adapter=null") == (["model", "adapter"], None)
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_override("train.lr")


def test_invalid_yaml_names_file_and_line(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("model:\n  name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml line \d+"):
        load_config(path)

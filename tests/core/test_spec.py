"""The one model-spec grammar: each kind of spec is recognised, with its base, adapter, name and fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportbot.core.artifacts import RegistryError
from supportbot.core.spec import parse_spec


def _adapter_dir(path: Path, base: str = "tiny-random") -> Path:
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base}))
    (path / "adapter_model.safetensors").write_bytes(b"weights-1")
    return path


def test_presets_hub_ids_and_endpoints() -> None:
    assert parse_spec("tiny-random").kind == "preset"
    hub = parse_spec("Qwen/Qwen2.5-0.5B-Instruct")
    assert (hub.kind, hub.base, hub.adapter) == ("hub", "Qwen/Qwen2.5-0.5B-Instruct", None)
    url = parse_spec("http://127.0.0.1:8000/v1/")
    assert (url.kind, url.base) == ("endpoint", None)
    assert url.fingerprint("m") == "http://127.0.0.1:8000/v1#m"


def test_run_dir_adapter_dir_and_model_dir(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "20261203-sft"
    adapter = _adapter_dir(run / "adapter")
    (run / "run.json").write_text(json.dumps({"base_model": "tiny-random"}))
    for spec in (str(run), str(adapter)):
        parsed = parse_spec(spec)
        assert (parsed.kind, parsed.base, parsed.adapter) == ("adapter", "tiny-random", adapter)
        assert parsed.run_json == run / "run.json"
    assert parse_spec(str(run)).display_name == "20261203-sft"
    model_dir = tmp_path / "full-model"
    model_dir.mkdir()
    assert parse_spec(str(model_dir)).kind == "path"


def test_the_fingerprint_follows_the_adapter_weights(tmp_path: Path) -> None:
    adapter = _adapter_dir(tmp_path / "a")
    before = parse_spec(str(adapter)).fingerprint()
    (adapter / "adapter_model.safetensors").write_bytes(b"weights-2")
    assert parse_spec(str(adapter)).fingerprint() != before


def test_a_bad_registry_reference_is_named() -> None:
    with pytest.raises(RegistryError, match="bad registry reference"):
        parse_spec("registry:no such name")

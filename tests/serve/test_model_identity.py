"""Every model spec is served as what it is: a registry or run-dir adapter is "tuned" on its base, and `base`
answers exactly as the plain base model does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from supportbot.ship.export import export_run

from .conftest import KEY_ENV, Server, make_adapter, start_thread_server, stop, wait_ready

BODY = {"prompt": "How do I reset my MPIN?", "max_new_tokens": 8}


def _make_run(run_dir: Path, seed: int) -> Path:
    make_adapter(run_dir / "adapter", seed)
    (run_dir / "run.json").write_text(json.dumps({"base_model": "tiny-random", "git_commit": "abc"}))
    return run_dir


@pytest.fixture(scope="module")
def registry_server(serve_tmp: Path) -> Server:
    root = serve_tmp / "registry"
    os.environ["SUPPORTBOT_REGISTRY"] = str(root)  # the thread server resolves references in this process
    os.environ["SUPPORTBOT_TEST_REGISTRY_KEYS"] = KEY_ENV
    export_run(_make_run(serve_tmp / "registry-run", seed=3), "v1", root, name="helpdesk")
    cfg = {
        "model": {"name": "registry:helpdesk@v1"},
        "generation": {"max_new_tokens": 8},
        "serve": {"api_keys_env": "SUPPORTBOT_TEST_REGISTRY_KEYS", "batching": {"enabled": False}},
    }
    server = wait_ready(start_thread_server(serve_tmp, "registry", cfg))
    yield server
    stop(server)
    os.environ.pop("SUPPORTBOT_REGISTRY", None)


def _generate(server: Server, **extra: str) -> dict:
    r = httpx.post(f"{server.url}/generate", json={**BODY, **extra}, headers=server.headers(), timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_registry_reference_is_served_as_tuned_on_its_base(
    registry_server: Server, serve_tmp: Path
) -> None:
    models = httpx.get(f"{registry_server.url}/v1/models", headers=registry_server.headers()).json()["data"]
    assert [(m["id"], m["root"]) for m in models] == [
        ("tiny-random", "tiny-random"),
        ("tuned", "tiny-random"),
    ]
    base_row, tuned_row = models
    assert base_row["adapter"] is None
    assert Path(tuned_row["adapter"]).is_relative_to((serve_tmp / "registry").resolve())
    default = _generate(registry_server)
    assert default["model"] == "tuned" and default["adapter"] == tuned_row["adapter"]


def test_base_is_really_the_base(registry_server: Server, server: Server) -> None:
    base = _generate(registry_server, model="base")
    assert base["model"] == "tiny-random" and base["adapter"] is None
    plain = _generate(server, model="tiny-random")  # another process serving the plain base
    assert base["text"] == plain["text"]
    assert _generate(registry_server)["text"] != base["text"]  # the adapter really changes the answer

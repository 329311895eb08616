"""`supportbot serve`'s flags reach the running server: --model, --adapter, --port and --no-batching."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from supportbot.cli import app

from .conftest import REPO, Server, free_port, make_adapter, stop, wait_ready


def test_the_serve_verb_serves_what_its_flags_say(tmp_path: Path) -> None:
    adapter = make_adapter(tmp_path / "extra", 3)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if k not in ("SUPPORTBOT_API_KEYS", "SUPPORTBOT_ADMIN_KEYS")}
    cmd = [sys.executable, "-m", "supportbot.cli", "serve", "--model", "tiny-random", "--port", str(port)]
    cmd += ["--adapter", f"extra={adapter}", "--no-batching"]
    cmd += ["--set", f"serve.feedback.store={tmp_path / 'answers.sqlite'}"]
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
    server = wait_ready(Server(f"http://127.0.0.1:{port}", proc, log, {}))
    try:
        models = [m["id"] for m in httpx.get(f"{server.url}/v1/models", timeout=10).json()["data"]]
        assert models[0] == "tiny-random" and "extra" in models
        r = httpx.post(f"{server.url}/generate", json={"prompt": "hi", "max_new_tokens": 2, "model": "extra"})
        assert r.status_code == 200 and r.json()["model"] == "extra"
        assert "batching=off" in log.read_text()
    finally:
        stop(server)


def test_a_bad_flag_value_names_the_flag() -> None:
    result = CliRunner().invoke(app, ["serve", "--model", "tiny-random", "--port", "-5"])
    assert "--port" in str(result.exception)
    bad = CliRunner().invoke(app, ["serve", "--adapter", "no-equals-sign"])
    assert "--adapter 'no-equals-sign': expected NAME=PATH" in str(bad.exception)

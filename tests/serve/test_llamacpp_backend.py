"""`supportbot serve --backend llamacpp`: the real server on loopback, the tiny model as a GGUF and a LoRA as a
GGUF LoRA, behind the same routes, auth, adapters per request, streaming and metrics as the hf backend. Its
greedy answers are the hf backend's, computed here in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from supportbot.core.config import GenerationConfig
from supportbot.core.generation import generate
from supportbot.core.models import load_model
from supportbot.core.prompt import build_messages

from .conftest import KEY_ENV, REPO, Server, free_port, make_adapter, stop, wait_ready

if os.environ.get("SUPPORTBOT_REQUIRE_LLAMACPP") != "1":
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (make setup-llamacpp)")

QUESTION = "How do I reset my MPIN?"


def hf_answer(spec: str, max_new_tokens: int) -> tuple[str, int]:
    cfg = GenerationConfig(max_new_tokens=max_new_tokens)
    [g] = generate(load_model(spec), [build_messages(QUESTION, cfg.system_prompt)], cfg)
    return g.text, g.tokens_out


def test_the_llamacpp_backend_serves_base_and_adapter_like_the_hf_backend(tmp_path: Path) -> None:
    adapter = make_adapter(tmp_path / "tuned", 11)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if k not in ("SUPPORTBOT_API_KEYS", "SUPPORTBOT_ADMIN_KEYS")}
    env["SUPPORTBOT_API_KEYS"] = KEY_ENV
    cmd = [sys.executable, "-m", "supportbot.cli", "serve", "--model", "tiny-random", "--port", str(port)]
    cmd += [
        "--set",
        "model.backend=llamacpp",
        "--set",
        f"serve.feedback.store={tmp_path / 'answers.sqlite'}",
        "--adapter",
        f"tuned={adapter}",
        "--set",
        "model.gguf.n_ctx=2048",
        "--set",
        "model.gguf.type=f32",
    ]
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
    server = wait_ready(Server(f"http://127.0.0.1:{port}", proc, log, {}), timeout=300)
    try:
        assert "backend=llamacpp" in log.read_text()
        assert httpx.post(f"{server.url}/generate", json={"prompt": QUESTION}, timeout=30).status_code == 401
        got = {}
        for model in ("tiny-random", "tuned"):
            r = httpx.post(
                f"{server.url}/generate",
                json={"prompt": QUESTION, "max_new_tokens": 12, "model": model},
                headers=server.headers(),
                timeout=60,
            )
            assert r.status_code == 200, r.text
            got[model] = (r.json()["text"], r.json()["tokens_out"])
        assert got["tiny-random"] == hf_answer("tiny-random", 12)
        assert got["tuned"] == hf_answer(str(adapter), 12)

        body = {"model": "tuned", "messages": [{"role": "user", "content": QUESTION}], "max_tokens": 12}
        body.update({"stream": True, "stream_options": {"include_usage": True}})
        text, usage = "", None
        with httpx.stream(
            "POST", f"{server.url}/v1/chat/completions", json=body, headers=server.headers(), timeout=60
        ) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    chunk = json.loads(line[6:])
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices", []):
                        text += choice.get("delta", {}).get("content") or ""
        assert (text.strip(), usage["completion_tokens"]) == got["tuned"]
        assert server.metric("supportbot_tokens_out_total", model="tuned") == 2 * got["tuned"][1]
        assert server.metric("supportbot_tokens_out_total", model="tiny-random") == got["tiny-random"][1]
    finally:
        stop(server)

"""Real servers for the serving tests: `uvicorn api.app:app` subprocesses on free loopback ports, tiny model."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
KEY_ENV = "sk-test-env-key-0123456789"
KEY_FILE = "sk-test-file-key-9876543210"
ADMIN_KEY = "sk-test-admin-key-5555555555"
REFUSAL = "Sorry, I can only help with NovaPay questions."


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running server: its URL, process, log file and config."""

    url: str
    proc: subprocess.Popen | None  # None: served from a thread of the test process
    log: Path | None
    config: dict
    thread_server: object | None = None

    def headers(self, key: str = KEY_ENV) -> dict[str, str]:
        """Authorization header for `key`."""
        return {"Authorization": f"Bearer {key}"}

    def metric(self, name: str, key: str = KEY_ENV, **labels: str) -> float:
        """Current value of one Prometheus sample (0 when absent), read with `key`."""
        from prometheus_client.parser import text_string_to_metric_families

        text = httpx.get(f"{self.url}/metrics", headers=self.headers(key), timeout=10).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return sample.value
        return 0.0


def write_recipe(tmp: Path, name: str, config: dict) -> Path:
    """Write `config` as `tmp/name.yaml`, its feedback answer store under `tmp` unless it names one (the
    default, feedback/answers.sqlite, would land in the repo the tests run from)."""
    feedback = config.get("serve", {}).get("feedback", {})
    if "store" not in feedback:
        serve = config.setdefault("serve", {})
        serve["feedback"] = {**feedback, "store": str(tmp / f"{name}-answers.sqlite")}
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def start_server(tmp: Path, name: str, config: dict, env: dict[str, str] | None = None) -> Server:
    """Write `config` as the recipe and start uvicorn on a free loopback port (not waiting for it)."""
    path = write_recipe(tmp, name, config)
    port = free_port()
    log = tmp / f"{name}.log"
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("SUPPORTBOT_API_KEYS", "SUPPORTBOT_ADMIN_KEYS")
    }
    full_env.update({"SUPPORTBOT_CONFIG": str(path), **(env or {})})
    cmd = [sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, env=full_env, stdout=fh, stderr=subprocess.STDOUT)
    return Server(f"http://127.0.0.1:{port}", proc, log, config)


def wait_ready(server: Server, timeout: float = 180.0) -> Server:
    """Poll /readyz until the model is loaded (fail with the server log if it dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc is not None and server.proc.poll() is not None:
            pytest.fail(f"server exited ({server.proc.returncode}):\n{server.log.read_text()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"server not ready in {timeout}s:\n{server.log.read_text() if server.log else ''}")


def start_thread_server(tmp: Path, name: str, config: dict) -> Server:
    """Build the app in this process (same code as `supportbot serve`) and run uvicorn in a thread."""
    import threading

    import uvicorn

    from supportbot.config import load_config
    from supportbot.serve.app import build_app

    path = write_recipe(tmp, name, config)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(load_config(path)), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, name=f"uvicorn-{name}", daemon=True).start()
    return Server(f"http://127.0.0.1:{port}", None, None, config, server)


def stop(server: Server) -> None:
    """Stop one server (process or thread)."""
    if server.proc is None:
        server.thread_server.should_exit = True
        return
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


def make_adapter(path: Path, seed: int) -> Path:
    """A LoRA adapter for tiny-random with visibly non-zero weights (so it changes the outputs)."""
    import torch
    from peft import LoraConfig, get_peft_model

    from supportbot.core.models import tiny_random_model

    warnings.filterwarnings("ignore", message="Could not find a config file")
    model = get_peft_model(tiny_random_model(), LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=gen) * 2.0)
    model.save_pretrained(path)
    (path / "supportbot.json").write_text(json.dumps({"base_model": "tiny-random"}))
    return path


@pytest.fixture(scope="session")
def serve_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve")


@pytest.fixture(scope="session")
def adapters(serve_tmp: Path) -> dict[str, Path]:
    """Two tiny-random adapters: 'tuned' (served from start) and 'spare' (for hot reload)."""
    return {"tuned": make_adapter(serve_tmp / "tuned", 1), "spare": make_adapter(serve_tmp / "spare", 2)}


@pytest.fixture(scope="session")
def servers(serve_tmp: Path, adapters: dict[str, Path]) -> dict[str, Server]:
    """Start the main and the tight server together (they load in parallel), stop them at the end."""
    keyfile = serve_tmp / "keys.txt"
    keyfile.write_text(f"# serving test keys\n{KEY_FILE}\n")
    main_cfg = {
        "model": {"name": "tiny-random"},
        "generation": {"max_new_tokens": 8},
        "serve": {
            "api_keys_file": str(keyfile),
            "adapters": {"tuned": str(adapters["tuned"])},
            "limits": {
                "max_new_tokens": 16,
                "max_prompt_tokens": 256,
                "max_body_bytes": 4096,
                "max_messages": 8,
            },
            "batching": {"enabled": True, "max_wait_ms": 20, "max_batch": 4},
            "request_log": str(serve_tmp / "requests.jsonl"),
            "feedback": {
                "path": str(serve_tmp / "feedback.jsonl"),
                "store": str(serve_tmp / "answers.sqlite"),
                "remember": 50,
            },
            "guardrails": {
                "refusal": REFUSAL,
                "rules": [
                    {"name": "weapons", "keywords": ["build a bomb"]},
                    {"name": "injection", "pattern": r"ignore (all )?previous instructions"},
                ],
            },
        },
    }
    tight_cfg = {
        "model": {"name": "tiny-random"},
        "serve": {
            "api_keys_env": "SUPPORTBOT_TEST_TIGHT_KEYS",
            "max_queue": 1,
            "max_queue_wait_s": 0.5,
            "request_timeout_s": 0.75,
            "batching": {"enabled": False},
            "limits": {"max_new_tokens": 512},
            "guardrails": {"redact_pii": False},
        },
    }
    os.environ["SUPPORTBOT_TEST_TIGHT_KEYS"] = KEY_ENV
    started = {
        "main": start_server(
            serve_tmp, "main", main_cfg, {"SUPPORTBOT_API_KEYS": KEY_ENV, "SUPPORTBOT_ADMIN_KEYS": ADMIN_KEY}
        )
    }
    started["tight"] = start_thread_server(serve_tmp, "tight", tight_cfg)
    try:
        yield {name: wait_ready(s) for name, s in started.items()}
    finally:
        for s in started.values():
            stop(s)


@pytest.fixture(scope="session")
def server(servers: dict[str, Server]) -> Server:
    """The main server: keys (env + file), batching, adapter 'tuned', guardrails, request log, small limits."""
    return servers["main"]


@pytest.fixture(scope="session")
def tight_server(servers: dict[str, Server]) -> Server:
    """A server (in a thread of the test process) with a one-slot queue, 0.5 s queue wait, no batching and a
    0.75 s generation deadline."""
    return servers["tight"]

"""API keys are required everywhere except /healthz and /readyz; bad key setups fail at startup in one line."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from supportbot.core.errors import ConfigError
from supportbot.serve.auth import check_bind, is_loopback

from .conftest import KEY_ENV, KEY_FILE, REPO, Server


@pytest.mark.parametrize("path", ["/v1/models", "/metrics"])
def test_missing_key_is_401(server: Server, path: str) -> None:
    r = httpx.get(f"{server.url}{path}")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["type"] == "authentication_error"


def test_wrong_key_is_401_before_the_body_is_validated(server: Server) -> None:
    r = httpx.post(
        f"{server.url}/generate", json={"bad": 1}, headers=server.headers("sk-not-a-valid-key-0000")
    )
    assert r.status_code == 401


@pytest.mark.parametrize("key", [KEY_ENV, KEY_FILE])
def test_keys_from_env_and_file_both_work(server: Server, key: str) -> None:
    assert httpx.get(f"{server.url}/v1/models", headers=server.headers(key)).status_code == 200
    assert httpx.get(f"{server.url}/v1/models", headers={"X-API-Key": key}).status_code == 200


def test_healthz_and_readyz_are_open(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert httpx.get(f"{server.url}/readyz").status_code == 200


def test_admin_reload_needs_a_key(server: Server) -> None:
    assert httpx.post(f"{server.url}/admin/reload", json={}).status_code == 401


def test_non_loopback_bind_without_keys_is_refused() -> None:
    with pytest.raises(ConfigError, match="refusing to bind 0.0.0.0 without API keys"):
        check_bind("0.0.0.0", [])
    check_bind("0.0.0.0", ["k" * 16])  # with keys it is allowed
    check_bind("127.0.0.1", [])  # loopback without keys is allowed (and logged)
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("10.0.0.1")


def _startup(tmp_path, config: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(config)
    code = "import api.app"
    full = {"SUPPORTBOT_CONFIG": str(cfg), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=full, capture_output=True, text=True, timeout=120
    )


def test_missing_key_file_fails_startup_in_one_line(tmp_path) -> None:
    done = _startup(tmp_path, "model: {name: tiny-random}\nserve: {api_keys_file: /no/such/keys.txt}\n")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: serve.api_keys_file /no/such/keys.txt: cannot read (FileNotFoundError)"
    ]


def test_short_key_and_bad_config_fail_startup_in_one_line(tmp_path) -> None:
    done = _startup(tmp_path, "model: {name: tiny-random}\n", {"SUPPORTBOT_API_KEYS": "short"})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: API keys must be at least 16 characters (1 too short)"
    ]
    done = _startup(tmp_path, "serve: {max_queue: 0}\n")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert "serve.max_queue" in done.stderr


def test_without_keys_a_foreign_host_header_is_refused(tmp_path) -> None:
    """DNS rebinding: a browser on the same machine talks to 127.0.0.1 with Host: evil.example."""
    from .conftest import start_thread_server, stop, wait_ready

    server = wait_ready(start_thread_server(tmp_path, "nokeys", {"model": {"name": "tiny-random"}}))
    try:
        port = server.url.rsplit(":", 1)[1]
        ok = httpx.get(f"{server.url}/v1/models", headers={"Host": f"localhost:{port}"}, timeout=30)
        assert ok.status_code == 200, ok.text
        evil = httpx.get(f"{server.url}/v1/models", headers={"Host": "evil.example"}, timeout=30)
        assert evil.status_code == 403 and "evil.example" in evil.json()["error"]["message"]
        admin = httpx.post(f"{server.url}/admin/reload", timeout=30)
        assert admin.status_code == 404  # no admin key: admin routes are off, even on loopback
    finally:
        stop(server)

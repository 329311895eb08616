"""Adapters are hot-reloaded without a restart through POST /admin/reload."""

from __future__ import annotations

import httpx

from .conftest import ADMIN_KEY, Server


def _ids(server: Server) -> list[str]:
    return [m["id"] for m in httpx.get(f"{server.url}/v1/models", headers=server.headers()).json()["data"]]


def test_load_use_and_remove_an_adapter_live(server: Server, adapters) -> None:
    url = f"{server.url}/admin/reload"
    admin = server.headers(ADMIN_KEY)
    r = httpx.post(url, json={"adapters": {"spare": str(adapters["spare"])}}, headers=admin, timeout=60)
    assert r.status_code == 200, r.text
    assert "spare" in _ids(server)
    gen = httpx.post(
        f"{server.url}/generate",
        json={"prompt": "hi", "max_new_tokens": 2, "model": "spare"},
        headers=server.headers(),
    )
    assert gen.json()["adapter"] == str(adapters["spare"].resolve())

    assert httpx.post(url, headers=admin, timeout=60).status_code == 200  # no body: reload all from disk
    assert {"tuned", "spare"} <= set(_ids(server))

    r = httpx.post(url, json={"remove": ["spare"]}, headers=admin, timeout=60)
    assert r.status_code == 200
    assert "spare" not in _ids(server)
    gone = httpx.post(
        f"{server.url}/generate", json={"prompt": "hi", "model": "spare"}, headers=server.headers()
    )
    assert gone.status_code == 404


def test_admin_routes_need_the_admin_key_not_an_api_key(server: Server) -> None:
    url = f"{server.url}/admin/reload"
    assert httpx.post(url, headers=server.headers(), timeout=60).status_code == 403  # a valid API key
    assert httpx.post(url, timeout=60).status_code == 401


def test_admin_routes_are_off_without_an_admin_key(tight_server: Server) -> None:
    r = httpx.post(f"{tight_server.url}/admin/reload", headers=tight_server.headers(), timeout=60)
    assert r.status_code == 404 and "SUPPORTBOT_ADMIN_KEYS" in r.json()["error"]["message"]


def test_reload_refuses_adapters_outside_the_allowed_dirs(server: Server, tmp_path, adapters) -> None:
    import shutil

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(adapters["spare"], elsewhere)
    r = httpx.post(
        f"{server.url}/admin/reload",
        json={"adapters": {"intruder": str(elsewhere)}},
        headers=server.headers(ADMIN_KEY),
        timeout=60,
    )
    assert r.status_code == 403 and r.json()["error"]["param"] == "adapters"
    assert "intruder" not in _ids(server)

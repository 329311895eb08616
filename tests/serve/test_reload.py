"""Adapters are hot-reloaded without a restart through POST /admin/reload."""

from __future__ import annotations

import httpx

from .conftest import Server


def _ids(server: Server) -> list[str]:
    return [m["id"] for m in httpx.get(f"{server.url}/v1/models", headers=server.headers()).json()["data"]]


def test_load_use_and_remove_an_adapter_live(server: Server, adapters) -> None:
    url = f"{server.url}/admin/reload"
    r = httpx.post(
        url, json={"adapters": {"spare": str(adapters["spare"])}}, headers=server.headers(), timeout=60
    )
    assert r.status_code == 200, r.text
    assert "spare" in _ids(server)
    gen = httpx.post(
        f"{server.url}/generate",
        json={"prompt": "hi", "max_new_tokens": 2, "model": "spare"},
        headers=server.headers(),
    )
    assert gen.json()["adapter"] == str(adapters["spare"].resolve())

    assert (
        httpx.post(url, headers=server.headers(), timeout=60).status_code == 200
    )  # no body: reload all from disk
    assert {"tuned", "spare"} <= set(_ids(server))

    r = httpx.post(url, json={"remove": ["spare"]}, headers=server.headers(), timeout=60)
    assert r.status_code == 200
    assert "spare" not in _ids(server)
    gone = httpx.post(
        f"{server.url}/generate", json={"prompt": "hi", "model": "spare"}, headers=server.headers()
    )
    assert gone.status_code == 404

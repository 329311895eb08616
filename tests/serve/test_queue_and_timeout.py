"""A full queue answers 429 with Retry-After; a request past the timeout is cancelled with 504."""

from __future__ import annotations

import asyncio

import httpx

from .conftest import Server


async def _burst(server: Server, n: int, max_new_tokens: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=60) as c:
        body = {"prompt": "Explain chargebacks", "max_new_tokens": max_new_tokens}
        return await asyncio.gather(*(c.post("/generate", json=body) for _ in range(n)))


def test_burst_gets_429_with_retry_after_and_no_5xx_but_504(tight_server: Server) -> None:
    before = tight_server.metric("supportbot_requests_total", route="/generate", method="POST", status="429")
    responses = asyncio.run(_burst(tight_server, 8, 256))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429, 504}, statuses
    rejected = [r for r in responses if r.status_code == 429]
    assert len(rejected) >= 5, statuses  # one running + one queued at most; the rest are turned away
    assert all(int(r.headers["retry-after"]) >= 1 for r in rejected)
    assert rejected[0].json()["error"]["type"] == "rate_limit_error"
    after = tight_server.metric("supportbot_requests_total", route="/generate", method="POST", status="429")
    assert after == before + len(rejected)


def test_slow_request_is_cancelled_with_504(tight_server: Server) -> None:
    r = httpx.post(
        f"{tight_server.url}/generate",
        json={"prompt": "Tell me everything", "max_new_tokens": 512},
        headers=tight_server.headers(),
        timeout=60,
    )
    assert r.status_code == 504, r.text
    assert r.json()["error"]["type"] == "timeout"
    # the server is still healthy and answers quick requests afterwards
    quick = httpx.post(
        f"{tight_server.url}/generate",
        json={"prompt": "hi", "max_new_tokens": 1},
        headers=tight_server.headers(),
    )
    assert quick.status_code == 200

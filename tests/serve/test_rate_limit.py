"""serve.limits.requests_per_minute on a real server: each key has its own budget of model requests, the
caller past it gets 429 + Retry-After before its body is read, and other routes are not counted."""

from __future__ import annotations

import httpx
import pytest

from supportbot.serve.errors import RateLimited
from supportbot.serve.limits import RequestRate

from .conftest import start_thread_server, stop, wait_ready

KEYS = ("sk-rate-key-one-0000000000", "sk-rate-key-two-0000000000")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_may_burst_a_minute_s_budget_then_goes_on_at_the_steady_rate():
    clock = Clock()
    rate = RequestRate(6, clock)  # one request back every 10 s
    for _ in range(6):
        rate.take("a")
    with pytest.raises(RateLimited) as refused:
        rate.take("a")
    assert refused.value.headers["Retry-After"] == "10" and "requests_per_minute" in refused.value.message
    rate.take("b")  # its own budget
    clock.now = 4.0
    with pytest.raises(RateLimited) as again:
        rate.take("a")
    assert again.value.headers["Retry-After"] == "6"
    clock.now = 10.0
    rate.take("a")  # one back after 10 s
    with pytest.raises(RateLimited):
        rate.take("a")
    clock.now = 1000.0
    for _ in range(6):  # a quiet caller gets the full burst back, not more
        rate.take("a")
    with pytest.raises(RateLimited):
        rate.take("a")
    rate.take("client 127.0.0.1")  # no keys configured: the client address is the caller
    for _ in range(5):
        rate.take("client 127.0.0.1")
    with pytest.raises(RateLimited, match="from this client"):
        rate.take("client 127.0.0.1")


def test_past_its_budget_a_key_gets_429_with_retry_after_and_other_keys_and_routes_go_on(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("SUPPORTBOT_TEST_RATE_KEYS", ",".join(KEYS))
    config = {
        "model": {"name": "tiny-random"},
        "generation": {"max_new_tokens": 2},
        # one request a minute: the second is refused however slowly the first is answered (under 60 s)
        "serve": {"api_keys_env": "SUPPORTBOT_TEST_RATE_KEYS", "limits": {"requests_per_minute": 1},
                  "feedback": {"store": None}},
    }  # fmt: skip
    server = wait_ready(start_thread_server(tmp_path, "rate", config))
    try:
        one, two = ({"Authorization": f"Bearer {k}"} for k in KEYS)
        body = {"prompt": "How do I reset my PIN?", "max_new_tokens": 2}
        assert httpx.post(f"{server.url}/generate", json=body, headers=one, timeout=60).status_code == 200
        refused = httpx.post(f"{server.url}/generate", json=body, headers=one, timeout=60)
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        error = refused.json()["error"]
        assert error["type"] == "rate_limit_error" and error["code"] == "requests_per_minute"
        chat = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
        assert (
            httpx.post(f"{server.url}/v1/chat/completions", json=chat, headers=one, timeout=60).status_code
            == 429
        )
        assert httpx.post(f"{server.url}/generate", json=body, headers=two, timeout=60).status_code == 200
        assert httpx.get(f"{server.url}/v1/models", headers=one, timeout=30).status_code == 200  # not counted
        assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
        bad_key = httpx.post(f"{server.url}/generate", json=body, headers={"Authorization": "Bearer nope"})
        assert bad_key.status_code == 401  # the key is checked first
        assert (
            server.metric(
                "supportbot_requests_total", KEYS[0], route="/generate", method="POST", status="429"
            )
            == 1
        )
    finally:
        stop(server)

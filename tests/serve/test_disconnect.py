"""A client that leaves stops costing compute: its job is halted (queued or running) and logged as cancelled."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from .conftest import KEY_ENV, Server, start_thread_server, stop, wait_ready

LONG = {"prompt": "Tell me everything about refunds", "max_new_tokens": 1500}
QUICK = {"prompt": "hi", "max_new_tokens": 4}


@pytest.fixture(scope="module")
def slow_server(serve_tmp: Path) -> Server:
    """No batching (one job at a time), a generous deadline and a long token budget."""
    cfg = {
        "model": {"name": "tiny-random"},
        "serve": {
            "api_keys_env": "SUPPORTBOT_TEST_SLOW_KEYS",
            "request_timeout_s": 120,
            "batching": {"enabled": False},
            "limits": {"max_new_tokens": 1500, "max_prompt_tokens": 256},
            "request_log": str(serve_tmp / "slow-requests.jsonl"),
        },
    }
    import os

    os.environ["SUPPORTBOT_TEST_SLOW_KEYS"] = KEY_ENV
    server = wait_ready(start_thread_server(serve_tmp, "slow", cfg))
    yield server
    stop(server)


def _post(server: Server, body: dict, timeout: float = 120) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    r = httpx.post(f"{server.url}/generate", json=body, headers=server.headers(), timeout=timeout)
    return r, time.perf_counter() - started


def _log(server: Server) -> list[dict]:
    path = Path(server.config["serve"]["request_log"])
    return [json.loads(line) for line in path.read_text().splitlines()]


def _next_request_after(server: Server, leave) -> float:
    """Start a long generation, let the client leave (`leave`), then time a quick request."""
    leave()
    r, seconds = _post(server, QUICK)
    assert r.status_code == 200, r.text
    return seconds


def test_a_client_that_leaves_does_not_delay_the_next_request(slow_server: Server) -> None:
    full, long_s = _post(slow_server, LONG)  # how long the long answer takes when nobody leaves
    assert full.status_code == 200 and full.json()["tokens_out"] > 500, full.text
    _, quick_s = _post(slow_server, QUICK)
    assert long_s > 4 * quick_s + 0.5, (long_s, quick_s)  # otherwise the test could not tell

    def leave_non_streaming() -> None:
        with pytest.raises(httpx.ReadTimeout):
            _post(slow_server, LONG, timeout=0.5)

    after_leaving = _next_request_after(slow_server, leave_non_streaming)
    assert after_leaving < quick_s + long_s / 2, (after_leaving, quick_s, long_s)

    def leave_stream() -> None:
        body = {"messages": [{"role": "user", "content": LONG["prompt"]}], "max_tokens": 1500, "stream": True}
        url = f"{slow_server.url}/v1/chat/completions"
        with httpx.stream("POST", url, json=body, headers=slow_server.headers(), timeout=30) as r:
            assert r.status_code == 200
            for n, _ in enumerate(r.iter_lines()):
                if n >= 3:
                    break  # leave after a few chunks: the connection closes here

    after_stream = _next_request_after(slow_server, leave_stream)
    assert after_stream < quick_s + long_s / 2, (after_stream, quick_s, long_s)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        outcomes = [(line["route"], line["outcome"]) for line in _log(slow_server)]
        if outcomes.count(("/v1/chat/completions", "cancelled")) and ("/generate", "cancelled") in outcomes:
            break
        time.sleep(0.2)
    assert ("/generate", "cancelled") in outcomes, outcomes
    assert ("/v1/chat/completions", "cancelled") in outcomes, outcomes
    assert outcomes.count(("/generate", "ok")) == 4, outcomes  # the long one, and three quick ones

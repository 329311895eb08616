"""POST /generate answers with text and its cost; health, readiness and metrics move with traffic."""

from __future__ import annotations

import httpx

from .conftest import Server


def post(server: Server, body: dict) -> httpx.Response:
    return httpx.post(f"{server.url}/generate", json=body, headers=server.headers(), timeout=60)


def test_generate_returns_text_and_cost(server: Server) -> None:
    r = post(server, {"prompt": "Where is my refund?", "max_new_tokens": 4, "temperature": 0})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"text", "latency_ms", "tokens_in", "tokens_out", "model", "adapter"}
    assert isinstance(body["text"], str)
    assert body["latency_ms"] > 0
    assert 1 <= body["tokens_out"] <= 4
    assert body["tokens_in"] > 5
    assert (body["model"], body["adapter"]) == ("tiny-random", None)


def test_generate_with_adapter_names_its_directory(server: Server, adapters) -> None:
    body = post(server, {"prompt": "hi", "max_new_tokens": 2, "model": "tuned"}).json()
    assert body["model"] == "tuned"
    assert body["adapter"] == str(adapters["tuned"].resolve())


def test_greedy_is_deterministic_and_sampling_accepts_top_p(server: Server) -> None:
    a = post(server, {"prompt": "Card blocked", "max_new_tokens": 6}).json()
    b = post(server, {"prompt": "Card blocked", "max_new_tokens": 6}).json()
    assert a["text"] == b["text"]
    s = post(
        server, {"prompt": "Card blocked", "max_new_tokens": 3, "temperature": 0.8, "top_p": 0.9, "seed": 7}
    )
    assert s.status_code == 200


def test_healthz_and_readyz(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz").json()
    assert ready["status"] == "ready"
    assert ready["models"][0] == "tiny-random"
    assert "tuned" in ready["models"]


def test_metrics_counters_move(server: Server) -> None:
    ok = {"route": "/generate", "method": "POST", "status": "200"}
    before = {
        "requests": server.metric("supportbot_requests_total", **ok),
        "latency": server.metric("supportbot_request_latency_seconds_count", route="/generate"),
        "out": server.metric("supportbot_tokens_out_total", model="tiny-random"),
        "in": server.metric("supportbot_tokens_in_total", model="tiny-random"),
        "errors": server.metric("supportbot_errors_total", route="/generate", status="422"),
    }
    body = post(server, {"prompt": "Why was I charged twice?", "max_new_tokens": 3}).json()
    assert post(server, {"prompt": "x", "max_new_tokens": 0}).status_code == 422
    assert server.metric("supportbot_requests_total", **ok) == before["requests"] + 1
    assert (
        server.metric("supportbot_request_latency_seconds_count", route="/generate") == before["latency"] + 2
    )
    assert (
        server.metric("supportbot_tokens_out_total", model="tiny-random")
        == before["out"] + body["tokens_out"]
    )
    assert (
        server.metric("supportbot_tokens_in_total", model="tiny-random") == before["in"] + body["tokens_in"]
    )
    assert server.metric("supportbot_errors_total", route="/generate", status="422") == before["errors"] + 1


def test_metrics_are_prometheus_text(server: Server) -> None:
    r = httpx.get(f"{server.url}/metrics", headers=server.headers())
    assert r.headers["content-type"].startswith("text/plain")
    assert "# TYPE supportbot_request_latency_seconds histogram" in r.text

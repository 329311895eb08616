"""The OpenAI-compatible path against a real loopback server that answers with tiny-random."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportbot.core.config import GenerationConfig
from supportbot.core.models import load_model
from supportbot.core.suites import load_suite
from supportbot.eval.endpoint import EndpointClient, EndpointError
from supportbot.eval.runner import answer_suite, endpoint_answerer, local_answerer

KEY = "sk-test-123"
GEN = GenerationConfig(max_new_tokens=6)


def _app(lm):
    from fastapi import FastAPI, Header, HTTPException

    from supportbot.core.generation import generate

    app = FastAPI()
    lock = threading.Lock()

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": "tiny-run", "object": "model"}]}

    @app.post("/v1/chat/completions")
    def chat(body: dict, authorization: str | None = Header(None)) -> dict:
        if authorization != f"Bearer {KEY}":
            raise HTTPException(401, "invalid api key")
        cfg = GenerationConfig(temperature=body.get("temperature", 0.0), seed=body.get("seed", 0))
        with lock:
            g = generate(lm, [body["messages"]], cfg, body["max_tokens"])[0]
        return {
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": g.text},
                    "finish_reason": g.finish_reason,
                }
            ],
            "usage": {"prompt_tokens": g.tokens_in, "completion_tokens": g.tokens_out},
        }

    return app


@pytest.fixture(scope="module")
def tuned_lm(tiny_run_dir: Path):
    return load_model(str(tiny_run_dir))


def _biased_judge_app(calls: list[int]):
    """A judge endpoint with pure position bias: it always prefers answer A and calls B a hallucination."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/v1/chat/completions")
    def chat(body: dict) -> dict:
        calls.append(1)
        reply = '{"winner": "A", "a_hallucinates": false, "b_hallucinates": true, "reason": "A first"}'
        return {"choices": [{"message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}]}

    return app


def _serve(app) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "loopback server did not start"
    yield f"http://127.0.0.1:{port}/v1"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tuned_lm) -> Iterator[str]:
    yield from _serve(_app(tuned_lm))


def test_endpoint_answers_match_local_generation(
    tmp_path: Path, suite_path: Path, server: str, tuned_lm
) -> None:
    questions = load_suite(suite_path).questions
    client = EndpointClient(server, api_key=KEY, concurrency=2)
    assert client.model_name == "tiny-run"  # picked from GET /models
    remote = answer_suite(
        endpoint_answerer("tuned", client), questions, GEN, tmp_path / "r.jsonl", 2, progress=False
    )
    local = answer_suite(
        local_answerer("tuned", "run", tuned_lm), questions, GEN, tmp_path / "l.jsonl", 1, progress=False
    )
    assert {k: v["answer"] for k, v in remote.items()} == {k: v["answer"] for k, v in local.items()}
    row = remote["q001"]
    assert (
        row["device"] == "endpoint"
        and row["tokens_in"] == local["q001"]["tokens_in"]
        and row["latency_s"] > 0
    )
    client.close()


def test_endpoint_errors_are_clear(server: str) -> None:
    bad = EndpointClient(server, model_name="tiny-run", api_key="wrong")
    with pytest.raises(EndpointError, match=r"HTTP 401 \(check --api-key"):
        bad.chat([{"role": "user", "content": "hi"}], GEN)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with pytest.raises(EndpointError, match=rf"127.0.0.1:{dead}/v1/chat/completions: request failed"):
        EndpointClient(f"http://127.0.0.1:{dead}/v1", model_name="x").chat(
            [{"role": "user", "content": "hi"}], GEN
        )


def test_llm_judge_over_http_cancels_position_bias_and_resumes(tmp_path: Path, suite_path: Path) -> None:
    from supportbot.eval.config import LLMJudgeConfig
    from supportbot.eval.judges import LLMJudge

    questions = load_suite(suite_path).questions[:2]
    items = [(q, "tuned says this", "base says that") for q in questions]
    calls: list[int] = []
    cache = tmp_path / "llm_judge_replies.jsonl"
    for url in _serve(_biased_judge_app(calls)):
        judge = LLMJudge(
            endpoint_answerer("judge", EndpointClient(url, model_name="biased")), LLMJudgeConfig()
        )
        rows = judge.compare_many(items, kb={}, progress=False, cache=cache)
        assert len(calls) == 4  # two questions, both orders
        again = judge.compare_many(items, kb={}, progress=False, cache=cache)
        assert len(calls) == 4 and again == rows  # resumed from the cache: nothing asked twice
        assert judge.describe()["model"] == "biased"
    assert [r["tuned_points"] for r in rows] == [0.5, 0.5]  # "A" in both orders: one win, one loss
    assert all(r["unparsed"] == 0 and not r["position_consistent"] for r in rows)
    # its hallucination flag follows the position too, so neither order's flag is confirmed by the other
    assert all(r["tuned_hallucinates"] is False and r["base_hallucinates"] is False for r in rows)

"""serve.context: /generate and chat read the KB sentences retrieved for the question, as in training."""

from __future__ import annotations

import httpx
import pytest

from .conftest import REPO, start_thread_server, stop, wait_ready

KB = REPO / "data" / "sample" / "kb"


@pytest.fixture(scope="module")
def context_server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("ctx")
    cfg = {
        "model": {"name": "tiny-random"},
        "generation": {"max_new_tokens": 4},
        "serve": {"context": {"index_dir": str(tmp / "idx"), "kb_dir": str(KB), "k": 2}},
    }
    server = wait_ready(start_thread_server(tmp, "ctx", cfg))  # no keys: loopback clients only
    yield server
    stop(server)


def test_generate_reads_retrieved_context_and_names_the_chunks(context_server):
    prompt = "What are the video KYC service hours?"
    r = httpx.post(f"{context_server.url}/generate", json={"prompt": prompt}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["context_chunk_ids"]) == 2
    assert any(cid.startswith("KB-001#") for cid in body["context_chunk_ids"])
    # the prompt carried the retrieved sentences: the bare question + system prompt is 38 tokens
    assert body["tokens_in"] > 38 + 40


def test_chat_completion_gets_the_same_context(context_server):
    msg = {"role": "user", "content": "What are the video KYC service hours?"}
    r = httpx.post(f"{context_server.url}/v1/chat/completions", json={"messages": [msg]}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["usage"]["prompt_tokens"] > 38 + 40

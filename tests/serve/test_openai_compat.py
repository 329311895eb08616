"""The `openai` Python client works unchanged against the server: models, completions, streaming."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from .conftest import KEY_ENV, KEY_FILE, Server


def client(server: Server, key: str = KEY_ENV) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=60)


QUESTION = [{"role": "user", "content": "How do I reset my PIN?"}]


def test_models_lists_base_and_adapter(server: Server) -> None:
    ids = [m.id for m in client(server).models.list().data]
    assert ids[0] == "tiny-random"
    assert "tuned" in ids


def test_non_streaming_completion(server: Server) -> None:
    done = client(server).chat.completions.create(model="tiny-random", messages=QUESTION, max_tokens=5)
    assert done.object == "chat.completion"
    assert done.model == "tiny-random"
    assert done.choices[0].finish_reason in ("stop", "length")
    assert isinstance(done.choices[0].message.content, str)
    assert 1 <= done.usage.completion_tokens <= 5
    assert done.usage.prompt_tokens > 5  # system prompt + question through the chat template
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens


def test_streaming_matches_non_streaming(server: Server) -> None:
    c = client(server)
    whole = c.chat.completions.create(model="tiny-random", messages=QUESTION, max_tokens=6)
    chunks = list(
        c.chat.completions.create(
            model="tiny-random",
            messages=QUESTION,
            max_tokens=6,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    finishes = [ch.choices[0].finish_reason for ch in chunks if ch.choices and ch.choices[0].finish_reason]
    assert text.strip() == whole.choices[0].message.content  # greedy: same answer either way
    assert finishes == [whole.choices[0].finish_reason]
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_sse_wire_format(server: Server) -> None:
    body = {"messages": QUESTION, "max_tokens": 3, "stream": True}
    with httpx.stream(
        "POST", f"{server.url}/v1/chat/completions", json=body, headers=server.headers(), timeout=60
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = r.read().decode()
    events = [e for e in raw.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    first = json.loads(events[0][6:])
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"][0]["delta"]["role"] == "assistant"


def test_adapter_chosen_by_model_name(server: Server) -> None:
    c = client(server, KEY_FILE)  # the key from the key file works too
    base = c.chat.completions.create(model="tiny-random", messages=QUESTION, max_tokens=8)
    tuned = c.chat.completions.create(model="tuned", messages=QUESTION, max_tokens=8)
    assert tuned.model == "tuned"
    assert tuned.choices[0].message.content != base.choices[0].message.content


def test_wrong_key_is_an_authentication_error(server: Server) -> None:
    with pytest.raises(openai.AuthenticationError):
        client(server, "sk-wrong-key-000000000000").models.list()


def test_unknown_model_is_not_found(server: Server) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client(server).chat.completions.create(model="gpt-9", messages=QUESTION, max_tokens=2)
    assert err.value.body["param"] == "model"

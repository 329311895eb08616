"""Bad input gets a 4xx whose error names the field — never a 500."""

from __future__ import annotations

import httpx
import pytest

from .conftest import ADMIN_KEY, KEY_ENV, Server

MSG = [{"role": "user", "content": "hi"}]
LONG_PROMPT = "refund " * 400  # ~400+ tokens > serve.limits.max_prompt_tokens (256), < 4096 bytes

CASES = [
    # (route, body, status, field)
    ("/generate", {"prompt": "hi", "max_new_tokens": 0}, 422, "max_new_tokens"),
    ("/generate", {"prompt": "hi", "max_new_tokens": 17}, 422, "max_new_tokens"),  # above the server's 16
    ("/generate", {"prompt": "hi", "temperature": 2.5}, 422, "temperature"),
    ("/generate", {"prompt": "hi", "temperature": -0.1}, 422, "temperature"),
    ("/generate", {"prompt": "hi", "top_p": 0}, 422, "top_p"),
    ("/generate", {"prompt": ""}, 422, "prompt"),
    ("/generate", {"max_new_tokens": 3}, 422, "prompt"),
    ("/generate", {"prompt": "hi", "colour": "red"}, 422, "colour"),
    ("/generate", {"prompt": "hi", "stop": ["a", "b", "c", "d", "e"]}, 422, "stop"),
    ("/generate", {"prompt": "hi", "model": "nope"}, 404, "model"),
    ("/generate", {"prompt": LONG_PROMPT}, 400, "prompt"),
    ("/v1/chat/completions", {"messages": []}, 422, "messages"),
    ("/v1/chat/completions", {"messages": [{"role": "robot", "content": "hi"}]}, 422, "messages.0.role"),
    ("/v1/chat/completions", {"messages": MSG, "n": 0}, 422, "n"),
    ("/v1/chat/completions", {"messages": MSG, "max_tokens": 17}, 422, "max_tokens"),
    ("/v1/chat/completions", {"messages": MSG, "temperature": 3}, 422, "temperature"),
    ("/v1/chat/completions", {"messages": MSG * 9}, 422, "messages"),  # above max_messages (8)
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": LONG_PROMPT}]}, 400, "messages"),
    ("/admin/reload", {"adapters": {"x": "/no/such/dir"}}, 403, "adapters"),  # outside the allowed dirs
    ("/admin/reload", {"remove": ["not-loaded"]}, 404, "remove"),
]


@pytest.mark.parametrize(("route", "body", "status", "field"), CASES)
def test_bad_input_names_the_field(server: Server, route: str, body: dict, status: int, field: str) -> None:
    headers = server.headers(ADMIN_KEY if route.startswith("/admin/") else KEY_ENV)
    r = httpx.post(f"{server.url}{route}", json=body, headers=headers, timeout=60)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["param"] == field
    assert field.split(".")[0] in error["message"]


def test_malformed_json_is_422(server: Server) -> None:
    r = httpx.post(
        f"{server.url}/generate",
        content=b'{"prompt": ',
        headers={**server.headers(), "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_oversized_body_is_413(server: Server) -> None:
    r = httpx.post(f"{server.url}/generate", json={"prompt": "x" * 5000}, headers=server.headers())
    assert r.status_code == 413
    assert r.json()["error"]["param"] == "body"


def test_unknown_route_is_json_404(server: Server) -> None:
    r = httpx.get(f"{server.url}/v2/nothing", headers=server.headers())
    assert r.status_code == 404
    assert "error" in r.json()


UNSUPPORTED = [
    ({"n": 2}, "n"),
    ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "tools"),
    ({"tool_choice": "required"}, "tool_choice"),
    ({"functions": [{"name": "f"}]}, "functions"),
    ({"logprobs": True}, "logprobs"),
    ({"top_logprobs": 3}, "top_logprobs"),
    ({"response_format": {"type": "json_object"}}, "response_format"),
]


@pytest.mark.parametrize(("extra", "field"), UNSUPPORTED, ids=[f for _, f in UNSUPPORTED])
def test_unsupported_openai_fields_are_a_400_naming_the_field(
    server: Server, extra: dict, field: str
) -> None:
    r = httpx.post(
        f"{server.url}/v1/chat/completions",
        json={"messages": MSG, "max_tokens": 2, **extra},
        headers=server.headers(),
        timeout=60,
    )
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert (error["param"], error["code"]) == (field, "unsupported_field")
    assert field in error["message"]


def test_supported_values_of_those_fields_still_answer(server: Server) -> None:
    body = {"messages": MSG, "max_tokens": 2, "tool_choice": "none", "logprobs": False}
    body["response_format"] = {"type": "text"}
    r = httpx.post(f"{server.url}/v1/chat/completions", json=body, headers=server.headers(), timeout=60)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("temperature", [1e-38, 1e-300, 5e-6])
def test_a_tiny_temperature_is_greedy_not_a_500(server: Server, temperature: float) -> None:
    def ask(t: float) -> httpx.Response:
        body = {"prompt": "hi", "max_new_tokens": 4, "temperature": t}
        return httpx.post(f"{server.url}/generate", json=body, headers=server.headers(), timeout=60)

    r, greedy = ask(temperature), ask(0.0)
    assert r.status_code == 200, r.text
    assert r.json()["text"] == greedy.json()["text"]


def test_the_published_spec_states_the_servers_token_limit(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json", headers=server.headers()).json()
    maxima = {}
    for name, component in spec["components"]["schemas"].items():
        for field in ("max_new_tokens", "max_tokens", "max_completion_tokens"):
            prop = component.get("properties", {}).get(field)
            if prop:
                maxima[f"{name}.{field}"] = [
                    a["maximum"] for a in [prop, *prop.get("anyOf", [])] if "maximum" in a
                ]
    assert maxima["GenerateRequest.max_new_tokens"] == [16]  # the test server's serve.limits.max_new_tokens
    assert maxima["ChatCompletionRequest.max_tokens"] == [16]
    # and its message limit, so a schema-valid chat request is never a 422 (the fuzz test found 9 messages)
    messages = spec["components"]["schemas"]["ChatCompletionRequest"]["properties"]["messages"]
    assert [
        a.get("maxItems") for a in [messages, *messages.get("anyOf", [])] if a.get("type") == "array"
    ] == [8]

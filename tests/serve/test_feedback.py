"""POST /v1/feedback on the real server: auth, validation, append-only storage with PII scrubbed, the
corrected answers becoming preference pairs, and the remembered answers surviving a restart and shared by two
workers."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from supportbot.core.errors import ConfigError
from supportbot.serve.feedback import ResponseStore

from .conftest import KEY_ENV, Server, start_server, stop, wait_ready

CARD = "4111 1111 1111 1111"
EMAIL = "priya.shah@example.com"


def _chat(server: Server, content: str) -> dict:
    body = {"model": "tiny-random", "messages": [{"role": "user", "content": content}], "max_tokens": 8,
            "temperature": 1.0, "seed": 7}  # fmt: skip
    r = httpx.post(f"{server.url}/v1/chat/completions", json=body, headers=server.headers(), timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def _feedback(server: Server, body: dict, key: str | None = KEY_ENV) -> httpx.Response:
    headers = server.headers(key) if key else {}
    return httpx.post(f"{server.url}/v1/feedback", json=body, headers=headers, timeout=30)


def _records(server: Server) -> list[dict]:
    path = Path(server.config["serve"]["feedback"]["path"])
    return [json.loads(x) for x in path.read_text().splitlines()] if path.is_file() else []


def test_feedback_needs_a_key(server: Server) -> None:
    done = _chat(server, "How do I reset my PIN?")
    assert _feedback(server, {"response_id": done["id"], "rating": "up"}, key=None).status_code == 401
    assert (
        _feedback(
            server, {"response_id": done["id"], "rating": "up"}, key="sk-wrong-key-000000000"
        ).status_code
        == 401
    )


def test_feedback_is_validated_and_names_the_field(server: Server) -> None:
    done = _chat(server, "How do I reset my PIN?")
    bad = _feedback(server, {"response_id": done["id"], "rating": "meh"})
    assert bad.status_code == 422 and bad.json()["error"]["param"] == "rating"
    extra = _feedback(server, {"response_id": done["id"], "rating": "up", "stars": 5})
    assert extra.status_code == 422 and extra.json()["error"]["param"] == "stars"
    unknown = _feedback(server, {"response_id": "chatcmpl-nope", "rating": "down"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_response"
    huge = _feedback(server, {"response_id": done["id"], "rating": "down", "correction": "x" * 6000})
    assert huge.status_code == 413  # serve.limits.max_body_bytes holds for feedback too


def test_feedback_is_appended_with_pii_scrubbed_and_becomes_a_preference_pair(
    server: Server, tmp_path
) -> None:
    before = len(_records(server))
    done = _chat(server, f"My card {CARD} was charged twice, email me at {EMAIL}")
    gen = httpx.post(
        f"{server.url}/generate", json={"prompt": "How do I close my account?", "max_new_tokens": 4},
        headers=server.headers(), timeout=60,
    ).json()  # fmt: skip
    correction = f"Refunds of double charges reach you in 5 working days; we wrote to {EMAIL}."
    r1 = _feedback(
        server, {"response_id": done["id"], "rating": "down", "correction": correction, "note": "wrong"}
    )
    r2 = _feedback(server, {"response_id": gen["id"], "rating": "up"})
    assert r1.status_code == 201 and r2.status_code == 201
    assert r1.json()["response_id"] == done["id"] and r1.json()["id"].startswith("fb-")
    records = _records(server)[before:]
    assert [r["response_id"] for r in records] == [done["id"], gen["id"]]
    text = json.dumps(records)
    assert CARD not in text and EMAIL not in text and "[CARD]" in text and "[EMAIL]" in text
    first = records[0]
    assert first["rating"] == "down" and first["route"] == "/v1/chat/completions"
    assert first["answer"] == done["choices"][0]["message"]["content"]
    assert first["messages"][-1]["role"] == "user"

    from supportbot.review.config import PreferencesConfig
    from supportbot.review.preferences import prepare_preferences

    path = Path(server.config["serve"]["feedback"]["path"])
    result = prepare_preferences(
        PreferencesConfig(feedback=[str(path)], out=str(tmp_path / "prefs"), eval_suite=None)
    )
    pairs = [
        json.loads(x)
        for s in ("train", "val")
        for x in (tmp_path / "prefs" / f"{s}.jsonl").read_text().splitlines()
    ]
    mine = [p for p in pairs if p["meta"]["response_id"] == done["id"]]
    assert (
        len(mine) == 1
        and mine[0]["chosen"].startswith("Refunds of double charges")
        and "[EMAIL]" in mine[0]["chosen"]
    )
    assert "[CARD]" in mine[0]["inputs"]["question"]
    assert (
        result.manifest["skipped"]["feedback_without_correction"] >= 1
    )  # the thumbs-up: counted, not a pair


def test_a_remembered_answer_is_found_by_another_worker_and_after_a_restart(tmp_path) -> None:
    """Two server processes on one store file (two workers of one host): feedback reaches the answer whichever
    of them gave it, and a third process started after both stopped still finds the answers."""
    feedback = {"path": str(tmp_path / "feedback.jsonl"), "store": str(tmp_path / "answers.sqlite")}
    config = {
        "model": {"name": "tiny-random"},
        "generation": {"max_new_tokens": 4},
        "serve": {"feedback": feedback},
    }
    env = {"SUPPORTBOT_API_KEYS": KEY_ENV}
    first, second = (start_server(tmp_path, name, config, env) for name in ("worker1", "worker2"))
    try:
        wait_ready(first), wait_ready(second)
        answers = [_chat(first, f"My card {CARD} was charged twice ({i})") for i in range(2)]
        across = _feedback(second, {"response_id": answers[0]["id"], "rating": "up"})
        assert across.status_code == 201, across.text
    finally:
        stop(first), stop(second)
    assert CARD.encode() not in (tmp_path / "answers.sqlite").read_bytes()  # stored scrubbed
    restarted = wait_ready(start_server(tmp_path, "restarted", config, env))
    try:
        later = _feedback(
            restarted, {"response_id": answers[1]["id"], "rating": "down", "correction": "Refund."}
        )
        assert later.status_code == 201, later.text
        unknown = _feedback(restarted, {"response_id": "chatcmpl-nope", "rating": "down"})
        assert unknown.status_code == 404 and "answers.sqlite" in unknown.json()["error"]["message"]
    finally:
        stop(restarted)
    records = _records(restarted)
    assert [r["response_id"] for r in records] == [a["id"] for a in answers]
    assert records[1]["answer"] == answers[1]["choices"][0]["message"]["content"]
    assert "[CARD]" in records[1]["messages"][-1]["content"]


@pytest.mark.parametrize("on_disk", [True, False])
def test_the_store_keeps_the_newest_answers_scrubbed(tmp_path, on_disk: bool) -> None:
    path = str(tmp_path / "answers.sqlite") if on_disk else None
    store = ResponseStore(3, path)
    for i in range(5):
        store.remember(
            f"r{i}", "/generate", "m", [{"role": "user", "content": f"mail {i}@example.com"}], f"a{i}"
        )
    assert [store.get(f"r{i}") is not None for i in range(5)] == [False, False, True, True, True]
    assert store.get("r4") == {"route": "/generate", "model": "m", "answer": "a4",
                               "messages": [{"role": "user", "content": "mail [EMAIL]"}]}  # fmt: skip
    store.close()
    if on_disk:
        assert ResponseStore(3, path).get("r3")["answer"] == "a3"  # reopened: still there


def test_a_store_that_cannot_be_opened_names_the_setting(tmp_path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(ConfigError, match=r"serve\.feedback\.store .*file/answers\.sqlite"):
        ResponseStore(10, str(tmp_path / "file" / "answers.sqlite"))

"""The runner: deterministic, batched, resumable; answers.jsonl is appended and never redone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportbot.core.config import GenerationConfig
from supportbot.core.models import load_model
from supportbot.core.suites import load_suite
from supportbot.eval.runner import answer_suite, local_answerer, read_answers

GEN = GenerationConfig(max_new_tokens=6)


@pytest.fixture(scope="module")
def tuned_lm(tiny_run_dir: Path):
    return load_model(str(tiny_run_dir))


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_rerun_skips_answered_ids(tmp_path: Path, suite_path: Path, tuned_lm) -> None:
    questions = load_suite(suite_path).questions
    answers = tmp_path / "answers.jsonl"
    a = local_answerer("tuned", "run", tuned_lm)
    answer_suite(a, questions[:2], GEN, answers, batch_size=2, progress=False)  # "crash" after 2
    first = _lines(answers)
    assert [r["id"] for r in first] == ["q001", "q002"]
    rows = answer_suite(a, questions, GEN, answers, batch_size=2, progress=False)
    after = _lines(answers)
    assert len(after) == 4 and sorted(rows) == ["q001", "q002", "q003", "q004"]
    assert after[:2] == first  # same lines, same timestamps: not regenerated
    assert after[2]["answered_at"] >= first[1]["answered_at"]
    answer_suite(a, questions, GEN, answers, batch_size=2, progress=False)
    assert len(_lines(answers)) == 4  # nothing left to do
    r = after[0]
    assert r["tokens_in"] > 0 and 0 < r["tokens_out"] <= 6 and r["latency_s"] > 0 and r["batch_size"] == 2


def test_half_written_last_line_is_redone(tmp_path: Path, suite_path: Path, tuned_lm) -> None:
    questions = load_suite(suite_path).questions[:2]
    answers = tmp_path / "answers.jsonl"
    a = local_answerer("tuned", "run", tuned_lm)
    answer_suite(a, questions[:1], GEN, answers, batch_size=1, progress=False)
    with answers.open("a") as f:
        f.write('{"model": "tuned", "id": "q002", "answ')  # killed mid-write
    assert set(read_answers(answers)) == {("tuned", "q001")}
    answer_suite(a, questions, GEN, answers, batch_size=1, progress=False)
    assert [r["id"] for r in _lines(answers)] == ["q001", "q002"]


def test_greedy_answers_are_deterministic_and_base_comes_from_adapter_off(
    tmp_path: Path, suite_path: Path, tuned_lm, tiny_lm
) -> None:
    questions = load_suite(suite_path).questions
    runs = []
    for name in ("a.jsonl", "b.jsonl"):
        rows = answer_suite(
            local_answerer("tuned", "run", tuned_lm), questions, GEN, tmp_path / name, 4, progress=False
        )
        runs.append({k: v["answer"] for k, v in rows.items()})
    assert runs[0] == runs[1]
    assert any(runs[0].values())  # the perturbed adapter writes text
    off = answer_suite(
        local_answerer("base", "tiny-random", tuned_lm, adapter_off=True),
        questions,
        GEN,
        tmp_path / "c.jsonl",
        4,
        progress=False,
    )
    plain = answer_suite(
        local_answerer("base", "tiny-random", tiny_lm),
        questions,
        GEN,
        tmp_path / "d.jsonl",
        4,
        progress=False,
    )
    assert {k: v["answer"] for k, v in off.items()} == {k: v["answer"] for k, v in plain.items()}
    assert {k: v["answer"] for k, v in off.items()} != runs[0]

"""Suites and KB files: valid ones load; bad ones fail with the file, question id and field named."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from supportbot.core.errors import DataError
from supportbot.core.suites import check_kb_ids, load_kb, load_suite, support_text

from .eval_data import QUESTIONS, write_suite


def test_suite_loads_with_slices(suite_path: Path) -> None:
    suite = load_suite(suite_path)
    assert [q.id for q in suite.questions] == ["q001", "q002", "q003", "q004"]
    assert suite.questions[0].slices() == {
        "stage": "onboarding",
        "error_code": "WINDOW_CLOSED",
        "language": "en",
        "category": "troubleshooting",
        "expected_behavior": "answer",
    }
    assert suite.questions[1].slices()["error_code"] == "none"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reference_answer", None),
        ("question", ""),
        ("category", "chit-chat"),
        ("expected_behavior", "ignore"),
        ("kb_ids", "KB-001"),
        ("json_schema", {"type": "no-such-type"}),
    ],
)
def test_bad_field_names_file_question_and_field(tmp_path: Path, field: str, value: object) -> None:
    questions = copy.deepcopy(QUESTIONS)
    questions[2][field] = value
    path = write_suite(tmp_path / "bad.json", questions)
    with pytest.raises(DataError) as exc:
        load_suite(path)
    assert str(path) in str(exc.value)
    assert "question q003" in str(exc.value)
    assert f"'{field}'" in str(exc.value)


def test_duplicate_id_and_broken_json_are_reported(tmp_path: Path) -> None:
    questions = copy.deepcopy(QUESTIONS)
    questions[1]["id"] = "q001"
    with pytest.raises(DataError, match=r"question q001: field 'id' is duplicated"):
        load_suite(write_suite(tmp_path / "dup.json", questions))
    broken = tmp_path / "broken.json"
    broken.write_text('{"questions": [\n  {"id": "q1",}\n]}')
    with pytest.raises(DataError, match=r"broken.json: not valid JSON \(line 2"):
        load_suite(broken)


def test_kb_articles_and_unknown_kb_ids(tmp_path: Path, kb_dir: Path, suite_path: Path) -> None:
    kb = load_kb(kb_dir)
    assert sorted(kb) == ["KB-001", "KB-002"]
    assert "WINDOW_CLOSED" in kb["KB-001"].body
    suite = load_suite(suite_path)
    check_kb_ids(suite, kb)  # all cited articles exist
    assert "9:00 PM" in support_text(suite.questions[0], kb)

    questions = copy.deepcopy(QUESTIONS)
    questions[1]["kb_ids"] = ["KB-404"]
    bad = load_suite(write_suite(tmp_path / "s.json", questions))
    with pytest.raises(DataError, match=r"question q002: field 'kb_ids' names unknown article\(s\) KB-404"):
        check_kb_ids(bad, kb)


def test_kb_without_front_matter_is_named(tmp_path: Path) -> None:
    (tmp_path / "KB-009-x.md").write_text("# no front matter\n")
    with pytest.raises(DataError, match=r"KB-009-x.md: missing YAML front matter"):
        load_kb(tmp_path)


def test_shipped_suite_is_valid(repo_root: Path) -> None:
    path = repo_root / "eval" / "suites" / "support_100.json"
    if not path.is_file():
        pytest.skip("support_100.json not built yet")
    suite = load_suite(path)
    check_kb_ids(suite, load_kb(repo_root / "data" / "sample" / "kb"))
    assert len(suite.questions) == len(json.loads(path.read_text())["questions"])

"""prepare-preferences on a real results dir: human, judge and correction pairs, PII, dedup, the group split,
and the eval-suite leakage guard shown firing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportbot.core.errors import DataError
from supportbot.review.config import PreferencesConfig
from supportbot.review.labels import Label, append_label
from supportbot.review.pairs import load_pairs
from supportbot.review.preferences import prepare_preferences

SUPPORT_100 = str(Path(__file__).resolve().parents[2] / "eval" / "suites" / "support_100.json")


def _label(results_dir: Path) -> list:
    _, pairs = load_pairs(results_dir)
    p0, p1, p2 = pairs[:3]
    append_label(results_dir, Label(p0.id, "A", p0.a, p0.b, "ana"))
    fix = "Open Settings > Security and tap Reset PIN; questions to help@novapay-user.example."
    append_label(results_dir, Label(p1.id, "both_wrong", p1.a, p1.b, "ana", correction=fix))
    append_label(results_dir, Label(p2.id, "tie", p2.a, p2.b, "ana"))
    return pairs


def _rows(out: Path) -> dict[str, list[dict]]:
    return {
        s: [json.loads(x) for x in (out / f"{s}.jsonl").read_text().splitlines()] for s in ("train", "val")
    }


def test_human_verdicts_corrections_and_judge_pairs_become_split_scrubbed_pairs(results_dir, tmp_path):
    pairs = _label(results_dir)
    out = tmp_path / "prefs"
    cfg = PreferencesConfig(
        results=[str(results_dir)], out=str(out), judge_margin=0.0, eval_suite=SUPPORT_100
    )
    m = prepare_preferences(cfg).manifest
    rows = _rows(out)
    every = rows["train"] + rows["val"]
    p0, p1 = pairs[0], pairs[1]
    first = [r for r in every if r["meta"]["id"] == p0.id]
    assert (
        len(first) == 1
        and first[0]["chosen"] == p0.answers[p0.a]
        and first[0]["rejected"] == p0.answers[p0.b]
    )
    corrected = [r for r in every if r["meta"]["id"] == p1.id]
    assert corrected and all(r["chosen"].endswith("questions to [EMAIL].") for r in corrected)  # PII scrubbed
    assert {r["meta"]["rejected_model"] for r in corrected} <= {"tuned", "base"}
    assert m["skipped"]["human_tie_without_correction"] == 1
    assert m["pairs"]["by_source"]["human"] == 1 + len(corrected)
    assert all(
        r["meta"]["source"] == "judge"
        for r in every
        if r["meta"]["id"] not in {pairs[0].id, pairs[1].id, pairs[2].id}
    )
    assert rows["val"] and rows["train"]  # both sides get a group
    groups = {s: {r["meta"]["group"] for r in rows[s]} for s in rows}
    assert not groups["train"] & groups["val"]  # one question's pairs never straddle the split
    assert m["dataset_hash"] and m["quarantine"]["eval_suite_leaks"] == 0


def test_the_same_verdicts_twice_are_deduplicated_into_the_quarantine(results_dir, tmp_path):
    _label(results_dir)
    out = tmp_path / "prefs"
    cfg = PreferencesConfig(
        results=[str(results_dir), str(results_dir)], out=str(out), judge_margin=None, eval_suite=None
    )
    m = prepare_preferences(cfg).manifest
    quarantine = [json.loads(x) for x in (out / "quarantine.jsonl").read_text().splitlines()]
    assert m["pairs"]["kept"] * 2 == m["pairs"]["candidates"] and len(quarantine) == m["pairs"]["kept"]
    assert all(q["reason"].startswith("duplicate of ") for q in quarantine)


def test_the_leakage_guard_quarantines_pairs_on_eval_suite_questions(results_dir, tmp_path):
    """Verdicts on the suite's own questions would train on the eval: every one is held back, and named."""
    _label(results_dir)
    out = tmp_path / "prefs"
    suite = json.loads((results_dir / "metrics.json").read_text())["suite"]["path"]
    cfg = PreferencesConfig(results=[str(results_dir)], out=str(out), judge_margin=0.0, eval_suite=suite)
    with pytest.raises(DataError, match="no pair left"):
        prepare_preferences(cfg)
    quarantine = [json.loads(x) for x in (out / "quarantine.jsonl").read_text().splitlines()]
    assert quarantine and all(q["reason"].startswith("eval-suite leak: q00") for q in quarantine)


def test_a_dir_that_is_not_a_finished_eval_is_named(tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(DataError, match=r"half: no answers.jsonl"):
        prepare_preferences(PreferencesConfig(results=[str(tmp_path / "half")], out=str(tmp_path / "o")))

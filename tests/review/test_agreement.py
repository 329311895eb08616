"""Human labels on a real results dir: append-only human.jsonl, win rate with interval, kappa, the report."""

from __future__ import annotations

import json

import pytest

from supportbot.core.errors import DataError
from supportbot.review.agreement import cohen_kappa, human_summary, update_eval_report
from supportbot.review.labels import HUMAN_LABELS, Label, append_label, read_labels
from supportbot.review.pairs import a_is_tuned, load_pairs


def test_cohen_kappa_matches_the_textbook_values():
    # 50 items: both say tuned 20, both base 15, disagree 15 -> p_o 0.7, p_e 0.5 -> kappa 0.4
    first = ["tuned"] * 20 + ["base"] * 15 + ["tuned"] * 5 + ["base"] * 10
    second = ["tuned"] * 20 + ["base"] * 15 + ["base"] * 5 + ["tuned"] * 10
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert cohen_kappa(["tie", "tie"], ["tie", "tie"]) is None  # chance agreement 1: undefined
    assert cohen_kappa(["tuned", "base"], ["base", "tuned"]) == pytest.approx(-1.0)


def test_pairs_are_blind_stable_and_mixed(results_dir):
    eval_id, pairs = load_pairs(results_dir)
    again = load_pairs(results_dir)[1]
    assert [(p.a, p.b) for p in pairs] == [(p.a, p.b) for p in again]
    assert {p.a for p in pairs} <= {"tuned", "base"} and all({p.a, p.b} == {"tuned", "base"} for p in pairs)
    assert all(a_is_tuned(eval_id, p.id) == (p.a == "tuned") for p in pairs)
    public = pairs[0].public()
    assert "tuned" not in json.dumps(list(public)) and "judge_winner" not in public


def test_labels_append_and_the_newest_one_counts_in_the_summary_and_report(results_dir):
    _, pairs = load_pairs(results_dir)
    p0, p1, p2 = pairs[:3]
    append_label(results_dir, Label(p0.id, "A", p0.a, p0.b, "ana", time="t1"))
    append_label(results_dir, Label(p0.id, "B", p0.a, p0.b, "ana", note="changed my mind", time="t2"))
    append_label(
        results_dir, Label(p1.id, "both_wrong", p1.a, p1.b, "ana", correction="Open Settings.", time="t3")
    )
    append_label(results_dir, Label(p2.id, "tie", p2.a, p2.b, "ana", time="t4"))
    assert len(read_labels(results_dir / HUMAN_LABELS)) == 4  # nothing overwritten
    human = human_summary(pairs, read_labels(results_dir / HUMAN_LABELS))
    assert human["n"] == 3 and human["counts"]["both_wrong"] == 1 and human["corrections"] == 1
    winner0 = p0.b
    expected = ({"tuned": 1.0, "base": 0.0}[winner0] + 0.5 + 0.5) / 3
    assert human["win_rate"] == pytest.approx(expected)
    assert human["agreement"]["n"] == 3
    assert sum(sum(row.values()) for row in human["agreement"]["confusion"].values()) == 3
    update_eval_report(results_dir, pairs, 2)
    report = (results_dir / "report.md").read_text()
    assert "## Human review" in report and "Cohen's kappa" in report and "3 verdict(s)" in report
    assert json.loads((results_dir / "metrics.json").read_text())["human"]["n"] == 3


def test_a_bad_label_line_is_named(results_dir):
    (results_dir / HUMAN_LABELS).write_text(
        '{"id": "q001", "choice": "maybe", "a": "tuned", "b": "base", "reviewer": "x"}\n'
    )
    with pytest.raises(DataError, match=r"human.jsonl:1: field 'choice'"):
        read_labels(results_dir / HUMAN_LABELS)


def test_two_reviewers_on_the_same_items_give_a_human_ceiling_and_each_item_counts_once(results_dir):
    _, pairs = load_pairs(results_dir)
    p = pairs[:4]

    def vote(pair, winner, who):
        choice = {pair.a: "A", pair.b: "B"}.get(winner, winner)
        append_label(results_dir, Label(pair.id, choice, pair.a, pair.b, who, time="t"))

    for pair, w in zip(p[:3], ["tuned", "base", "both_wrong"], strict=True):
        vote(pair, w, "ana")
    for pair, w in zip(p[:3], ["tuned", "tuned", "tie"], strict=True):
        vote(pair, w, "ben")
    vote(p[3], "tuned", "cy")  # rated by nobody else: no comparison
    human = human_summary(pairs, read_labels(results_dir / HUMAN_LABELS))
    between = human["between_reviewers"]
    # ana [tuned, base, tie] vs ben [tuned, tuned, tie]: p_o 2/3, p_e 2/9 + 1/9 = 1/3 -> kappa 0.5
    assert between["n"] == 3 and between["raw"] == pytest.approx(2 / 3)
    assert between["kappa"] == pytest.approx(0.5)
    assert [r["reviewers"] for r in between["pairs"]] == [["ana", "ben"]]
    # per item: 1, (0 + 1) / 2, 0.5, 1 -> 0.75 (per verdict it would be 5 / 7)
    assert human["n"] == 7 and human["items"] == 4 and human["win_rate"] == pytest.approx(0.75)
    update_eval_report(results_dir, pairs, 2)
    report = (results_dir / "report.md").read_text()
    assert "human vs human on 3 shared verdict pair(s): agreement 66.7%, Cohen's kappa 0.500" in report


def test_one_reviewer_per_item_says_there_is_no_human_ceiling(results_dir):
    _, pairs = load_pairs(results_dir)
    append_label(results_dir, Label(pairs[0].id, "A", pairs[0].a, pairs[0].b, "ana", time="t"))
    human = human_summary(pairs, read_labels(results_dir / HUMAN_LABELS))
    assert human["between_reviewers"] == {"n": 0, "raw": None, "kappa": None, "pairs": []}
    update_eval_report(results_dir, pairs, 2)
    assert "no item was rated by two reviewers yet" in (results_dir / "report.md").read_text()

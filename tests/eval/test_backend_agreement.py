"""Agreement between two runtimes' answers: identical share and common prefix in tokens, per model label."""

from __future__ import annotations

import json
from pathlib import Path

from supportbot.core.models import load_tokenizer
from supportbot.eval.backend_agreement import agreement, common_prefix, markdown_table, runtime_of


def results_dir(path: Path, answers: dict[tuple[str, str], str], backend: dict | None) -> Path:
    path.mkdir()
    rows = [{"model": m, "id": i, "answer": a} for (m, i), a in answers.items()]
    (path / "answers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    manifest = {"backend": backend} if backend else {}
    overall = {
        "tuned": {"hallucination_rate": 0.4, "fact_coverage": 0.1, "seconds_per_answer": 1.0},
        "base": {"hallucination_rate": 0.5, "fact_coverage": 0.05, "seconds_per_answer": 1.2},
        "pairwise": {"win_rate": 0.55, "win_rate_ci95": [0.46, 0.64], "hallucination_reduction": 0.2},
    }
    (path / "metrics.json").write_text(json.dumps({"overall": overall, "manifest": manifest}))
    return path


def test_common_prefix_counts_leading_equal_ids():
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([], [1]) == 0 and common_prefix([7, 8], [7, 8]) == 2


def test_agreement_per_label_on_real_tokens(tmp_path):
    tok = load_tokenizer("smollm2-135m")
    ref = results_dir(
        tmp_path / "hf",
        {
            ("tuned", "q1"): "Open Settings, then Security.",
            ("tuned", "q2"): "Wait 24 hours.",
            ("base", "q1"): "Hi",
        },
        None,
    )
    other = results_dir(
        tmp_path / "q8",
        {
            ("tuned", "q1"): "Open Settings, then Privacy.",
            ("tuned", "q2"): "Wait 24 hours.",
            ("base", "q1"): "Hi",
        },
        {"name": "llamacpp", "gguf_type": "q8_0"},
    )
    got = agreement(ref, other, tok)
    assert got["tuned"]["n"] == 2 and got["tuned"]["identical"] == 0.5
    ids = [
        tok(t, add_special_tokens=False)["input_ids"]
        for t in ("Open Settings, then Security.", "Open Settings, then Privacy.")
    ]
    diverge_at = common_prefix(*ids)
    assert 0 < diverge_at < len(ids[0])
    full = len(tok("Wait 24 hours.", add_special_tokens=False)["input_ids"])
    assert got["tuned"]["prefix_tokens_mean"] == (diverge_at + full) / 2
    assert got["base"]["identical"] == 1.0
    assert runtime_of(json.loads((other / "metrics.json").read_text())) == "llamacpp q8_0"
    assert runtime_of(json.loads((ref / "metrics.json").read_text())) == "hf"
    table = markdown_table(ref, [other], tok)
    assert (
        "| hf | 55.0% (46.0%–64.0%)" in table and "| llamacpp q8_0 |" in table and "50.0% / 100.0%" in table
    )

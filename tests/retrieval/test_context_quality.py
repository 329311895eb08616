"""Context quality measures on the real sample index: gold share, off-article specifics, reference coverage."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from supportbot.cli.retrieval import retrieval_eval_command
from supportbot.core.suites import Question, load_kb
from supportbot.eval.context_quality import measure_context, parse_setting
from supportbot.retrieval.config import ContextConfig


@pytest.fixture(scope="module")
def kb(sample_kb):
    return load_kb(sample_kb)


def _question(reference: str, gold: str) -> Question:
    return Question(
        id="q1", question="What are the video KYC service hours?", reference_answer=reference, kb_ids=(gold,)
    )


def test_context_from_the_gold_article_covers_what_it_states(sample_index, kb):
    cfg = ContextConfig(k=1, max_sentences=None, kb_dir=None)
    q = measure_context(
        sample_index, cfg, [_question("Agents take calls from 9:00 AM to 9:00 PM IST.", "KB-001")], kb
    )
    assert q.questions == 1 and q.passages_per_question == 1
    assert q.gold_share == 1.0 and q.off_article_prompts == 0.0
    assert q.reference_coverage == 1.0  # both times are in the retrieved chunk


def test_a_wrong_gold_article_makes_the_context_off_article_and_uncovered(sample_index, kb):
    cfg = ContextConfig(k=1, max_sentences=None, kb_dir=None)
    # Gold says KB-045, so the retrieved KB-001 chunk's hours are specifics the sources never state.
    q = measure_context(sample_index, cfg, [_question("Call support on 1800-555-0199.", "KB-045")], kb)
    assert q.gold_share == 0.0 and q.off_article_prompts == 1.0
    assert q.reference_coverage == 0.0


def test_fewer_sentences_mean_fewer_words(sample_index, kb):
    qs = [_question("Agents take calls from 9:00 AM to 9:00 PM IST.", "KB-001")]
    few = measure_context(sample_index, ContextConfig(k=1, max_sentences=1, kb_dir=None), qs, kb)
    many = measure_context(sample_index, ContextConfig(k=1, max_sentences=None, kb_dir=None), qs, kb)
    assert few.words_per_question < many.words_per_question
    assert few.setting == "k=1 max_sentences=1"


def test_setting_flag_is_parsed_or_named_in_the_error():
    assert parse_setting("1:8") == (1, 8)
    assert parse_setting("3:all") == (3, None)
    with pytest.raises(ValueError, match="--context '3'"):
        parse_setting("3")


def test_retrieval_eval_measures_each_context_setting_into_json(
    sample_index_dir, sample_kb, repo_root, tmp_path
):
    app = typer.Typer()
    app.command()(retrieval_eval_command)
    suite = str(repo_root / "eval" / "suites" / "support_100.json")
    out = tmp_path / "ctx.json"
    args = [suite, "--index", str(sample_index_dir), "--kb", str(sample_kb), "--k", "3"]
    result = CliRunner().invoke(app, [*args, "--context", "1:8", "--context", "3:all", "--json", str(out)])
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text())
    assert [r["setting"] for r in records] == ["k=1 max_sentences=8", "k=3 max_sentences=None"]
    assert all(r["questions"] == 100 and 0 < r["reference_coverage"] <= 1 for r in records)
    assert records[0]["words_per_question"] < records[1]["words_per_question"]
    bad = CliRunner().invoke(app, [*args, "--context", "3"])
    assert bad.exit_code != 0 and "--context '3'" in bad.output

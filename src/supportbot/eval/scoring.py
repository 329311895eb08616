"""Judge the answers and measure them: judgements.jsonl rows plus the aggregate metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from supportbot.core.embedder import Embedder
from supportbot.core.suites import Article, Question, Suite
from supportbot.eval.fact_judge import FactJudge
from supportbot.eval.hallucination import HallucinationDetector
from supportbot.eval.judges import LLMJudge, ReferenceJudge
from supportbot.eval.metrics import aggregate, answer_record, clean_nan
from supportbot.eval.runner import Answerer


def _llm_judge(cfg: Any, req: Any) -> LLMJudge:
    from supportbot.eval.runner import api_key_from, make_answerer

    j = cfg.eval.llm_judge
    spec = req.judge_model or j.model
    key = api_key_from(req.api_key, j.api_key_env)
    return LLMJudge(make_answerer("judge", spec, cfg, j.model_name, key), j)


def judge_and_measure(
    cfg: Any,
    req: Any,
    suite: Suite,
    questions: list[Question],
    kb: dict[str, Article],
    answerers: list[Answerer],
    answers: dict[str, dict[str, dict[str, Any]]],
    out_dir: Path,
) -> dict[str, Any]:
    """Score every answer, judge tuned vs base when both exist, and aggregate overall and per slice."""
    ecfg = cfg.eval
    embedder = Embedder(batch_size=64, cache=True)
    ref = ReferenceJudge(embedder, ecfg.reference)
    facts = FactJudge(kb, ecfg.facts)
    detector = HallucinationDetector(
        embedder, ecfg.hallucination.support_threshold, ecfg.hallucination.min_sentence_words
    )
    labels = [a.label for a in answerers]
    answered = [q for q in questions if all(q.id in answers[lbl] for lbl in labels)]
    texts = [answers[lbl][q.id]["answer"] for lbl in labels for q in answered]
    embedder.encode(
        [t for t in texts + [q.reference_answer for q in answered] if t.strip()]
    )  # one batched pass
    records = {
        lbl: [
            answer_record(q, answers[lbl][q.id], kb, ref, detector, ecfg, cfg.generation.system_prompt, facts)
            for q in answered
        ]
        for lbl in labels
    }
    judge_info = facts.describe() if ecfg.judge == "facts" else ref.describe()
    judgements: list[dict[str, Any]] = []
    if "base" in labels:
        pairs = [(q, answers["tuned"][q.id]["answer"], answers["base"][q.id]["answer"]) for q in answered]
        if ecfg.judge == "llm":
            judge = _llm_judge(cfg, req)
            judge_info = judge.describe()
            judgements = judge.compare_many(
                pairs, kb, ecfg.batch_size, req.progress, cache=out_dir / "llm_judge_replies.jsonl"
            )
            for lbl in ("tuned", "base"):
                for rec, j in zip(records[lbl], judgements, strict=True):
                    rec["llm_hallucinated"] = j[f"{lbl}_hallucinates"]
        else:
            judge = facts if ecfg.judge == "facts" else ref
            judgements = [judge.compare(q, t, b) for q, t, b in pairs]
    rows = []
    by_label = {lbl: {r["id"]: r for r in recs} for lbl, recs in records.items()}
    jmap = {j["id"]: j for j in judgements}
    for q in answered:
        row: dict[str, Any] = {"id": q.id, "question": q.question, "reference": q.reference_answer}
        row.update(jmap.get(q.id, {"judge": "none"}))
        for lbl in labels:
            row[lbl] = {"answer": answers[lbl][q.id]["answer"], **by_label[lbl][q.id]}
        rows.append(row)
    with (out_dir / "judgements.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(clean_nan(row), ensure_ascii=False) + "\n")
    kinds = {a.label: a.kind for a in answerers}
    metrics = aggregate(records, judgements, answered, kinds, ecfg)
    metrics.update(
        suite={
            "name": suite.name,
            "version": suite.version,
            "path": suite.path,
            "n_questions": len(answered),
        },
        models={a.label: {"spec": a.spec, "kind": a.kind, "device": a.device, **a.info} for a in answerers},
        judge=judge_info,
        hallucination_detector={
            "specifics": "numbers, amounts, times, error codes, URLs/e-mails, menu paths, product names, commands",
            "sources": "question, reference answer, the question's cited KB articles, system prompt",
            "hallucination": "an invented specific (absent from the whole KB) or a claim sentence that neither "
            "the sources nor any KB sentence supports; true facts from other articles are 'off-article'",
            "not_specifics": "list numbering, chunk-id citations, the word 'one'",
            "support_threshold": ecfg.hallucination.support_threshold,
            "embedder": embedder.name,
        },
        prices=ecfg.prices.model_dump(),
    )
    return clean_nan(metrics)

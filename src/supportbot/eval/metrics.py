"""Per-answer records (scores, hallucination, behaviour, format, guardrails) and their aggregates per slice."""

from __future__ import annotations

import math
from typing import Any

from supportbot.core.suites import SLICE_TAGS, Article, Question, support_text
from supportbot.eval.config import EvalConfig
from supportbot.eval.hallucination import HallucinationDetector
from supportbot.eval.textmetrics import behavior_ok, exact_match, is_refusal, json_check, percentile

BUCKETS = ("format", "refusal", "hallucinated specific", "too long", "wrong fact", "ok")


def answer_record(
    q: Question,
    row: dict[str, Any],
    kb: dict[str, Article],
    judge: Any,
    detector: HallucinationDetector,
    cfg: EvalConfig,
    system_prompt: str | None = None,
    fact_judge: Any = None,
) -> dict[str, Any]:
    """Everything measured about one answer of one model.

    The system prompt the model was given counts as a source too ("You are NovaPay's assistant" makes
    "NovaPay" a supported name). Hallucination keeps three things apart: a specific absent from the whole
    KB (invented, or contradicting it), a claim sentence no source or KB sentence supports, and a true fact
    from a KB article the question does not cite (off-article, reported but not a hallucination).
    """
    from supportbot.eval.guardrails import pii_counts, pii_leaks, profanity_hits

    answer = row["answer"]
    sources = support_text(q, kb) + (f"\n{system_prompt}" if system_prompt else "")
    whole_kb = "\n".join(a.text for a in kb.values())
    score = judge.score(answer, q.reference_answer)
    hal = detector.check(answer, sources, whole_kb or None)
    facts = fact_judge.score(q, answer) if fact_judge is not None else None
    rec: dict[str, Any] = {
        "id": q.id,
        "model": row["model"],
        **{f"score_{k}": v for k, v in score.items()},
        "exact_match": exact_match(answer, q.reference_answer),
        "semantic_match": score["embedding"] >= cfg.semantic_match_threshold,
        "hallucinated": hal.hallucinated,
        "hallucinated_specific": hal.has_specific,
        "unsupported_sentence": hal.has_sentence,
        "invented_specific": bool(hal.invented_specifics),
        "off_article": hal.off_article,
        "unsupported_specifics": hal.unsupported_specifics,
        "invented_specifics": hal.invented_specifics,
        "off_article_specifics": hal.off_article_specifics,
        "unsupported_sentences": hal.unsupported_sentences,
        "off_article_sentences": hal.off_article_sentences,
        "claims": len(hal.claims),
        "hallucinated_claims": len(hal.hallucinated_claims),
        "fact_score": None if facts is None else facts["score"],
        "fact_coverage": None if facts is None else facts["coverage"],
        "llm_hallucinated": None,
        "refused": is_refusal(answer),
        "behavior_ok": behavior_ok(answer, q.expected_behavior),
        "json_valid": None,
        "json_schema_ok": None,
        "json_error": "",
        "words": len(answer.split()),
        "tokens_in": row.get("tokens_in", 0),
        "tokens_out": row.get("tokens_out", 0),
        "latency_s": row.get("latency_s", 0.0),
        "amortized_s": row.get("latency_s", 0.0) / max(1, row.get("batch_size", 1)),
        "finish_reason": row.get("finish_reason", "stop"),
        "device": row.get("device", "cpu"),
        "pii": pii_counts(answer),
        "pii_leak": pii_leaks(answer, sources),
        "profanity": bool(profanity_hits(answer)),
    }
    if q.json_schema is not None:
        rec["json_valid"], rec["json_schema_ok"], rec["json_error"] = json_check(answer, q.json_schema)
    rec["bucket"] = bucket(q, rec, cfg)
    return rec


def bucket(q: Question, rec: dict[str, Any], cfg: EvalConfig) -> str:
    """The first error bucket an answer falls in (format, refusal, hallucinated specific, too long, wrong fact) or ok."""
    if rec["json_schema_ok"] is False:
        return "format"
    if (q.expected_behavior == "refuse") != rec["refused"] and not (
        q.expected_behavior == "clarify" and rec["behavior_ok"]
    ):
        return "refusal"
    if rec["invented_specific"]:
        return "hallucinated specific"
    if rec["words"] > cfg.too_long_words or rec["finish_reason"] == "length":
        return "too long"
    low = (
        rec["fact_coverage"] < 0.5
        if rec.get("fact_coverage") is not None
        else rec["score_score"] < cfg.wrong_fact_score
    )
    if low:
        return "wrong fact"
    return "ok"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _rate(recs: list[dict[str, Any]], key: str) -> float | None:
    vals = [bool(r[key]) for r in recs if r[key] is not None]
    return _mean([float(v) for v in vals])


def _ratio(recs: list[dict[str, Any]], num: str, den: str) -> float | None:
    total = sum(r[den] for r in recs)
    return sum(r[num] for r in recs) / total if total else None


def cost_per_1k(recs: list[dict[str, Any]], kind: str, cfg: EvalConfig) -> float | None:
    """Estimated USD per 1000 answers: machine time for local models, token prices for endpoints."""
    if not recs:
        return None
    p = cfg.prices
    if kind == "endpoint":
        tin = _mean([r["tokens_in"] for r in recs]) or 0.0
        tout = _mean([r["tokens_out"] for r in recs]) or 0.0
        return 1000 * (tin * p.endpoint_input_per_1m + tout * p.endpoint_output_per_1m) / 1e6
    hour = p.gpu_hour if recs[0]["device"] == "cuda" else p.cpu_hour
    return 1000 * (_mean([r["amortized_s"] for r in recs]) or 0.0) / 3600 * hour


def model_metrics(
    recs: list[dict[str, Any]], questions: dict[str, Question], kind: str, cfg: EvalConfig
) -> dict:
    """Aggregate metrics of one model over a set of its answer records."""
    edge = [r for r in recs if questions[r["id"]].expected_behavior in ("refuse", "clarify")]
    answerable = [r for r in recs if questions[r["id"]].expected_behavior == "answer"]
    lat = [r["latency_s"] for r in recs]
    return {
        "n": len(recs),
        "hallucination_rate": _rate(recs, "hallucinated"),
        "claim_hallucination_rate": _ratio(recs, "hallucinated_claims", "claims"),
        "claims_per_answer": _mean([r["claims"] for r in recs]),
        "answer_rate": _rate(answerable, "behavior_ok"),
        "hallucinated_specific_rate": _rate(recs, "hallucinated_specific"),
        "invented_anywhere_rate": _rate(recs, "invented_specific"),
        "unsupported_sentence_rate": _rate(recs, "unsupported_sentence"),
        "off_article_rate": _rate(recs, "off_article"),
        "fact_score": _mean([r["fact_score"] for r in recs if r.get("fact_score") is not None]),
        "fact_coverage": _mean([r["fact_coverage"] for r in recs if r.get("fact_coverage") is not None]),
        "llm_hallucination_rate": _rate(recs, "llm_hallucinated"),
        "exact_match": _rate(recs, "exact_match"),
        "semantic_match": _rate(recs, "semantic_match"),
        "token_f1": _mean([r["score_f1"] for r in recs]),
        "rouge_l": _mean([r["score_rouge_l"] for r in recs]),
        "reference_score": _mean([r["score_score"] for r in recs]),
        "behavior_accuracy": _rate(recs, "behavior_ok"),
        "edge_case_handling": _rate(edge, "behavior_ok"),
        "over_refusal_rate": _rate(answerable, "refused"),
        "json_valid_rate": _rate(recs, "json_valid"),
        "json_schema_rate": _rate(recs, "json_schema_ok"),
        "words_mean": _mean([r["words"] for r in recs]),
        "tokens_in_mean": _mean([r["tokens_in"] for r in recs]),
        "tokens_out_mean": _mean([r["tokens_out"] for r in recs]),
        "seconds_per_answer": _mean([r["amortized_s"] for r in recs]),
        "latency_p50_s": percentile(lat, 50) if lat else None,
        "latency_p95_s": percentile(lat, 95) if lat else None,
        "truncated_rate": _mean([float(r["finish_reason"] == "length") for r in recs]),
        "pii_any_rate": _mean([float(bool(r["pii"])) for r in recs]),
        "pii_leak_rate": _mean([float(bool(r["pii_leak"])) for r in recs]),
        "profanity_rate": _rate(recs, "profanity"),
        "cost_per_1k_usd": cost_per_1k(recs, kind, cfg),
    }


def pairwise_metrics(
    judgements: list[dict[str, Any]],
    tuned: dict | None,
    base: dict | None,
    recs: dict[str, dict[str, dict[str, Any]]] | None = None,
    cfg: EvalConfig | None = None,
) -> dict:
    """Win rate (ties count half), its length-controlled form, the relative hallucination reduction (per answer
    and per claim), paired bootstrap 95% intervals and a verdict against the targets."""
    import numpy as np

    from supportbot.eval.intervals import (
        length_controlled_win_rate,
        paired_bootstrap,
        relative_reduction,
        verdict,
    )

    pts = [j["tuned_points"] for j in judgements]
    out: dict[str, Any] = {
        "n": len(pts),
        "win_rate": _mean(pts),
        "wins": sum(p > 0.5 for p in pts),
        "ties": sum(p == 0.5 for p in pts),
        "losses": sum(p < 0.5 for p in pts),
        "hallucination_reduction": None,
        "claim_hallucination_reduction": None,
        "llm_hallucination_reduction": None,
        "judge_unparsed": sum(j.get("unparsed", 0) for j in judgements),
    }
    for key, src in (
        ("hallucination_reduction", "hallucination_rate"),
        ("claim_hallucination_reduction", "claim_hallucination_rate"),
        ("llm_hallucination_reduction", "llm_hallucination_rate"),
    ):
        t, b = (tuned or {}).get(src), (base or {}).get(src)
        if t is not None and b:
            out[key] = (b - t) / b
    if not recs or not pts or "tuned" not in recs or "base" not in recs:
        return out
    ids = [j["id"] for j in judgements]
    p = np.asarray(pts, dtype=float)
    lengths = [recs["tuned"][i]["words"] - recs["base"][i]["words"] for i in ids]
    ht = np.asarray([float(recs["tuned"][i]["hallucinated"]) for i in ids])
    hb = np.asarray([float(recs["base"][i]["hallucinated"]) for i in ids])
    ct = np.asarray([float(recs["tuned"][i]["hallucinated_claims"]) for i in ids])
    cb = np.asarray([float(recs["base"][i]["hallucinated_claims"]) for i in ids])
    nt = np.asarray([float(recs["tuned"][i]["claims"]) for i in ids])
    nb = np.asarray([float(recs["base"][i]["claims"]) for i in ids])

    def claim_red(ix: np.ndarray) -> float | None:
        if nt[ix].sum() == 0 or nb[ix].sum() == 0 or cb[ix].sum() == 0:
            return None
        return 1 - (ct[ix].sum() / nt[ix].sum()) / (cb[ix].sum() / nb[ix].sum())

    n = len(ids)
    out["length_controlled_win_rate"] = length_controlled_win_rate(pts, lengths)
    out["win_rate_ci95"] = paired_bootstrap(n, lambda ix: float(p[ix].mean()))
    out["hallucination_reduction_ci95"] = paired_bootstrap(n, lambda ix: relative_reduction(ht[ix], hb[ix]))
    out["claim_hallucination_reduction_ci95"] = paired_bootstrap(n, claim_red)
    targets = (cfg or EvalConfig()).targets
    out["targets"] = targets.model_dump()
    out["verdict"] = {
        "win_rate": verdict(out["win_rate_ci95"], targets.win_rate, n),
        "hallucination_reduction": verdict(
            out["hallucination_reduction_ci95"], targets.hallucination_reduction, n
        ),
    }
    return out


def aggregate(
    records: dict[str, list[dict[str, Any]]],
    judgements: list[dict[str, Any]],
    questions: list[Question],
    kinds: dict[str, str],
    cfg: EvalConfig,
) -> dict[str, Any]:
    """Overall and per-slice metrics: {"overall": {...}, "slices": {tag: {value: {...}}}, "buckets": {...}}."""
    qmap = {q.id: q for q in questions}

    def block(ids: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for label, recs in records.items():
            out[label] = model_metrics([r for r in recs if r["id"] in ids], qmap, kinds[label], cfg)
        if judgements:
            js = [j for j in judgements if j["id"] in ids]
            by_id = {label: {r["id"]: r for r in recs if r["id"] in ids} for label, recs in records.items()}
            out["pairwise"] = pairwise_metrics(js, out.get("tuned"), out.get("base"), by_id, cfg)
        return out

    all_ids = {q.id for q in questions}
    slices: dict[str, dict[str, Any]] = {}
    for tag in (*SLICE_TAGS, *sorted({k for q in questions for k in q.tags} - set(SLICE_TAGS))):
        values: dict[str, set[str]] = {}
        for q in questions:
            value = q.slices().get(tag)
            if value is not None:
                values.setdefault(value, set()).add(q.id)
        if values:
            slices[tag] = {v: block(ids) for v, ids in sorted(values.items())}
    buckets = {
        label: {b: sum(r["bucket"] == b for r in recs) for b in BUCKETS} for label, recs in records.items()
    }
    return {"overall": block(all_ids), "slices": slices, "buckets": buckets}


def clean_nan(obj: Any) -> Any:
    """Replace NaN/inf by None so metrics.json stays strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: clean_nan(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean_nan(v) for v in obj]
    return obj

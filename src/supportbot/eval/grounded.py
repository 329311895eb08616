"""Grounded eval: a grounded suite answered through retrieval + schema enforcement with the tuned and base models.

Each request (user_state + optional query) is answered exactly as /v1/troubleshoot answers it: retrieve the
top-k chunks, build the grounded prompt, generate (guided when serve.troubleshoot.guided), validate, repair
once. Per model and slice (stage, error code, language, with/without query) it reports JSON correctness,
citation hallucination and precision, retrieval recall, tokens and latency (definitions in docs/grounded.md);
the eval pipeline (pipeline.py) owns the results dir, the resumable answer loop and the report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core.errors import DataError
from supportbot.core.suites import SuiteFile, read_suite
from supportbot.eval.runner import Answerer, append_answers
from supportbot.eval.textmetrics import percentile
from supportbot.grounded.contract import TroubleshootRequest
from supportbot.grounded.enforce import EnforcedResult, extract_json, generate_valid_many
from supportbot.grounded.guided import generate_guided
from supportbot.grounded.metrics import grounded_report, hallucinated_citations, json_correct
from supportbot.grounded.prompt import build_grounded_messages, retrieval_query

SLICES = ("stage", "error_code", "language", "query")


@dataclass(frozen=True)
class Attempt:
    """One generation of one question and the size of the batch it was made in (for amortised timing)."""

    text: str
    gen: Any  # supportbot.core.generation.Generation
    batch: int


@dataclass(frozen=True)
class GroundedQuestion:
    """One grounded suite item: the request, its gold articles, reference and slice tags."""

    id: str
    request: TroubleshootRequest
    gold_kb_ids: tuple[str, ...]
    reference: dict[str, Any]
    tags: dict[str, str]


def load_grounded_suite(path: str | Path | SuiteFile) -> tuple[dict[str, Any], list[GroundedQuestion]]:
    """The suite's header (name, version, description) and questions; errors name the id and field."""
    raw = path if isinstance(path, SuiteFile) else read_suite(path)
    path = raw.path
    out, seen = [], set()
    for i, q in enumerate(raw.items):
        qid = str(q.get("id", ""))
        where = f"{path}: question {qid or f'#{i}'}"
        if not qid or qid in seen:
            raise DataError(f"{where}: field 'id' must be a unique non-empty string")
        seen.add(qid)
        try:
            request = TroubleshootRequest.model_validate(
                {"user_state": q["user_state"], "query": q.get("query")}
            )
        except (KeyError, ValueError) as exc:
            raise DataError(f"{where}: field 'user_state'/'query' is not a valid request ({exc})") from exc
        gold = q.get("gold_kb_ids")
        if not isinstance(gold, list) or not gold:
            raise DataError(f"{where}: field 'gold_kb_ids' must be a non-empty list of article ids")
        tags = dict(q.get("tags") or {})
        slices = {
            "stage": str(tags.get("stage") or request.user_state.funnel_stage),
            "error_code": str(tags.get("error_code") or "none"),
            "language": str(tags.get("language") or "en"),
            "query": "with query" if request.query else "no query",
        }
        out.append(GroundedQuestion(qid, request, tuple(gold), q.get("reference") or {}, slices))
    if not out:
        raise DataError(f"{path}: field 'questions' is empty")
    return raw.header, out


def answer_grounded(
    answerer: Answerer,
    questions: list[GroundedQuestion],
    index: Any,
    k: int,
    gen_cfg: Any,
    path: Path,
    batch_size: int = 8,
    max_new_tokens: int | None = None,
    retries: int = 1,
    progress: bool = True,
    guided: bool = False,
) -> dict[str, dict[str, Any]]:
    """Answer every question not yet in `path` (retrieve → prompt → enforce, batched) and append the rows.

    With `guided` (serve.troubleshoot.guided, local models only) each row decodes under its ContractGrammar
    (citations limited to its retrieved chunks), as /v1/troubleshoot then does.
    """
    if guided and answerer.lm is None:
        raise DataError(
            "guided grounded eval needs a local model (not an endpoint): set serve.troubleshoot.guided false"
        )

    def answer_batch(batch: list[GroundedQuestion]) -> list[dict[str, Any]]:
        t0 = time.perf_counter()
        hits = index.search_many([retrieval_query(q.request.user_state, q.request.query) for q in batch], k)
        retrieval_s = (time.perf_counter() - t0) / len(batch)
        convos = [build_grounded_messages(q.request, h) for q, h in zip(batch, hits, strict=True)]
        allowed = [{x.chunk_id for x in h} for h in hits]

        def generate_many(conversations: list[list[dict[str, str]]]) -> list[Attempt]:
            size = len(conversations) if answerer.kind == "local" else 1
            if guided:
                with answerer.context():
                    gens = generate_guided(answerer.lm, conversations, convos, hits, gen_cfg, max_new_tokens)
            else:
                gens = answerer.generate(conversations, gen_cfg, max_new_tokens)
            return [Attempt(g.text, g, size) for g in gens]

        results, made = generate_valid_many(generate_many, convos, allowed, retries)
        return [
            _row(q, h, result, gens, retrieval_s)
            for q, h, result, gens in zip(batch, hits, results, made, strict=True)
        ]

    return append_answers(answerer, questions, path, batch_size, progress, answer_batch)


def _row(
    q: GroundedQuestion,
    hits: list[Any],
    result: Any,
    attempts: list[Attempt],
    retrieval_s: float,
) -> dict[str, Any]:
    valid = isinstance(result, EnforcedResult)
    gens = [a.gen for a in attempts]
    return {
        "request": q.request.model_dump(mode="json"),
        "retrieved": [h.chunk_id for h in hits],
        "gold_retrieved": any(h.article_id in q.gold_kb_ids for h in hits),
        "outputs": [g.text for g in gens],
        "valid": valid,
        "attempts": len(gens),
        "response": result.response.model_dump(mode="json") if valid else None,
        "errors": [] if valid else result.errors[:10],
        "tokens_in": sum(g.tokens_in for g in gens),
        "tokens_out": sum(g.tokens_out for g in gens),
        "latency_s": round(retrieval_s + sum(g.latency_s for g in gens), 4),
        "amortized_s": round(retrieval_s + sum(a.gen.latency_s / max(1, a.batch) for a in attempts), 4),
        "finish_reasons": [g.finish_reason for g in gens],
    }


def grounded_metrics(
    rows: list[dict[str, Any]], gold: dict[str, tuple[str, ...]], kb_chunks: set[str]
) -> dict[str, Any]:
    """Aggregate answer rows of one model (overall or one slice) with grounded/metrics.py."""
    n = len(rows)

    def report(which: int) -> dict[str, float]:
        return grounded_report(
            [
                {
                    "output": r["outputs"][which],
                    "gold_kb_ids": list(gold[r["id"]]),
                    "source_chunk_ids": r["retrieved"],
                }
                for r in rows
            ]
        )

    first, final = report(0), report(-1)
    cited = not_in_kb = 0
    for r in rows:
        if json_correct(r["outputs"][-1]):
            cites = extract_json(r["outputs"][-1])["citations"]  # type: ignore[index]
            cited += len(cites)
            not_in_kb += len(hallucinated_citations(cites, kb_chunks))
    latencies = [r["latency_s"] for r in rows]
    valid = [r for r in rows if r["valid"]]
    return {
        "n": n,
        "json_correct": len(valid) / n,
        "json_correct_first_try": first["json_correct"],
        "repaired_rate": sum(r["attempts"] > 1 for r in valid) / n,
        "citation_hallucination_rate": final["citation_hallucination_rate"],
        "citation_hallucination_rate_first_try": first["citation_hallucination_rate"],
        "citation_not_in_kb_rate": not_in_kb / cited if cited else 0.0,
        "citations": cited,
        "citation_precision": final["citation_precision"],
        "abstain_rate": sum(not r["response"]["citations"] for r in valid) / n,
        "retrieval_recall": sum(r["gold_retrieved"] for r in rows) / n,
        "attempts_mean": sum(r["attempts"] for r in rows) / n,
        "tokens_out_mean": sum(r["tokens_out"] for r in rows) / n,
        "latency_p50_s": percentile(latencies, 50) if latencies else None,
        "latency_p95_s": percentile(latencies, 95) if latencies else None,
        "seconds_per_answer": sum(r["amortized_s"] for r in rows) / n,
    }


def aggregate_grounded(
    answers: dict[str, dict[str, dict[str, Any]]], questions: list[GroundedQuestion], kb_chunks: set[str]
) -> dict[str, Any]:
    """Overall and per-slice metrics for every model label."""
    gold = {q.id: q.gold_kb_ids for q in questions}
    labels = list(answers)
    answered = [q for q in questions if all(q.id in answers[lbl] for lbl in labels)]
    overall = {
        lbl: grounded_metrics([answers[lbl][q.id] for q in answered], gold, kb_chunks) for lbl in labels
    }
    slices: dict[str, dict[str, dict[str, Any]]] = {}
    for tag in SLICES:
        values = sorted({q.tags[tag] for q in answered})
        slices[tag] = {
            v: {
                lbl: grounded_metrics(
                    [answers[lbl][q.id] for q in answered if q.tags[tag] == v], gold, kb_chunks
                )
                for lbl in labels
            }
            for v in values
        }
    return {"overall": overall, "slices": slices, "n_answered": len(answered)}

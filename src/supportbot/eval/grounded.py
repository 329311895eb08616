"""Grounded eval: answer a grounded suite through retrieval + schema enforcement with the tuned and base models.

Each question's request (user_state + optional query) is answered exactly as /v1/troubleshoot answers it:
retrieve the top-k chunks, build the grounded prompt, generate, validate, repair once. Per model and per
slice (stage, error code, language, with/without query) it reports, using grounded/metrics.py:

- `json_correct`: a valid response came back after enforcement (schema-valid, citations among the retrieved
  chunks), i.e. what the endpoint would return instead of a 502; `json_correct_first_try` without the retry;
- `citation_hallucination_rate`: cited ids not among the chunks the model was given, over every citation of
  the model's final schema-valid output (enforcement rejects these, so a hallucinated id shows up here
  and as a missing json_correct); `citation_not_in_kb_rate`: cited ids that are no chunk of the KB at all;
- `citation_precision`: share of cited chunks belonging to a gold article;
- latency per request (all attempts), tokens, retrieval recall (gold article among the k chunks).

Answers are appended to answers.jsonl as batches finish, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportbot.errors import DataError
from supportbot.eval.runner import Answerer, _repair_tail, read_answers
from supportbot.grounded.contract import TroubleshootRequest
from supportbot.grounded.enforce import EnforcedResult, extract_json, generate_valid_many
from supportbot.grounded.metrics import grounded_report, hallucinated_citations, json_correct
from supportbot.grounded.prompt import build_grounded_messages, retrieval_query

SLICES = ("stage", "error_code", "language", "query")
SUMMARY = (
    ("JSON correct after enforcement", "json_correct", "pct"),
    ("↳ on the first try", "json_correct_first_try", "pct"),
    ("↳ repaired by the retry", "repaired_rate", "pct"),
    ("citation hallucination (not in retrieved)", "citation_hallucination_rate", "pct"),
    ("↳ on the first try", "citation_hallucination_rate_first_try", "pct"),
    ("citations not in the KB at all", "citation_not_in_kb_rate", "pct"),
    ("citation precision (gold articles)", "citation_precision", "pct"),
    ("citations counted (final valid-schema outputs)", "citations", "f0"),
    ("abstained (valid, no citations)", "abstain_rate", "pct"),
    ("retrieval recall@k (gold article retrieved)", "retrieval_recall", "pct"),
    ("attempts per question", "attempts_mean", "f2"),
    ("tokens generated per question", "tokens_out_mean", "f1"),
    ("latency p50 (s, per request, all attempts)", "latency_p50_s", "f2"),
    ("latency p95 (s)", "latency_p95_s", "f2"),
    ("seconds per answer (batch-amortised)", "seconds_per_answer", "f2"),
)


@dataclass(frozen=True)
class Attempt:
    """One generation of one question and the size of the batch it was made in (for amortised timing)."""

    text: str
    gen: Any  # supportbot.generation.Generation
    batch: int


@dataclass(frozen=True)
class GroundedQuestion:
    """One grounded suite item: the request, its gold articles, reference and slice tags."""

    id: str
    request: TroubleshootRequest
    gold_kb_ids: tuple[str, ...]
    reference: dict[str, Any]
    tags: dict[str, str]


def is_grounded_suite(path: str | Path) -> bool:
    """True when a suite's questions are troubleshoot requests (they carry `user_state`)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    questions = data.get("questions") if isinstance(data, dict) else None
    return bool(questions) and isinstance(questions[0], dict) and "user_state" in questions[0]


def load_grounded_suite(path: str | Path) -> tuple[dict[str, Any], list[GroundedQuestion]]:
    """The suite's header (name, version, description) and questions; errors name the id and field."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"suite file not found: {path}")
    data = json.loads(path.read_text(encoding="utf-8"))
    out, seen = [], set()
    for i, q in enumerate(data.get("questions") or []):
        qid = str(q.get("id", "")) if isinstance(q, dict) else ""
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
    header = {k: data.get(k, "") for k in ("name", "version", "description")}
    header["name"] = header["name"] or path.stem
    return header, out


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
    from tqdm.auto import tqdm

    path.parent.mkdir(parents=True, exist_ok=True)
    _repair_tail(path)
    done = {qid for (label, qid) in read_answers(path) if label == answerer.label}
    todo = [q for q in questions if q.id not in done]
    bar = tqdm(
        total=len(questions),
        initial=len(questions) - len(todo),
        desc=f"answering ({answerer.label})",
        unit="q",
        disable=not progress,
        dynamic_ncols=True,
    )
    with bar, path.open("a", encoding="utf-8") as out:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            t0 = time.perf_counter()
            queries = [retrieval_query(q.request.user_state, q.request.query) for q in batch]
            hits = index.search_many(queries, k)
            retrieval_s = (time.perf_counter() - t0) / len(batch)
            convos = [build_grounded_messages(q.request, h) for q, h in zip(batch, hits, strict=True)]
            allowed = [{x.chunk_id for x in h} for h in hits]

            def generate_many(
                conversations: list[list[dict[str, str]]], convos: list[Any] = convos, hits: list[Any] = hits
            ) -> list[Attempt]:
                size = len(conversations) if answerer.kind == "local" else 1
                if guided:
                    gens = guided_generate(answerer, conversations, convos, hits, gen_cfg, max_new_tokens)
                else:
                    gens = answerer.generate(conversations, gen_cfg, max_new_tokens)
                return [Attempt(g.text, g, size) for g in gens]

            results, made = generate_valid_many(generate_many, convos, allowed, retries)
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
            for q, h, result, gens in zip(batch, hits, results, made, strict=True):
                row = _row(answerer, q, h, result, gens, retrieval_s)
                row["answered_at"] = stamp
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
            bar.update(len(batch))
    rows = read_answers(path)
    return {q.id: rows[(answerer.label, q.id)] for q in questions if (answerer.label, q.id) in rows}


def guided_generate(
    answerer: Answerer,
    conversations: list[Any],
    first_round: list[Any],
    hits: list[list[Any]],
    gen_cfg: Any,
    max_new_tokens: int | None,
) -> list[Any]:
    """One batched generate where each row follows its request's ContractGrammar (retrieved ids as citations)."""
    from supportbot.generation import generate
    from supportbot.grounded.guided import ContractGrammar, Vocab

    if answerer.lm is None:
        raise DataError(
            "guided grounded eval needs a local model (not an endpoint): set serve.troubleshoot.guided false"
        )
    vocab = Vocab.of(answerer.lm.tokenizer)
    budget = max_new_tokens or gen_cfg.max_new_tokens
    row_hits = [hits[_request_of(conv, first_round)] for conv in conversations]
    grammars = [ContractGrammar.build(vocab, [h.chunk_id for h in hs], budget) for hs in row_hits]
    with answerer.context():
        return generate(answerer.lm, conversations, gen_cfg, max_new_tokens, grammars)


def _request_of(conversation: list[Any], first_round: list[list[Any]]) -> int:
    """Which request a conversation belongs to: a retry extends its first-round conversation."""
    for i, first in enumerate(first_round):
        if conversation[: len(first)] == first:
            return i
    raise ValueError("a retried conversation does not extend any first-round conversation")


def _row(
    answerer: Answerer,
    q: GroundedQuestion,
    hits: list[Any],
    result: Any,
    attempts: list[Attempt],
    retrieval_s: float,
) -> dict[str, Any]:
    valid = isinstance(result, EnforcedResult)
    gens = [a.gen for a in attempts]
    return {
        "model": answerer.label,
        "model_spec": answerer.spec,
        "id": q.id,
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
        "device": answerer.device,
    }


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * (len(ordered) - 1))))]


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
        "latency_p50_s": _pct(latencies, 0.5),
        "latency_p95_s": _pct(latencies, 0.95),
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


def run_grounded_eval(cfg: Any, req: Any) -> tuple[Path, dict[str, Any]]:
    """Answer a grounded suite with the tuned (and base) model and write metrics.json/.csv and report.md."""
    from supportbot.eval.pipeline import (
        default_base,
        model_fingerprint,
        open_answerers,
        open_results_dir,
        training_info,
    )
    from supportbot.eval.report import write_csv
    from supportbot.retrieval.index import open_index

    ecfg = cfg.eval
    if ecfg.threads:
        import torch

        torch.set_num_threads(ecfg.threads)
    header, questions = load_grounded_suite(ecfg.suite)
    questions = questions[: ecfg.limit] if ecfg.limit else questions
    index, how = open_index(cfg.retrieval.index_dir, cfg.retrieval.kb_dir, build=True, cfg=cfg.retrieval)
    k = cfg.retrieval.top_k
    base = default_base(req.model) if req.base is None else (None if req.base.lower() == "none" else req.base)
    gen = cfg.generation
    retries = cfg.serve.troubleshoot.retries
    guided = cfg.serve.troubleshoot.guided  # answer as the configured /v1/troubleshoot does
    manifest = {
        "mode": "grounded",
        "model": req.model,
        "model_fingerprint": model_fingerprint(req.model, req.model_name),
        "base": base,
        "base_fingerprint": model_fingerprint(base, req.base_model_name) if base else None,
        "suite_sha256": hashlib.sha256(Path(ecfg.suite).read_bytes()).hexdigest(),
        "generation": gen.model_dump(mode="json"),
        "max_new_tokens": ecfg.max_new_tokens or gen.max_new_tokens,
        "retrieval": {
            "kb_hash": index.manifest.get("kb_hash"),
            "k": k,
            "config": index.manifest.get("config"),
        },
        "retries": retries,
        **({"guided": True} if guided else {}),
    }
    eval_id, out_dir = open_results_dir(req, ecfg.out_dir, header["name"], manifest, base)
    started = time.perf_counter()
    answerers = open_answerers(cfg, req, base, [q.id for q in questions], out_dir)
    timings: dict[str, float] = {"load_s": round(time.perf_counter() - started, 2)}
    answers: dict[str, dict[str, dict[str, Any]]] = {}
    for a in answerers:
        t0 = time.perf_counter()
        answers[a.label] = answer_grounded(
            a, questions, index, k, gen, out_dir / "answers.jsonl", ecfg.batch_size, ecfg.max_new_tokens,
            retries, req.progress, guided,
        )  # fmt: skip
        timings[f"answer_{a.label}_s"] = round(time.perf_counter() - t0, 2)
    metrics = aggregate_grounded(answers, questions, set(index.by_id))
    timings["total_s"] = round(time.perf_counter() - started, 2)
    metrics.update(
        mode="grounded",
        eval_id=eval_id,
        out_dir=str(out_dir),
        suite={"path": str(ecfg.suite), "n_questions": metrics.pop("n_answered"), **header},
        models={a.label: {"spec": a.spec, "kind": a.kind, "device": a.device, **a.info} for a in answerers},
        retrieval={
            "index_dir": cfg.retrieval.index_dir,
            "index": how,
            "k": k,
            "kb_hash": index.manifest.get("kb_hash"),
        },
        training=training_info(req.model, ecfg.prices),
        timing=timings,
        manifest=manifest,
    )
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    write_csv(out_dir, metrics)
    write_grounded_report(out_dir, metrics, answers, questions, ecfg.examples)
    return out_dir, metrics


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" if kind == "pct" else f"{value:.{kind[1]}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    esc = [[str(c).replace("|", "\\|").replace("\n", " ") for c in r] for r in rows]
    return "\n".join(
        ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        + ["| " + " | ".join(r) + " |" for r in esc]
    )


def summary_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the summary table (one column per model)."""
    labels = [m for m in ("tuned", "base") if m in metrics["overall"]]
    rows = [
        [title, *(_fmt(metrics["overall"][m].get(key), kind) for m in labels)] for title, key, kind in SUMMARY
    ]
    return ["metric", *labels], rows


def write_grounded_report(
    out_dir: Path,
    metrics: dict[str, Any],
    answers: dict[str, dict[str, dict[str, Any]]],
    questions: list[GroundedQuestion],
    n_examples: int,
) -> Path:
    """report.md: summary, per-slice tables, timing, training info and a few failed answers per model."""
    labels = [m for m in ("tuned", "base") if m in metrics["overall"]]
    header, rows = summary_rows(metrics)
    cols = (
        ("json", "json_correct"),
        ("halluc", "citation_hallucination_rate"),
        ("prec", "citation_precision"),
    )
    slice_md = []
    for tag, values in metrics["slices"].items():
        head = [
            tag,
            "n",
            *(f"{name} {m}" for name, _ in cols for m in labels),
            *(f"p50 s {m}" for m in labels),
        ]
        body = [
            [
                v,
                str(block[labels[0]]["n"]),
                *(_fmt(block[m][key], "pct") for _, key in cols for m in labels),
                *(_fmt(block[m]["latency_p50_s"], "f2") for m in labels),
            ]
            for v, block in values.items()
        ]
        slice_md.append(f"### by {tag}\n\n" + _table(head, body))
    failures = []
    for m in labels:
        bad = [q for q in questions if q.id in answers[m] and not answers[m][q.id]["valid"]][
            : max(n_examples // 2, 1)
        ]
        for q in bad:
            r = answers[m][q.id]
            failures.append(
                f"#### {m}: {q.id} ({r['attempts']} attempt(s))\n\n> {q.request.query or '(no query)'} — "
                f"`{json.dumps(r['request']['user_state'])}`\n\nerrors: {'; '.join(r['errors'][:3])}\n\n"
                f"```\n{(r['outputs'][-1] or '(empty)')[:600]}\n```"
            )
    training = metrics.get("training") or {}
    parts = [
        f"# Grounded eval report: {metrics['eval_id']}",
        f"Suite **{metrics['suite']['name']}** ({metrics['suite']['n_questions']} requests, "
        f"`{metrics['suite']['path']}`), retrieval k={metrics['retrieval']['k']} from "
        f"`{metrics['retrieval']['index_dir']}` (kb_hash {metrics['retrieval']['kb_hash']}). "
        + ", ".join(f"{k}: `{v['spec']}` ({v['kind']}, {v['device']})" for k, v in metrics["models"].items()),
        "## Summary",
        _table(header, rows),
        "JSON correct = a schema-valid response whose citations are all among the retrieved chunks came back "
        "after at most one repair retry (what /v1/troubleshoot returns instead of a 502). Citation "
        "hallucination counts cited ids not among the chunks given to the model, over the citations of the "
        "model's final schema-valid output; precision counts cited chunks of a gold article.",
        "## Training (from the run directory)",
        _table(["field", "value"], [[k, str(v)] for k, v in training.items()])
        if training
        else "_The tuned model is not a run directory; no training time or cost recorded._",
        "## Timing",
        _table(["stage", "seconds"], [[k, str(v)] for k, v in (metrics.get("timing") or {}).items()]),
        "## Slices",
        "\n\n".join(slice_md),
        "## Invalid answers (examples)",
        "\n\n".join(failures) or "_none_",
    ]
    path = out_dir / "report.md"
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


def print_grounded_summary(metrics: dict[str, Any], console: Any) -> None:
    """The summary table on the console (rich)."""
    from rich.table import Table

    header, rows = summary_rows(metrics)
    table = Table(
        title=f"supportbot grounded eval — {metrics['suite']['name']} ({metrics['suite']['n_questions']} q)"
    )
    for i, col in enumerate(header):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)

"""The grounded eval's report.md and console table (JSON correctness, citations, latency per model and slice)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from supportbot.eval.grounded import GroundedQuestion
from supportbot.eval.report import fmt, md_table, print_table

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


def summary_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the summary table (one column per model)."""
    labels = [m for m in ("tuned", "base") if m in metrics["overall"]]
    rows = [
        [title, *(fmt(metrics["overall"][m].get(key), kind) for m in labels)] for title, key, kind in SUMMARY
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
                *(fmt(block[m][key], "pct") for _, key in cols for m in labels),
                *(fmt(block[m]["latency_p50_s"], "f2") for m in labels),
            ]
            for v, block in values.items()
        ]
        slice_md.append(f"### by {tag}\n\n" + md_table(head, body))
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
        md_table(header, rows),
        "JSON correct = a schema-valid response whose citations are all among the retrieved chunks came back "
        "after at most one repair retry (what /v1/troubleshoot returns instead of a 502). Citation "
        "hallucination counts cited ids not among the chunks given to the model, over the citations of the "
        "model's final schema-valid output; precision counts cited chunks of a gold article.",
        "## Training (from the run directory)",
        md_table(["field", "value"], [[k, str(v)] for k, v in training.items()])
        if training
        else "_The tuned model is not a run directory; no training time or cost recorded._",
        "## Timing",
        md_table(["stage", "seconds"], [[k, str(v)] for k, v in (metrics.get("timing") or {}).items()]),
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
    header, rows = summary_rows(metrics)
    suite = metrics["suite"]
    print_table(
        f"supportbot grounded eval — {suite['name']} ({suite['n_questions']} q)", header, rows, console
    )

"""Eval outputs: metrics.json, metrics.csv (long format), report.md, slices.png, and the console summary."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

SUMMARY_ROWS = (
    ("win rate vs base (ties = ½)", "pairwise", "win_rate", "pct"),
    ("↳ 95% interval (paired bootstrap)", "pairwise", "win_rate_ci95", "ci"),
    ("↳ length-controlled (AlpacaEval 2 style)", "pairwise", "length_controlled_win_rate", "pct"),
    ("↳ verdict vs target", "pairwise", "verdict.win_rate", "raw"),
    ("wins / ties / losses", "pairwise", "wlt", "raw"),
    ("key-fact coverage", "model", "fact_coverage", "pct"),
    ("facts-judge score", "model", "fact_score", "f3"),
    ("answer rate (answerable items answered)", "model", "answer_rate", "pct"),
    ("hallucination rate (per answer)", "model", "hallucination_rate", "pct"),
    ("↳ per claim (hallucinated / checked sentences)", "model", "claim_hallucination_rate", "pct"),
    ("↳ claims checked per answer", "model", "claims_per_answer", "f2"),
    ("↳ invented specific (absent from the whole KB)", "model", "invented_anywhere_rate", "pct"),
    ("↳ unsupported claim sentence", "model", "unsupported_sentence_rate", "pct"),
    ("↳ llm-judge verdict", "model", "llm_hallucination_rate", "pct"),
    ("off-article (true, from an uncited article)", "model", "off_article_rate", "pct"),
    ("specific not in the cited sources", "model", "hallucinated_specific_rate", "pct"),
    ("hallucination reduction vs base (per answer)", "pairwise", "hallucination_reduction", "pct"),
    ("↳ 95% interval (paired bootstrap)", "pairwise", "hallucination_reduction_ci95", "ci"),
    ("↳ verdict vs target", "pairwise", "verdict.hallucination_reduction", "raw"),
    ("hallucination reduction vs base (per claim)", "pairwise", "claim_hallucination_reduction", "pct"),
    ("↳ 95% interval (paired bootstrap)", "pairwise", "claim_hallucination_reduction_ci95", "ci"),
    ("reference score (similarity proxy)", "model", "reference_score", "f3"),
    ("semantic match", "model", "semantic_match", "pct"),
    ("exact match", "model", "exact_match", "pct"),
    ("token F1", "model", "token_f1", "f3"),
    ("ROUGE-L", "model", "rouge_l", "f3"),
    ("edge-case handling (refuse/clarify)", "model", "edge_case_handling", "pct"),
    ("over-refusal on answerable", "model", "over_refusal_rate", "pct"),
    ("JSON valid", "model", "json_valid_rate", "pct"),
    ("JSON schema correct", "model", "json_schema_rate", "pct"),
    ("words per answer", "model", "words_mean", "f1"),
    ("tokens per answer", "model", "tokens_out_mean", "f1"),
    ("truncated (hit max tokens)", "model", "truncated_rate", "pct"),
    ("seconds per answer (batch-amortised)", "model", "seconds_per_answer", "f2"),
    ("latency p50 (s, per request)", "model", "latency_p50_s", "f2"),
    ("latency p95 (s, per request)", "model", "latency_p95_s", "f2"),
    ("cost per 1k answers (USD)", "model", "cost_per_1k_usd", "f4"),
    ("PII leak rate", "model", "pii_leak_rate", "pct"),
    ("profanity rate", "model", "profanity_rate", "pct"),
)
SLICE_COLS = (
    ("win", "pairwise", "win_rate"),
    ("win 95% CI", "pairwise", "win_rate_ci95"),
    ("facts", "model", "fact_coverage"),
    ("halluc", "model", "hallucination_rate"),
    ("sem", "model", "semantic_match"),
    ("ref", "model", "reference_score"),
    ("behav", "model", "behavior_accuracy"),
)


def fmt(value: Any, kind: str = "f3") -> str:
    """Format a metric for tables ('–' when not applicable)."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "raw":
        return str(value)
    if kind == "ci":
        return f"{100 * value[0]:.1f}–{100 * value[1]:.1f}%"
    return f"{value:.{kind[1]}f}"


def _cell(block: dict[str, Any], model: str, where: str, key: str, kind: str) -> str:
    if where == "pairwise":
        if model != "tuned" or "pairwise" not in block:
            return ""
        p = block["pairwise"]
        if key == "wlt":
            return f"{p['wins']} / {p['ties']} / {p['losses']}"
        head, _, sub = key.partition(".")
        return fmt((p.get(head) or {}).get(sub) if sub else p.get(head), kind)
    return fmt(block.get(model, {}).get(key), kind)


def summary_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the summary table (one column per model)."""
    overall = metrics["overall"]
    labels = [m for m in ("tuned", "base") if m in overall]
    rows = []
    for title, where, key, kind in SUMMARY_ROWS:
        cells = [_cell(overall, m, where, key, kind) for m in labels]
        if any(c not in ("", "–") for c in cells):
            rows.append([title, *cells])
    return ["metric", *(labels if len(labels) > 1 else ["model"])], rows


def md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = [[str(c).replace("|", "\\|").replace("\n", "<br>") for c in r] for r in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in esc]
    return "\n".join(lines)


def slice_tables(metrics: dict[str, Any]) -> str:
    """Markdown tables: every slice tag, every value, the main metrics per model."""
    out = []
    labels = [m for m in ("tuned", "base") if m in metrics["overall"]]
    for tag, values in metrics["slices"].items():
        header = [tag, "n"]
        for name, where, _ in SLICE_COLS:
            if where == "pairwise":
                if "pairwise" in metrics["overall"]:
                    header.append(name)
            else:
                header += [f"{name} {m}" for m in labels]
        rows = []
        for value, block in values.items():
            row = [value, str(block[labels[0]]["n"])]
            for _, where, key in SLICE_COLS:
                kind = "f3" if key == "reference_score" else "ci" if key.endswith("ci95") else "pct"
                if where == "pairwise":
                    if "pairwise" in block:
                        row.append(fmt(block["pairwise"].get(key), kind))
                else:
                    row += [fmt(block[m].get(key), kind) for m in labels]
            rows.append(row)
        out.append(f"### by {tag}\n\n" + md_table(header, rows))
    return "\n\n".join(out)


def pick_examples(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Up to n before/after pairs: the clearest tuned wins and losses, alternating, biggest score gap first."""
    if not rows or "base" not in rows[0]:
        return rows[:n]

    def gap(r: dict[str, Any]) -> float:
        return r["tuned"]["score_score"] - r["base"]["score_score"]

    wins = sorted((r for r in rows if r.get("tuned_points", 0.5) > 0.5), key=gap, reverse=True)
    losses = sorted((r for r in rows if r.get("tuned_points", 0.5) < 0.5), key=gap)
    ties = [r for r in rows if r.get("tuned_points", 0.5) == 0.5]
    picked: list[dict[str, Any]] = []
    for i in range(n):
        for pool in (wins, losses):
            if i < len(pool) and len(picked) < n:
                picked.append(pool[i])
    picked += ties[: n - len(picked)]
    return picked


def _example_md(r: dict[str, Any]) -> str:
    labels = [m for m in ("base", "tuned") if m in r]
    header = [
        "reference",
        *[
            f"{m if len(labels) > 1 else 'answer'} (score {r[m]['score_score']:.2f}, {r[m]['bucket']})"
            for m in labels
        ],
    ]
    cells = [r["reference"], *[r[m]["answer"] or "(empty)" for m in labels]]
    flags = []
    for m in labels:
        if r[m]["unsupported_specifics"]:
            flags.append(f"{m} unsupported specifics: {', '.join(r[m]['unsupported_specifics'][:6])}")
    winner = f" — winner: **{r['winner']}**" if "winner" in r else ""
    text = f"#### {r['id']}{winner}\n\n> {r['question']}\n\n" + md_table(header, [cells])
    return text + ("\n\n" + "; ".join(flags) if flags else "")


def _training_md(training: dict[str, Any]) -> str:
    if not training:
        return "_The tuned model is not a run directory; no training time or cost recorded._"
    return md_table(["field", "value"], [[k, str(v)] for k, v in training.items()])


def _retrieval_md(retrieval: dict[str, Any] | None) -> str:
    if not retrieval:
        return "Questions were asked closed-book (no retrieved context)."
    return (
        f"Both models read the top {retrieval['k']} chunks retrieved from `{retrieval['index_dir']}` before "
        f"each question; the gold article was among them for {fmt(retrieval['recall_at_k'], 'pct')} of the "
        f"{retrieval['questions_with_gold']} questions with gold articles (recall@{retrieval['k']}); "
        f"setting from {retrieval.get('source', 'eval.context')}."
    )


def verdict_lines(metrics: dict[str, Any]) -> list[str]:
    """'win rate 66.0% (95% CI 57.0-75.0%, n = 100) vs target 60%: inconclusive at n = 100' lines."""
    p = metrics["overall"].get("pairwise") or {}
    if "verdict" not in p:
        return []
    out = []
    for key, name in (("win_rate", "win rate"), ("hallucination_reduction", "hallucination reduction")):
        ci = p.get(f"{key}_ci95")
        ci_txt = f"95% CI {fmt(ci, 'ci')}" if ci else "no interval"
        out.append(
            f"{name} {fmt(p.get(key), 'pct')} ({ci_txt}, n = {p['n']}) vs target "
            f"{fmt(p['targets'][key], 'pct')}: {p['verdict'][key]}"
        )
    return out


def verdict_md(metrics: dict[str, Any]) -> str:
    """The verdict against the targets, as a markdown list ('' when there is no base to compare with)."""
    lines = verdict_lines(metrics)
    return (
        "**Verdict** (met = the whole interval clears the target)\n\n" + "\n".join(f"- {x}" for x in lines)
        if lines
        else ""
    )


def human_md(human: dict[str, Any] | None) -> str:
    """The human review section (`supportbot review`): win rate, judge agreement, confusion, disagreements."""
    if not human or not human.get("n"):
        return ""
    a = human["agreement"]
    kappa = _kappa_text(a["kappa"])
    c = human["counts"]
    parts = [
        "## Human review",
        f"{human['n']} verdict(s) on {human['items']} of {human['of']} items by "
        f"{', '.join(human['reviewers'])} (`human.jsonl`; blind A/B, ties and both-wrong count half).",
        f"- human win rate vs base: {fmt(human['win_rate'], 'pct')} (95% CI {fmt(human['win_rate_ci95'], 'ci')}); "
        f"tuned {c['tuned']}, base {c['base']}, tie {c['tie']}, both wrong {c['both_wrong']}; "
        f"{human['corrections']} corrected answer(s)",
        f"- judge vs human on {a['n']} item(s): agreement {fmt(a['raw'], 'pct')}, Cohen's kappa {kappa} "
        "(both wrong = tie)",
        md_table(
            ["human \\ judge", *a["confusion"]["tuned"]],
            [[h, *[str(v) for v in row.values()]] for h, row in a["confusion"].items()],
        ),
    ]
    parts.append(_between_reviewers_md(human.get("between_reviewers")))
    if human["disagreements"]:
        parts.append("Disagreements (human vs judge):")
        parts.append(
            md_table(
                ["id", "human", "judge", "reviewer", "note", "question"],
                [
                    [d["id"], d["human"], d["judge"], d["reviewer"], d["note"] or "", d["question"][:80]]
                    for d in human["disagreements"]
                ],
            )
        )
    return "\n\n".join(parts)


def _kappa_text(kappa: float | None) -> str:
    return "n/a (one category only)" if kappa is None else f"{kappa:.3f}"


def _between_reviewers_md(between: dict[str, Any] | None) -> str:
    """Human vs human on the items two reviewers both rated: the ceiling for the judge's agreement."""
    if not between or not between["n"]:
        return (
            "- human vs human: no item was rated by two reviewers yet, so the judge's kappa has no human "
            "ceiling to read against"
        )
    pairs = "; ".join(
        f"{' vs '.join(r['reviewers'])}: {r['n']} item(s), {fmt(r['raw'], 'pct')}, kappa {_kappa_text(r['kappa'])}"
        for r in between["pairs"]
    )
    return (
        f"- human vs human on {between['n']} shared verdict pair(s): agreement {fmt(between['raw'], 'pct')}, "
        f"Cohen's kappa {_kappa_text(between['kappa'])} ({pairs}); the judge's kappa above reads against this "
        "ceiling"
    )


def _overlap_md(overlap: list[str] | None) -> str:
    if not overlap:
        return ""
    return (
        f"**Warning:** {len(overlap)} suite item(s) overlap the tuned run's training data (answer-only or "
        f"question Jaccard ≥ 0.5 / 0.8), so they measure recall: {', '.join(overlap)}."
    )


def write_report_md(
    out_dir: Path, metrics: dict[str, Any], rows: list[dict[str, Any]], n_examples: int
) -> Path:
    """report.md: summary, judge, training, slices, error buckets, guardrails and before/after examples."""
    header, srows = summary_rows(metrics)
    models = metrics["models"]
    judge = metrics["judge"]
    parts = [
        f"# Eval report: {metrics['eval_id']}",
        f"Suite **{metrics['suite']['name']}** v{metrics['suite']['version']} "
        f"({metrics['suite']['n_questions']} questions, `{metrics['suite']['path']}`). "
        + ", ".join(f"{k}: `{v['spec']}` ({v['kind']}, {v['device']})" for k, v in models.items()),
        "## Summary",
        md_table(header, srows),
        f"Judge: **{judge['name']}** (`{judge.get('model')}`).\n\n```\n{judge['rubric']}\n```",
        verdict_md(metrics),
        human_md(metrics.get("human")),
        "Hallucination = the answer states a specific (number, amount, time, error code, URL/e-mail, menu path, "
        "product name, command) absent from the whole knowledge base (invented, or contradicting it), **or** a "
        "claim sentence whose best-matching sentence in the question, reference, cited articles and the rest "
        f"of the KB is below cosine {metrics['hallucination_detector']['support_threshold']}. A true fact "
        "from an article the question does not cite is counted apart as *off-article*. Per claim = "
        "hallucinated sentences / checked sentences, so saying less does not lower it; read it next to the "
        "answer rate.",
        _overlap_md(metrics.get("training_overlap")),
        _retrieval_md(metrics.get("retrieval")),
        "## Training (from the run directory)",
        _training_md(metrics.get("training") or {}),
        "## Timing",
        md_table(["stage", "seconds"], [[k, str(v)] for k, v in (metrics.get("timing") or {}).items()]),
        "## Error buckets (first matching bucket per answer)",
        md_table(
            ["bucket", *(metrics["buckets"] if len(metrics["buckets"]) > 1 else ["model"])],
            [
                [b, *[str(v[b]) for v in metrics["buckets"].values()]]
                for b in next(iter(metrics["buckets"].values()))
            ],
        ),
        "## Slices",
        "![slices](slices.png)",
        slice_tables(metrics),
        "## Before / after examples",
        "\n\n".join(_example_md(r) for r in pick_examples(rows, n_examples)) or "_none_",
    ]
    path = out_dir / "report.md"
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


def write_csv(out_dir: Path, metrics: dict[str, Any]) -> Path:
    """metrics.csv in long format: slice, value, model, metric, number."""
    path = out_dir / "metrics.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["slice", "value", "model", "metric", "number"])
        blocks = [("overall", "all", metrics["overall"])]
        blocks += [(tag, v, b) for tag, vals in metrics["slices"].items() for v, b in vals.items()]
        for tag, value, block in blocks:
            for model, ms in block.items():
                for key, num in ms.items():
                    if isinstance(num, int | float) and not isinstance(num, bool) or num is None:
                        w.writerow([tag, value, model, key, "" if num is None else num])
    return path


def write_chart(out_dir: Path, metrics: dict[str, Any]) -> Path:
    """slices.png: win rate (if paired) and hallucination rate per model, for each value of each slice tag."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [m for m in ("tuned", "base") if m in metrics["overall"]]
    paired = "pairwise" in metrics["overall"]
    bars: list[tuple[str, dict[str, Any]]] = []
    for tag in ("category", "stage", "language", "expected_behavior"):
        bars += [(f"{tag}={v}", b) for v, b in metrics["slices"].get(tag, {}).items()]
    names = [n for n, _ in bars] or ["all"]
    blocks = [b for _, b in bars] or [metrics["overall"]]
    panels = (["win rate vs base"] if paired else []) + ["hallucination rate"]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(max(8, 0.5 * len(names)), 4 * len(panels)), squeeze=False
    )
    xs = range(len(names))
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        if panel.startswith("win"):
            ax.bar(xs, [(b["pairwise"]["win_rate"] or 0) for b in blocks], color="#4c72b0")
            ax.axhline(0.5, color="grey", linestyle="--", linewidth=1)
        else:
            width = 0.8 / len(labels)
            for i, m in enumerate(labels):
                vals = [(b[m]["hallucination_rate"] or 0) for b in blocks]
                ax.bar([x + (i - (len(labels) - 1) / 2) * width for x in xs], vals, width, label=m)
            ax.legend()
        ax.set_title(panel)
        ax.set_ylim(0, 1)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    fig.tight_layout()
    path = out_dir / "slices.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_outputs(out_dir: Path, metrics: dict[str, Any], cfg: Any) -> None:
    """Write metrics.json, metrics.csv, report.md and slices.png into the results dir."""
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    write_csv(out_dir, metrics)
    rows = [
        json.loads(line) for line in (out_dir / "judgements.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    write_report_md(out_dir, metrics, rows, cfg.eval.examples)
    write_chart(out_dir, metrics)


def print_table(title: str, header: list[str], rows: list[list[str]], console: Any) -> None:
    """A summary table on the console (rich): first column left, the models' columns right."""
    from rich.table import Table

    table = Table(title=title)
    for i, col in enumerate(header):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def print_summary(metrics: dict[str, Any], console: Any) -> None:
    """The summary table and verdicts on the console (grounded evals: grounded_report.print_grounded_summary)."""
    header, rows = summary_rows(metrics)
    suite = metrics["suite"]
    print_table(f"supportbot eval — {suite['name']} ({suite['n_questions']} q)", header, rows, console)
    for line in verdict_lines(metrics):
        console.print(f"verdict: {line}", highlight=False)

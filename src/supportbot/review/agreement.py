"""Human win rate with its interval, and how well the automatic judge agrees with the human (Cohen's kappa).

Every newest (reviewer, item) verdict is one observation. For the win rate a tie and "both wrong" count half,
as the judge's ties do. For the agreement, "both wrong" is a tie (neither answer is better), so both raters use
the same three categories: tuned, base, tie.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from supportbot.core.jsonl import read_jsonl
from supportbot.review.labels import HUMAN_LABELS, Label, latest_labels, read_labels
from supportbot.review.pairs import Pair

CATEGORIES = ("tuned", "base", "tie")
HUMAN_CATEGORIES = ("tuned", "base", "tie", "both_wrong")


def cohen_kappa(
    first: list[str], second: list[str], categories: tuple[str, ...] = CATEGORIES
) -> float | None:
    """(p_observed - p_chance) / (1 - p_chance); None when chance agreement is 1 (one category only)."""
    if not first:
        return None
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    chance = sum((first.count(c) / n) * (second.count(c) / n) for c in categories)
    return None if chance >= 1 else (observed - chance) / (1 - chance)


def human_summary(pairs: list[Pair], labels: list[Label]) -> dict[str, Any]:
    """The `human` block of metrics.json: counts, win rate (95% bootstrap interval), kappa and confusion."""
    from supportbot.eval.intervals import paired_bootstrap

    by_id = {p.id: p for p in pairs}
    latest = [lb for lb in latest_labels(labels).values() if lb.id in by_id]
    winners = [lb.winner for lb in latest]
    points = np.array([{"tuned": 1.0, "base": 0.0}.get(w, 0.5) for w in winners])
    counts = {c: winners.count(c) for c in HUMAN_CATEGORIES}
    rated = [(lb, by_id[lb.id].judge_winner) for lb in latest if by_id[lb.id].judge_winner in CATEGORIES]
    human = ["tie" if lb.winner == "both_wrong" else lb.winner for lb, _ in rated]
    judge = [j for _, j in rated]
    confusion = {h: {j: 0 for j in CATEGORIES} for h in HUMAN_CATEGORIES}
    for lb, j in rated:
        confusion[lb.winner][j] += 1
    kappa = cohen_kappa(human, judge)
    ci = paired_bootstrap(len(points), lambda idx: float(points[idx].mean())) if len(points) else None
    return {
        "n": len(latest),
        "items": len({lb.id for lb in latest}),
        "of": len(pairs),
        "reviewers": sorted({lb.reviewer for lb in latest}),
        "counts": counts,
        "win_rate": float(points.mean()) if len(points) else None,
        "win_rate_ci95": list(ci) if ci else None,
        "corrections": sum(bool(lb.correction) for lb in latest),
        "agreement": {
            "n": len(rated),
            "raw": sum(h == j for h, j in zip(human, judge, strict=True)) / len(rated) if rated else None,
            "kappa": kappa,
            "confusion": confusion,
        },
        "disagreements": [
            {
                "id": lb.id,
                "reviewer": lb.reviewer,
                "human": lb.winner,
                "judge": j,
                "note": lb.note,
                "question": by_id[lb.id].question,
            }
            for (lb, j), h in zip(rated, human, strict=True)
            if h != j
        ],
    }


def update_eval_report(results_dir: Path, pairs: list[Pair], examples: int) -> dict[str, Any]:
    """Recompute the human block from human.jsonl and rewrite metrics.json and report.md with it."""
    from supportbot.eval.report import write_report_md

    metrics_path = results_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["human"] = human_summary(pairs, read_labels(results_dir / HUMAN_LABELS))
    metrics_path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    judged = results_dir / "judgements.jsonl"
    rows = read_jsonl(judged) if judged.is_file() else []
    write_report_md(results_dir, metrics, rows, examples)
    return metrics["human"]

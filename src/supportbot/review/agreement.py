"""Human win rate with its interval, how well the automatic judge agrees with the humans, and how well the
humans agree with each other (Cohen's kappa).

Every newest (reviewer, item) verdict is one observation. For the win rate a tie and "both wrong" count half,
as the judge's ties do; an item several reviewers rated counts once, at the mean of their verdicts, and the
interval resamples items (two verdicts on one item are not two independent items). For the agreements, "both
wrong" is a tie (neither answer is better), so every rater uses the same three categories: tuned, base, tie.
The agreement between reviewers, on the items two of them both rated, is the ceiling to read the judge's
against.
"""

from __future__ import annotations

import json
from itertools import combinations
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


def raw_agreement(first: list[str], second: list[str]) -> float | None:
    """The share of items two raters put in the same category (None: no items)."""
    if not first:
        return None
    return sum(a == b for a, b in zip(first, second, strict=True)) / len(first)


def human_summary(pairs: list[Pair], labels: list[Label]) -> dict[str, Any]:
    """The `human` block of metrics.json: counts, win rate (95% bootstrap interval), kappa and confusion."""
    from supportbot.eval.intervals import paired_bootstrap

    by_id = {p.id: p for p in pairs}
    latest = [lb for lb in latest_labels(labels).values() if lb.id in by_id]
    winners = [lb.winner for lb in latest]
    per_item: dict[str, list[float]] = {}
    for lb in latest:
        per_item.setdefault(lb.id, []).append({"tuned": 1.0, "base": 0.0}.get(lb.winner, 0.5))
    points = np.array([np.mean(v) for v in per_item.values()])
    counts = {c: winners.count(c) for c in HUMAN_CATEGORIES}
    rated = [(lb, by_id[lb.id].judge_winner) for lb in latest if by_id[lb.id].judge_winner in CATEGORIES]
    human = [_three(lb.winner) for lb, _ in rated]
    judge = [j for _, j in rated]
    confusion = {h: {j: 0 for j in CATEGORIES} for h in HUMAN_CATEGORIES}
    for lb, j in rated:
        confusion[lb.winner][j] += 1
    kappa = cohen_kappa(human, judge)
    ci = paired_bootstrap(len(points), lambda idx: float(points[idx].mean())) if len(points) else None
    return {
        "n": len(latest),
        "items": len(per_item),
        "of": len(pairs),
        "reviewers": sorted({lb.reviewer for lb in latest}),
        "counts": counts,
        "win_rate": float(points.mean()) if len(points) else None,
        "win_rate_ci95": list(ci) if ci else None,
        "corrections": sum(bool(lb.correction) for lb in latest),
        "agreement": {
            "n": len(rated),
            "raw": raw_agreement(human, judge),
            "kappa": kappa,
            "confusion": confusion,
        },
        "between_reviewers": reviewer_agreement(latest),
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


def _three(winner: str) -> str:
    """A human winner in the three categories every rater shares (both wrong: neither is better, a tie)."""
    return "tie" if winner == "both_wrong" else winner


def reviewer_agreement(latest: list[Label]) -> dict[str, Any]:
    """Agreement and Cohen's kappa of every two reviewers on the items both rated, and pooled over all such
    (reviewer pair, item) comparisons."""
    verdicts: dict[str, dict[str, str]] = {}
    for lb in latest:
        verdicts.setdefault(lb.reviewer, {})[lb.id] = _three(lb.winner)
    rows, first, second = [], [], []
    for r1, r2 in combinations(sorted(verdicts), 2):
        shared = sorted(verdicts[r1].keys() & verdicts[r2].keys())
        if not shared:
            continue
        a, b = [verdicts[r1][i] for i in shared], [verdicts[r2][i] for i in shared]
        rows.append(
            {"reviewers": [r1, r2], "n": len(shared), "raw": raw_agreement(a, b), "kappa": cohen_kappa(a, b)}
        )
        first += a
        second += b
    return {
        "n": len(first),
        "raw": raw_agreement(first, second),
        "kappa": cohen_kappa(first, second),
        "pairs": rows,
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

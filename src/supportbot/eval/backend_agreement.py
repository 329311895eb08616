"""How far two eval runs of the same models on different runtimes agree (e.g. HF fp32 vs a Q8 / Q4 GGUF).

Per model label (tuned, base): the share of answers that are identical, and the common prefix of the two
answers in tokens (greedy decoding: the answers agree token for token up to the first step where float
rounding or quantisation flipped the top token). Beside it, each run's own headline figures under the eval's
judge (win rate with its interval, hallucination rate, key-fact coverage), so quantisation can be seen not to
lose what the fine-tune won.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from supportbot.core.errors import DataError
from supportbot.core.jsonl import read_jsonl


def _answers(results_dir: Path) -> dict[tuple[str, str], str]:
    path = results_dir / "answers.jsonl"
    if not path.is_file():
        raise DataError(f"{results_dir}: no answers.jsonl (not an eval results dir)")
    return {(r["model"], r["id"]): r["answer"] for r in read_jsonl(path)}


def runtime_of(metrics: dict[str, Any]) -> str:
    """'hf' or 'llamacpp <gguf type>' from an eval's metrics.json manifest."""
    backend = (metrics.get("manifest") or {}).get("backend")
    return f"{backend['name']} {backend['gguf_type']}" if backend else "hf"


def common_prefix(a: list[int], b: list[int]) -> int:
    """Number of leading tokens two id lists share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def agreement(reference: Path, other: Path, tokenizer: Any) -> dict[str, dict[str, Any]]:
    """Per model label: n, identical answers, common-prefix tokens (mean, median) and its share of the
    reference answer's tokens, over the items both runs answered."""
    ref, oth = _answers(reference), _answers(other)
    out: dict[str, dict[str, Any]] = {}
    for label in sorted({k[0] for k in ref} & {k[0] for k in oth}):
        keys = sorted(k for k in ref.keys() & oth.keys() if k[0] == label)
        prefixes, shares, same = [], [], 0
        for key in keys:
            a = tokenizer(ref[key], add_special_tokens=False)["input_ids"]
            b = tokenizer(oth[key], add_special_tokens=False)["input_ids"]
            p = common_prefix(a, b)
            prefixes.append(p)
            shares.append(p / len(a) if a else 1.0)
            same += ref[key] == oth[key]
        out[label] = {
            "n": len(keys),
            "identical": same / len(keys) if keys else None,
            "prefix_tokens_mean": statistics.mean(prefixes) if prefixes else None,
            "prefix_tokens_median": statistics.median(prefixes) if prefixes else None,
            "prefix_share_mean": statistics.mean(shares) if shares else None,
        }
    return out


def headline(results_dir: Path) -> dict[str, Any]:
    """Win rate (interval), hallucination rates and key-fact coverage of one results dir."""
    data = json.loads((results_dir / "metrics.json").read_text())
    m = data["overall"]
    pw, tuned, base = m.get("pairwise") or {}, m.get("tuned") or {}, m.get("base") or {}
    return {
        "runtime": runtime_of(data),
        "win_rate": pw.get("win_rate"),
        "win_rate_ci95": pw.get("win_rate_ci95"),
        "hallucination_rate": (tuned.get("hallucination_rate"), base.get("hallucination_rate")),
        "hallucination_reduction": pw.get("hallucination_reduction"),
        "fact_coverage": (tuned.get("fact_coverage"), base.get("fact_coverage")),
        "seconds_per_answer": (tuned.get("seconds_per_answer"), base.get("seconds_per_answer")),
    }


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}%"


def markdown_table(reference: Path, others: list[Path], tokenizer: Any) -> str:
    """One row per results dir (the reference first): its figures, and its agreement with the reference."""
    header = (
        "| runtime | win rate vs base (95% CI) | hallucinated tuned / base | reduction | key-fact coverage tuned / base "
        "| s per answer tuned / base | identical answers tuned / base | common prefix tokens tuned / base (mean, median) |"
    )
    lines = [header, "|" + "---|" * 8]
    for d in [reference, *others]:
        h = headline(d)
        ci = h["win_rate_ci95"]
        ci_text = f" ({_pct(ci[0])}–{_pct(ci[1])})" if ci and ci[0] is not None else ""
        agree = {} if d == reference else agreement(reference, d, tokenizer)
        t, b = agree.get("tuned", {}), agree.get("base", {})

        def prefix(a: dict[str, Any]) -> str:
            return f"{a['prefix_tokens_mean']:.1f}, {a['prefix_tokens_median']:g}" if a else "reference"

        spa = h["seconds_per_answer"]
        lines.append(
            f"| {h['runtime']} | {_pct(h['win_rate'])}{ci_text} | {_pct(h['hallucination_rate'][0])} / "
            f"{_pct(h['hallucination_rate'][1])} | {_pct(h['hallucination_reduction'])} | "
            f"{_pct(h['fact_coverage'][0])} / {_pct(h['fact_coverage'][1])} | "
            f"{spa[0] or 0:.2f} / {spa[1] or 0:.2f} | "
            f"{_pct(t.get('identical')) or 'reference'} / {_pct(b.get('identical')) or 'reference'} | "
            f"{prefix(t)} / {prefix(b)} |"
        )
    return "\n".join(lines)

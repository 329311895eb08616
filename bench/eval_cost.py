"""Eval cost: wall time of `supportbot eval` on support_100, and latency and cost per answer, from its outputs.

    python bench/eval_cost.py --run                    # time a fresh eval of the embedded default
    python bench/eval_cost.py results/<eval-id>        # summarise an eval that already ran
    python bench/eval_cost.py                          # the newest results/*/metrics.json

--run starts `supportbot eval -c configs/eval.yaml --model smollm2-135m --base none --fresh` (change with
--model/--base/--limit/--set) into results/bench-eval-cost/ as a subprocess and times it end to end (process start, model load, answering,
judging, report). Either way the summary is read from the eval's metrics.json and answers.jsonl: per model,
answers, answering time, seconds and cost per answer (amortised over its batch), per-call latency p50/p95,
generated tokens/s, and cost per 1k answers at the eval config's prices. Writes bench/results/eval_cost.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

NAME = "eval_cost"


def newest_eval(root: Path) -> Path:
    """The results dir whose metrics.json is newest."""
    found = sorted(root.glob("*/metrics.json"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"no eval results under {root} (run `supportbot eval` or pass --run)")
    return found[-1].parent


def run_eval(args: argparse.Namespace, out_dir: Path) -> float:
    """Run `supportbot eval` into out_dir; return its wall time in seconds."""
    cmd = [sys.executable, "-m", "supportbot.cli", "eval", "-c", str(args.config), "--model", args.model]
    cmd += ["--base", args.base, "--out", str(out_dir), "--fresh", "--no-progress"]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    for item in args.set:
        cmd += ["--set", item]
    print(f"[{time.strftime('%H:%M:%S')}] {' '.join(cmd[2:])}", flush=True)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=bl.REPO)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"supportbot eval failed with exit code {proc.returncode}")
    return wall


def summarize(eval_dir: Path) -> dict[str, Any]:
    """Per-model time, latency and cost per answer from an eval results dir."""
    metrics = json.loads((eval_dir / "metrics.json").read_text(encoding="utf-8"))
    answers = [
        json.loads(line)
        for line in (eval_dir / "answers.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    timing = metrics.get("timing", {})
    models = {}
    for label, m in metrics.get("overall", {}).items():
        if label not in metrics.get("models", {}):
            continue  # e.g. the pairwise block
        rows = [a for a in answers if a.get("model") == label]
        answer_s = timing.get(f"answer_{label}_s")
        tokens = sum(a.get("tokens_out", 0) for a in rows)
        # One batched call per answered_at stamp; their latencies add up to the generation time of every
        # answer, also of those a resumed eval took from an earlier, interrupted run.
        calls = {a.get("answered_at", i): a.get("latency_s", 0.0) for i, a in enumerate(rows)}
        generation_s = sum(calls.values())
        models[label] = {
            "spec": metrics["models"][label].get("spec"),
            "device": metrics["models"][label].get("device"),
            "answers": m.get("n"),
            "answering_s": answer_s,
            "generation_s": round(generation_s, 2),
            "resumed": bool(answer_s is not None and generation_s > 1.05 * answer_s + 1),
            "seconds_per_answer": _r(m.get("seconds_per_answer")),
            "latency_p50_s": _r(m.get("latency_p50_s")),
            "latency_p95_s": _r(m.get("latency_p95_s")),
            "tokens_out_mean": _r(m.get("tokens_out_mean"), 1),
            "tokens_per_s": _r(tokens / generation_s, 1) if generation_s else None,
            "truncated_rate": _r(m.get("truncated_rate")),
            "cost_per_1k_usd": _r(m.get("cost_per_1k_usd"), 4),
            "batch_size": max((a.get("batch_size", 1) for a in rows), default=None),
        }
    return {
        "eval_dir": str(eval_dir),
        "suite": metrics.get("suite", {}),
        "timing": timing,
        "prices": metrics.get("prices"),
        "generation": (metrics.get("manifest") or {}).get("generation"),
        "max_new_tokens": (metrics.get("manifest") or {}).get("max_new_tokens"),
        "models": models,
    }


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def markdown(report: dict[str, Any]) -> str:
    """The results file a person reads."""
    s = report["summary"]
    t = s["timing"]
    suite = s["suite"]
    wall = report.get("wall_s")
    header = [
        "model",
        "answers",
        "answering s (this process)",
        "generation s (all calls)",
        "s/answer (amortised)",
        "call p50 s",
        "call p95 s",
        "gen tokens/s",
        "USD per 1k answers",
    ]
    rows = [
        [
            f"{label} ({m['spec']})",
            m["answers"],
            m["answering_s"],
            f"{m['generation_s']}{' (resumed)' if m['resumed'] else ''}",
            m["seconds_per_answer"],
            m["latency_p50_s"],
            m["latency_p95_s"],
            m["tokens_per_s"],
            m["cost_per_1k_usd"],
        ]
        for label, m in s["models"].items()
    ]
    timing = ", ".join(f"{k} {v}" for k, v in t.items())
    return f"""# Eval cost: `supportbot eval` on {suite.get("name")} ({suite.get("n_questions")} questions)

`{report["command"]}`

Machine: {bl.machine_line(report["machine"], report["load_average_after"])}

Eval results: `{s["eval_dir"]}`; max_new_tokens {s["max_new_tokens"]}, batch size {max((m["batch_size"] or 0) for m in s["models"].values())}.
{f"**Wall time of the whole `supportbot eval` process: {wall:.1f} s.**" if wall else "(not timed here: summarised from existing outputs)"}
Inside the eval (s): {timing}.

{bl.md_table(header, rows)}

s/answer is a batched call's latency divided by its batch size; generation s adds up every batched call's
latency ("resumed": part of the answers came from an earlier, interrupted run of the same eval, so the
process's own answering time covers only the rest); USD per 1k answers uses the eval config's prices
({s["prices"]}).
"""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Time (or read) an eval and write the cost summary."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("eval_dir", nargs="?", type=Path, help="An eval results dir (default: the newest).")
    ap.add_argument("--run", action="store_true", help="Run and time a fresh `supportbot eval` first.")
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--base", default="none", help="'none': the model alone (default); or a base to compare.")
    ap.add_argument("--config", type=Path, default=bl.REPO / "configs" / "eval.yaml")
    ap.add_argument("--limit", type=int, help="Only the first N questions.")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="Eval config override.")
    ap.add_argument(
        "--results-root", type=Path, default=bl.REPO / "results", help="Where evals write by default."
    )
    ap.add_argument("--out", type=Path, default=bl.RESULTS)
    args = ap.parse_args(argv)

    m = bl.machine()
    wall = None
    if args.run:
        eval_dir = args.eval_dir or args.results_root / "bench-eval-cost"
        wall = run_eval(args, eval_dir)
    else:
        eval_dir = args.eval_dir or newest_eval(args.results_root)
    report = {
        "benchmark": NAME,
        "command": bl.command_line(),
        "machine": m,
        "load_average_after": bl.load_average(),
        "wall_s": _r(wall, 1),
        "summary": summarize(eval_dir),
    }
    js, md = bl.write_results(args.out, NAME, report, markdown(report))
    print(markdown(report))
    print(f"wrote {js}, {md}")
    return report


if __name__ == "__main__":
    main()

"""`supportbot report RUN_DIR`: loss/val-loss, lr and grad-norm plots plus a short convergence summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core.errors import DataError
from supportbot.train.callbacks import perplexity
from supportbot.train.rundir import RunDir, resolve_run_dir


@dataclass
class Report:
    """Where the report went and what it says."""

    path: Path
    plots: list[Path]
    markdown: str
    findings: dict[str, Any]


def read_metrics(run: RunDir) -> list[dict[str, Any]]:
    """metrics.jsonl rows (errors name the file and line)."""
    if not run.metrics.is_file():
        raise DataError(f"{run.metrics}: no metrics (did the run start training?)")
    from supportbot.core.jsonl import read_jsonl

    return read_jsonl(run.metrics)


def series(rows: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of one logged metric."""
    pts = [(r["step"], float(r[key])) for r in rows if r.get(key) is not None]
    return [p[0] for p in pts], [p[1] for p in pts]


def throughput(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Median real tokens/s and MFU over the train logs after the first (warm-up) one."""
    import statistics

    logs = [r for r in rows if "loss" in r and "tokens_per_s" in r][1:]
    rate = [r["tokens_per_s"] for r in logs]
    mfu = [r["mfu"] for r in logs if r.get("mfu") is not None]
    return {
        "tokens_per_s": statistics.median(rate) if rate else None,
        "mfu": statistics.median(mfu) if mfu else None,
    }


def analyse(rows: list[dict[str, Any]], manifest: dict[str, Any]) -> dict[str, Any]:
    """Best eval, over/under-fitting signs and val perplexity against the base model."""
    steps, val = series(rows, "eval_loss")
    _, train = series(rows, "loss")
    epochs = {r["step"]: r.get("epoch") for r in rows if "eval_loss" in r}
    out: dict[str, Any] = {"evals": len(val), "base_val_perplexity": manifest.get("base_val_perplexity")}
    out.update(throughput(rows))
    if not val:
        out["verdict"] = "no evaluation yet"
        return out
    i = min(range(len(val)), key=val.__getitem__)
    out.update(
        best_step=steps[i],
        best_epoch=epochs.get(steps[i]),
        best_val_loss=val[i],
        best_val_perplexity=perplexity(val[i]),
        final_val_loss=val[-1],
    )
    signs = []
    if i < len(val) - 1 and val[-1] > val[i] * 1.02:
        signs.append(
            f"overfitting: val loss rose {100 * (val[-1] / val[i] - 1):.1f}% after its best (step {steps[i]})"
        )
    if train and val[-1] - train[-1] > 0.5:
        signs.append(f"train/val gap {val[-1] - train[-1]:.2f} nats: memorising the train split")
    if len(val) >= 2 and i == len(val) - 1 and (val[-2] - val[-1]) / max(val[-2], 1e-9) > 0.02:
        signs.append("underfitting: val loss still falling >2% per eval at the end — more steps would help")
    base = manifest.get("base_val_perplexity")
    if base:
        ratio = out["best_val_perplexity"] / base
        out["perplexity_vs_base"] = ratio
        if ratio >= 1.0:
            signs.append("no gain: best val perplexity is not below the base model's")
    out["signs"] = signs
    out["verdict"] = (
        "; ".join(signs) if signs else "converged: val loss flat at its best, no overfitting sign"
    )
    return out


def plot(run: RunDir, rows: list[dict[str, Any]]) -> list[Path]:
    """loss.png (train + val), lr.png, grad_norm.png in the run dir."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    specs = [
        ("loss.png", "loss", [("loss", "train loss"), ("eval_loss", "val loss")]),
        ("lr.png", "learning rate", [("learning_rate", "lr")]),
        ("grad_norm.png", "grad norm", [("grad_norm", "grad norm")]),
    ]
    if any("rewards/margins" in r for r in rows):  # preference objectives (dpo/orpo/kto)
        specs.append(
            (
                "rewards.png",
                "chosen - rejected reward (margin) / pair accuracy",
                [
                    ("rewards/margins", "train margin"),
                    ("eval_rewards/margins", "val margin"),
                    ("rewards/accuracies", "train accuracy"),
                    ("eval_rewards/accuracies", "val accuracy"),
                ],
            )
        )
    for name, ylabel, keys in specs:
        fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
        for key, label in keys:
            x, y = series(rows, key)
            if x:
                ax.plot(x, y, marker="o" if key == "eval_loss" else None, markersize=3, label=label)
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{run.id}: {ylabel}")
        ax.grid(alpha=0.3)
        if len(keys) > 1:
            ax.legend()
        fig.tight_layout()
        path = run.root / name
        fig.savefig(path)
        plt.close(fig)
        out.append(path)
    return out


def _preference_lines(manifest: dict[str, Any]) -> list[str]:
    """The reward margin and pair accuracy of a dpo/orpo/kto run, first logged -> last (none for SFT)."""
    if manifest.get("objective", "sft") == "sft":
        return []
    out = [f"- objective: {manifest['objective']} on top of {manifest.get('init_adapter') or 'a fresh LoRA'}"]
    for key, label in (
        ("eval_rewards_margins", "val reward margin (chosen - rejected)"),
        ("eval_rewards_accuracies", "val pair accuracy (chosen reward > rejected)"),
        ("rewards_margins", "train reward margin"),
    ):
        if manifest.get(key):
            out.append(f"- {label}: {manifest[key]['first']:.3f} -> {manifest[key]['last']:.3f}")
    return out


def _fmt(v: Any, spec: str = ".3f") -> str:
    return "n/a" if v is None else format(v, spec)


def write_report(run_dir: str | Path) -> Report:
    """Plot the curves and write report.md in the run dir."""
    run = resolve_run_dir(run_dir)
    manifest = run.read_manifest()
    rows = read_metrics(run)
    plots = plot(run, rows)
    f = analyse(rows, manifest)
    lines = [
        f"# Run {run.id}",
        "",
        f"- base model: {manifest.get('base_model')}; status: {manifest.get('status')}; "
        f"steps: {manifest.get('global_step')}; epochs: {manifest.get('epochs')}; "
        f"time: {manifest.get('train_seconds')} s",
        f"- trainable params: {manifest.get('trainable_params')} ({manifest.get('trainable_percent')}%)",
        f"- precision: {manifest.get('precision')} ({(manifest.get('precision_choice') or {}).get('reason', '')})",
        f"- speed: {_fmt(f.get('tokens_per_s'), '.1f')} real tokens/s (median), MFU "
        f"{_fmt(f.get('mfu') and 100 * f['mfu'], '.1f')}% of the measured "
        f"{(manifest.get('gemm_peak_gflops') or {}).get('value')} GFLOP/s GEMM peak "
        f"({manifest.get('flops_per_token')} model FLOPs per token, train/mfu.py)",
        f"- memory: peak {_fmt(manifest.get('peak_memory_mb'), '.0f')} MiB (process RSS, or GPU allocated on "
        f"CUDA) against an estimate of {_fmt((manifest.get('memory_estimate_gib') or {}).get('total'), '.2f')} "
        "GiB for the training tensors (train/lora.py memory_estimate; the process itself comes on top)",
        f"- best val loss {_fmt(f.get('best_val_loss'))} at step {f.get('best_step')} "
        f"(epoch {_fmt(f.get('best_epoch'), '.2f')})",
        f"- val perplexity: base {_fmt(f.get('base_val_perplexity'), '.2f')} -> best "
        f"{_fmt(f.get('best_val_perplexity'), '.2f')}",
        f"- convergence: {f['verdict']}",
        *_preference_lines(manifest),
        "",
        *[f"![{p.stem}]({p.name})" for p in plots],
    ]
    md = "\n".join(lines) + "\n"
    path = run.root / "report.md"
    path.write_text(md, encoding="utf-8")
    return Report(path, plots, md, f)

"""GPU check (issue 21): QLoRA nf4 and bf16 LoRA on a Llama-3.1-8B-shaped model, through `supportbot train`.

    python bench/gpu_check.py                 # on a lent GPU: ~10 min, writes bench/results/gpu_check.{json,md}
    python bench/gpu_check.py --dry-run       # CPU, tiny shapes, a few steps (what CI runs)

Nothing is downloaded: the model is built random-init from Llama-3.1-8B's published config (speed and memory do
not depend on the weights), saved once with the embedded tokenizer, and trained with `configs/qlora-8b.yaml`'s
settings (r 64 on all linear layers, length 2048, packing, gradient checkpointing, micro-batch 4) for --steps
optimizer steps with grad_accum 1 (the recipe's 64 would make 30 steps take hours), once 4-bit NF4 and once
bf16. Prints tokens/s, peak GPU memory and MFU next to published anchors:

- torchtune, Llama-3.1-8B QLoRA on an RTX 4090: 2,413 tok/s at 7.4 GiB peak;
- LitGPT, Llama-3-8B QLoRA: 17.4 GB peak;
- Unsloth's claims: 2x faster and -70% VRAM against HF + FA2.

Each anchor used other settings (sequence length, batch, checkpointing), so they are for scale, not a verdict.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

NAME = "gpu_check"
LLAMA_31_8B = {  # meta-llama/Llama-3.1-8B config.json
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "max_position_embeddings": 131072,
    "rope_theta": 500000.0,
    "rms_norm_eps": 1e-5,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
}
TINY = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 2048,
    "rope_theta": 10000.0,
    "rms_norm_eps": 1e-5,
    "vocab_size": 49152,
    "tie_word_embeddings": True,
}
ANCHORS = [
    ("torchtune Llama-3.1-8B QLoRA, RTX 4090", "2,413 tok/s", "7.4 GiB"),
    ("LitGPT Llama-3-8B QLoRA", "", "17.4 GB"),
    ("Unsloth (claim vs HF + FA2)", "2x", "-70% VRAM"),
]


def build_model(shape: dict[str, Any], out: Path, dtype: str) -> Path:
    """Random-init weights of `shape` saved with the embedded tokenizer (reused when already there)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from supportbot.core.models import load_tokenizer

    if (out / "config.json").is_file():
        return out
    cfg = LlamaConfig(**shape, torch_dtype=dtype)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):
        model = LlamaForCausalLM(cfg).to(getattr(torch, dtype))
    model.save_pretrained(out, max_shard_size="4GB")
    load_tokenizer("smollm2-135m").save_pretrained(out)
    del model
    return out


def run_one(label: str, model_dir: Path, args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    """One supportbot training run with the 8B recipe's settings; its speed and memory."""
    import torch

    from supportbot.config import load_recipe
    from supportbot.train.run import train

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    overrides = [
        *bl.BENCH_RUN_OVERRIDES,
        f"model.name={model_dir}",
        f"train.data_dir={args.data_dir}",
        f"train.output_dir={args.work / 'runs'}",
        f"train.run_name=gpu-check-{label}",
        f"train.max_steps={args.steps}",
        "train.grad_accum=1",
        f"train.micro_batch_size={args.micro_batch}",
        f"train.max_length={args.max_length}",
        f"train.eval_steps={args.steps}",
        f"train.save_steps={args.steps}",
        *extra,
    ]
    started = time.perf_counter()
    result = train(load_recipe(bl.REPO / "configs" / "qlora-8b.yaml", overrides))
    seconds = time.perf_counter() - started
    rows = [json.loads(x) for x in result.run.metrics.read_text().splitlines()]
    steps = [r for r in rows if "loss" in r and "tokens_per_s" in r][2:]  # after two warm-up steps
    manifest = result.run.read_manifest()
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    return {
        "label": label,
        "precision": manifest.get("precision"),
        "quantization_bits": manifest.get("quantization_bits"),
        "tokens_per_s": round(statistics.median(r["tokens_per_s"] for r in steps), 1) if steps else None,
        "mfu": round(statistics.median(r["mfu"] for r in steps if "mfu" in r), 4) if steps else None,
        "gemm_peak_gflops": manifest.get("gemm_peak_gflops"),
        "peak_gpu_gib": round(peak, 2) if peak is not None else None,
        "peak_rss_mb": manifest.get("peak_memory_mb"),
        "memory_estimate_gib": manifest.get("memory_estimate_gib"),
        "final_train_loss": manifest.get("final_train_loss"),
        "seconds": round(seconds, 1),
    }


def vllm_row() -> dict[str, Any]:
    """vLLM serving of the base plus the adapter against HF generate, when vLLM imports (not yet written)."""
    try:
        import vllm  # noqa: F401
    except Exception as exc:
        return {"skipped": f"vllm does not import ({exc.__class__.__name__})"}
    return {"skipped": "vllm imports, but the serving comparison is not written yet"}


def markdown(report: dict[str, Any]) -> str:
    """The results file a person reads."""
    rows = [
        [
            r["label"],
            r["precision"],
            r["quantization_bits"],
            r["tokens_per_s"],
            r["peak_gpu_gib"],
            r["peak_rss_mb"],
            (r["memory_estimate_gib"] or {}).get("total"),
            r["mfu"],
            r["final_train_loss"],
        ]
        for r in report["runs"]
    ]
    header = [
        "run",
        "precision",
        "bits",
        "tok/s",
        "peak GPU GiB",
        "peak RSS MiB",
        "estimate GiB",
        "MFU",
        "final loss",
    ]
    anchors = bl.md_table(["published anchor", "speed", "memory"], [list(a) for a in ANCHORS])
    return "\n".join(
        [
            f"# GPU check{' (dry run, tiny shapes on CPU)' if report['dry_run'] else ''}",
            "",
            f"`{report['command']}`",
            "",
            f"Shape: {'tiny' if report['dry_run'] else 'Llama-3.1-8B'} random init, `configs/qlora-8b.yaml` "
            f"settings, {report['steps']} steps, micro-batch {report['micro_batch']} x {report['max_length']} tokens.",
            "",
            bl.md_table(header, rows),
            "",
            anchors,
            "",
            f"vLLM: {report['vllm']}",
            "",
            bl.machine_line(report["machine"]),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Build the model, run both trainings, write the results."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dry-run", action="store_true", help="Tiny shapes on CPU, a few steps (CI).")
    ap.add_argument("--steps", type=int, help="Optimizer steps per run (default 30; dry run 3).")
    ap.add_argument("--micro-batch", type=int, default=4)
    ap.add_argument("--max-length", type=int, help="Default 2048 (dry run 128).")
    ap.add_argument(
        "--data-dir", type=Path, help="Prepared data (default: the shipped data, prepared if missing)."
    )
    ap.add_argument("--work", type=Path, default=Path("/tmp/supportbot-gpu-check"))
    ap.add_argument("--out", type=Path, default=bl.RESULTS)
    args = ap.parse_args(argv)
    args.steps = args.steps or (3 if args.dry_run else 30)
    args.max_length = args.max_length or (128 if args.dry_run else 2048)
    if args.dry_run:
        args.micro_batch = min(args.micro_batch, 2)
    args.work.mkdir(parents=True, exist_ok=True)
    args.data_dir = bl.prepared_data(args.data_dir)
    model_dir = build_model(
        TINY if args.dry_run else LLAMA_31_8B,
        args.work / ("tiny" if args.dry_run else "llama-3.1-8b"),
        "float32" if args.dry_run else "bfloat16",
    )
    from supportbot.train.precision import choose_precision

    bf16 = "bf16" if choose_precision("auto", cuda=not args.dry_run).precision == "bf16" else "fp32"
    runs = [
        run_one("qlora-nf4", model_dir, args, [f"train.precision={bf16}"]),
        run_one("lora-bf16", model_dir, args, ["train.quantization=none", f"train.precision={bf16}"]),
    ]
    report = {
        "command": bl.command_line(),
        "dry_run": args.dry_run,
        "steps": args.steps,
        "micro_batch": args.micro_batch,
        "max_length": args.max_length,
        "runs": runs,
        "anchors": ANCHORS,
        "vllm": vllm_row(),
        "machine": bl.machine(),
    }
    name = f"{NAME}-dry-run" if args.dry_run else NAME
    json_path, md_path = bl.write_results(args.out, name, report, markdown(report))
    print(markdown(report))
    print(f"wrote {json_path} and {md_path}")
    return report


if __name__ == "__main__":
    main()

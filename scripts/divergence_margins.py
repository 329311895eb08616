"""Where two runtimes' greedy answers part, was it float rounding? The top-2 logit margin at the first divergence.

python scripts/divergence_margins.py REFERENCE_RESULTS_DIR OTHER_RESULTS_DIR --model runs/<run> [--gguf-type f32]

Both results dirs answered the same suite with the same model (e.g. hf fp32 and llamacpp f32). For every answer
that differs, the prompt is rebuilt as the eval built it (the tuned model's trained retrieval context), the
common token prefix is fed to both runtimes, and at the first differing position the script prints each
runtime's score gap between the two candidate tokens (after the eval's repetition penalty). Greedy decoding flips on rounding only when that gap is
about the size of the runtimes' logit difference (|hf - llamacpp| on the same prefix, also printed).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
import torch

from supportbot.config import load_config
from supportbot.core.config import GgufConfig
from supportbot.core.jsonl import read_jsonl
from supportbot.core.llamacpp import load_llamacpp_model, logits_processors
from supportbot.core.models import load_model
from supportbot.core.prompt import build_messages, user_turn
from supportbot.core.suites import load_suite
from supportbot.eval.backend_agreement import common_prefix
from supportbot.eval.pipeline import eval_context, retrieve_contexts


def next_token_logits(runtime, ids: list[int]) -> np.ndarray:  # noqa: ANN001
    """The llama.cpp runtime's logits for the token after `ids`."""
    grabbed: list[np.ndarray] = []
    runtime.run([ids], [1], lambda i, so_far, logits: grabbed.append(logits) or 0, lambda i, new: False)
    return grabbed[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reference", type=Path)
    p.add_argument("other", type=Path)
    p.add_argument("--model", required=True, help="the tuned run both dirs answered with")
    p.add_argument("--gguf-type", default="f32")
    p.add_argument("--config", default="configs/eval.yaml")
    args = p.parse_args()

    cfg = load_config(args.config)
    suite = load_suite(json.loads((args.reference / "metrics.json").read_text())["suite"]["path"])
    ctx_cfg, _ = eval_context(cfg.eval, args.model)
    contexts, _ = retrieve_contexts(ctx_cfg, suite.questions)
    question = {q.id: q for q in suite.questions}
    ref = {(r["model"], r["id"]): r["answer"] for r in read_jsonl(args.reference / "answers.jsonl")}
    oth = {(r["model"], r["id"]): r["answer"] for r in read_jsonl(args.other / "answers.jsonl")}

    hf = load_model(args.model)
    cpp = load_llamacpp_model(args.model, gguf=GgufConfig(type=args.gguf_type, n_ctx=4096, n_seq=1))
    tok = hf.tokenizer
    procs = logits_processors(cfg.generation)
    gaps_hf, gaps_cpp, diffs = [], [], []
    for label in ("tuned", "base"):
        for key in sorted(k for k in ref.keys() & oth.keys() if k[0] == label and ref[k] != oth[k]):
            q = question[key[1]]
            c = contexts.get(q.id) if contexts else None
            messages = build_messages(
                user_turn(q.question, c.merge(None) if c else None), cfg.generation.system_prompt
            )
            text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            prompt = tok(text, add_special_tokens=False)["input_ids"]
            a = tok(ref[key], add_special_tokens=False)["input_ids"]
            b = tok(oth[key], add_special_tokens=False)["input_ids"]
            n = common_prefix(a, b)
            if n >= min(len(a), len(b)):
                continue  # one answer is a prefix of the other (a stop string or the length cut it)
            ids = prompt + a[:n]
            ctx = hf.model.disable_adapter() if label == "base" else torch.inference_mode()
            with torch.inference_mode(), ctx:
                lh = hf.model(torch.tensor([ids])).logits[0, -1].float().numpy()
            with cpp.model.use_adapter(None if label == "base" else "tuned"):
                lc = next_token_logits(cpp.model, ids)
            # the scores greedy decoding compared: after the eval's repetition penalty (same on both sides)
            lh = procs(torch.tensor([ids]), torch.from_numpy(lh).unsqueeze(0))[0].numpy()
            lc = procs(torch.tensor([ids]), torch.from_numpy(lc.copy()).unsqueeze(0))[0].numpy()
            ta, tb = a[n], b[n]
            gaps_hf.append(float(lh[ta] - lh[tb]))
            gaps_cpp.append(float(lc[tb] - lc[ta]))
            diffs.append(float(np.abs(lh - lc).max()))
            print(
                f"{label} {q.id}: diverge at token {n}: hf picks {tok.decode([ta])!r} by {gaps_hf[-1]:.4f}, "
                f"llamacpp picks {tok.decode([tb])!r} by {gaps_cpp[-1]:.4f}; max |logit diff| {diffs[-1]:.4f}"
            )
    if gaps_hf:
        print(
            f"\n{len(gaps_hf)} divergences: hf's margin for its token median {statistics.median(gaps_hf):.4f} "
            f"(max {max(gaps_hf):.4f}); llamacpp's margin for its token median {statistics.median(gaps_cpp):.4f} "
            f"(max {max(gaps_cpp):.4f}); max |hf - llamacpp| logit difference median {statistics.median(diffs):.4f}"
        )


if __name__ == "__main__":
    main()

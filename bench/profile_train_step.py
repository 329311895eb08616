"""Where one supportbot training micro-step spends its time (torch.profiler, CPU, one thread).

    python bench/profile_train_step.py            # embedded default, 4 packed rows of <= 256 tokens

Builds the step the way `bench/train_throughput.py`'s supportbot side runs it (packed rows, LoRA r16 on every
linear layer, fast LoRA dropout, fused LoRA layers, loss on labelled positions), times 3 steps after 2 warm-up
steps, then prints the ops with the most self CPU time, grouped by input shape.
"""

from __future__ import annotations

import argparse
import time

import benchlib as bl
import torch
from peft import LoraConfig, get_peft_model

from supportbot.core.models import load_model, load_tokenizer
from supportbot.data.render import pack, render_examples
from supportbot.train.dataset import Collator, read_split
from supportbot.train.dropout import use_fast_lora_dropout
from supportbot.train.fused_lora import use_fused_lora
from supportbot.train.loss import labelled_positions_loss, plain_head_parts

SYSTEM = "You are NovaPay's customer support assistant. Answer accurately and concisely."


def main() -> None:
    """Profile one micro-step and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--rows", type=int, default=4, help="Packed rows in the micro-batch.")
    args = ap.parse_args()
    torch.set_num_threads(1)
    tok = load_tokenizer(args.model)
    examples, _ = render_examples(
        read_split(bl.prepared_data() / "train.jsonl", 128), tok, SYSTEM, args.max_length
    )
    rows = sorted(pack(examples, args.max_length), key=lambda r: -len(r.input_ids))[: args.rows]
    items = [{"input_ids": r.input_ids, "labels": r.labels, "position_ids": r.position_ids} for r in rows]
    batch = Collator(tok.pad_token_id)(items)
    batch.pop("num_real_tokens")
    labels = batch.pop("labels")
    model = load_model(args.model, dtype="float32", device="cpu").model
    model.config.use_cache = False
    lora = LoraConfig(
        r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM"
    )
    model = get_peft_model(model, lora)
    use_fast_lora_dropout(model)
    use_fused_lora(model)
    model.train()
    decoder, head = plain_head_parts(model)

    def step() -> None:
        labelled_positions_loss(decoder, head, batch, labels).backward()

    for _ in range(2):
        step()
    started = time.perf_counter()
    for _ in range(3):
        step()
    print(f"batch {tuple(labels.shape)}: {(time.perf_counter() - started) / 3:.2f} s per micro-step")
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True) as prof:
        step()
    print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=25))


if __name__ == "__main__":
    main()

"""Chat formatting with the tokenizer's own template and generation (batched or streamed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from supportbot.config import GenerationConfig
from supportbot.models import END_OF_TURN, LoadedModel

Messages = list[dict[str, str]]


@dataclass
class Generation:
    """One generated answer with its cost."""

    text: str
    tokens_in: int
    tokens_out: int
    latency_s: float
    finish_reason: str  # "stop" (end of turn) or "length"
    deadline_cut: bool = False  # serving: the generation deadline ended it ("length"), the text is partial


def build_messages(question: str, system_prompt: str | None, history: Messages | None = None) -> Messages:
    """System prompt, earlier turns, then the user's question."""
    messages: Messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.extend(history or [])
    messages.append({"role": "user", "content": question})
    return messages


def stop_token_ids(tokenizer: Any) -> list[int]:
    """Token ids that end an assistant turn."""
    ids = {tokenizer.eos_token_id}
    eot = tokenizer.convert_tokens_to_ids(END_OF_TURN)
    if isinstance(eot, int) and eot != tokenizer.unk_token_id:
        ids.add(eot)
    return sorted(i for i in ids if i is not None)


def decoding_kwargs(
    cfg: GenerationConfig, tokenizer: Any, max_new_tokens: int | None = None
) -> dict[str, Any]:
    """transformers `generate` keyword arguments for a GenerationConfig (temperature 0 = greedy)."""
    kwargs: dict[str, Any] = {
        "max_new_tokens": max_new_tokens or cfg.max_new_tokens,
        "eos_token_id": stop_token_ids(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,
        "repetition_penalty": cfg.repetition_penalty,
    }
    if cfg.no_repeat_ngram_size:
        kwargs["no_repeat_ngram_size"] = cfg.no_repeat_ngram_size
    if cfg.temperature > 0:
        kwargs.update(do_sample=True, temperature=cfg.temperature, top_p=cfg.top_p, top_k=cfg.top_k or None)
    else:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    return kwargs


def encode_batch(tokenizer: Any, batch: list[Messages], device: torch.device) -> dict[str, torch.Tensor]:
    """Apply the chat template to each conversation and left-pad them into one batch."""
    prompts = [tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in batch]
    tokenizer.padding_side = "left"
    enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    return {k: v.to(device) for k, v in enc.items()}


@torch.inference_mode()
def generate(
    lm: LoadedModel,
    batch: list[Messages],
    cfg: GenerationConfig,
    max_new_tokens: int | None = None,
    grammars: list[Any] | None = None,
) -> list[Generation]:
    """Generate one answer per conversation in a single batched call.

    `grammars` (one grounded.guided.ContractGrammar or None per row) constrains those rows' tokens.
    """
    if cfg.temperature > 0:
        torch.manual_seed(cfg.seed)
    started = time.perf_counter()
    enc = encode_batch(lm.tokenizer, batch, lm.device)
    kwargs = decoding_kwargs(cfg, lm.tokenizer, max_new_tokens)
    if grammars is not None and any(g is not None for g in grammars):
        from transformers import LogitsProcessorList

        from supportbot.grounded.guided import GuidedJSON

        prompt_len = enc["input_ids"].shape[1]
        kwargs["logits_processor"] = LogitsProcessorList([GuidedJSON(grammars, prompt_len)])
    out = lm.model.generate(**enc, **kwargs)  # (batch, prompt + new)
    latency = time.perf_counter() - started
    prompt_len = enc["input_ids"].shape[1]
    stops = set(kwargs["eos_token_id"])
    results = []
    for row, mask in zip(out, enc["attention_mask"], strict=True):
        new = row[prompt_len:].tolist()
        cut = next((i for i, t in enumerate(new) if t in stops), None)
        kept = new if cut is None else new[:cut]
        text = lm.tokenizer.decode(kept, skip_special_tokens=True).strip()
        finish = "stop" if cut is not None else "length"
        results.append(Generation(text, int(mask.sum()), len(kept) + (cut is not None), latency, finish))
    return results


def stream(
    lm: LoadedModel, messages: Messages, cfg: GenerationConfig, max_new_tokens: int | None = None
) -> Iterator[str]:
    """Yield text pieces of one answer as they are generated."""
    from transformers import TextIteratorStreamer

    if cfg.temperature > 0:
        torch.manual_seed(cfg.seed)
    enc = encode_batch(lm.tokenizer, [messages], lm.device)
    streamer = TextIteratorStreamer(lm.tokenizer, skip_prompt=True, skip_special_tokens=True)
    kwargs = decoding_kwargs(cfg, lm.tokenizer, max_new_tokens)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with torch.inference_mode():
                lm.model.generate(**enc, **kwargs, streamer=streamer)
        except BaseException as exc:  # surfaced in the caller's thread below
            errors.append(exc)
            streamer.end()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield from streamer
    thread.join()
    if errors:
        raise errors[0]

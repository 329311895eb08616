"""The one decode loop: chat-templated, left-padded batches through transformers `generate`, for batch and stream.

Each row keeps its own token budget, stop strings and optional token constraint (guided decoding, e.g. the
grounded JSON contract), and may be halted from outside (serve: a client that left, a deadline). Eval, chat,
train's sample callback, the grounded enforcer and the serving engine all call `decode`; `generate` and
`stream` are its two everyday shapes.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from supportbot.core.config import GenerationConfig
from supportbot.core.models import END_OF_TURN, LoadedModel
from supportbot.core.prompt import Messages

HALT = "halt"  # a row's should_stop verdicts: stop now ...
DEADLINE = "deadline"  # ... or stop because its deadline passed (the text is then partial)


@dataclass
class Generation:
    """One generated answer with its cost."""

    text: str
    tokens_in: int
    tokens_out: int
    latency_s: float
    finish_reason: str  # "stop" (end of turn or a stop string) or "length"
    deadline_cut: bool = False  # serving: the generation deadline ended it ("length"), the text is partial


class TokenConstraint(Protocol):
    """A per-row token program for guided decoding (grounded/guided.py's ContractGrammar is one)."""

    fed: int  # how many generated tokens it has consumed

    def allowed(self) -> torch.Tensor | list[int]:
        """Token ids (or a vocabulary mask) allowed next."""

    def feed(self, tok: int) -> None:
        """Advance over one generated token."""


@dataclass
class Row:
    """One conversation to answer and its own limits."""

    messages: Messages
    max_new_tokens: int | None = None  # None: the config's
    stop: list[str] = field(default_factory=list)  # the text is cut at the first of these
    constraint: TokenConstraint | None = None
    should_stop: Callable[[], str | None] | None = None  # polled every step: None, HALT or DEADLINE


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


def apply_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """Cut `text` at the earliest stop string; True when one was found."""
    cuts = [i for i in (text.find(s) for s in stops) if i >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


class RowConstraints:
    """transformers LogitsProcessor: row i follows constraints[i] (None = unconstrained)."""

    def __init__(self, constraints: list[TokenConstraint | None], prompt_len: int) -> None:
        self.constraints = constraints
        self.prompt_len = prompt_len

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """Mask every token the row's constraint does not allow next."""
        produced = input_ids.shape[1] - self.prompt_len
        for row, constraint in enumerate(self.constraints):
            if constraint is None:
                continue
            while constraint.fed < produced:
                constraint.feed(int(input_ids[row, self.prompt_len + constraint.fed]))
                constraint.fed += 1
            allowed = constraint.allowed()
            if isinstance(allowed, list):
                mask = torch.zeros(scores.shape[-1], dtype=torch.bool, device=scores.device)
                mask[allowed] = True
            else:
                # the model's vocabulary may be padded past the tokenizer's
                mask = allowed.to(scores.device)
                if mask.shape[0] < scores.shape[-1]:
                    mask = torch.cat([mask, mask.new_zeros(scores.shape[-1] - mask.shape[0])])
            scores[row] = scores[row].masked_fill(~mask[: scores.shape[-1]], float("-inf"))
        return scores


class _RowStop:
    """Stopping criterion: each row is done at its own budget, or when its should_stop says so."""

    def __init__(self, rows: list[Row], budgets: list[int], prompt_len: int) -> None:
        self.rows, self.budgets, self.prompt_len = rows, budgets, prompt_len
        self.deadline_hit = [False] * len(rows)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.BoolTensor:
        produced = input_ids.shape[1] - self.prompt_len
        done = []
        for i, (row, budget) in enumerate(zip(self.rows, self.budgets, strict=True)):
            verdict = row.should_stop() if row.should_stop is not None and produced < budget else None
            self.deadline_hit[i] = self.deadline_hit[i] or verdict == DEADLINE
            done.append(verdict is not None or produced >= budget)
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


def _text_sink(tokenizer: Any, on_text: Callable[[str], None]) -> Any:
    """A transformers streamer that hands each finished piece of text to `on_text`."""
    from transformers import TextStreamer

    class Sink(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if text:
                on_text(text)

    return Sink(tokenizer, skip_prompt=True, skip_special_tokens=True)


@torch.inference_mode()
def decode(
    lm: LoadedModel,
    rows: list[Row],
    cfg: GenerationConfig,
    on_text: Callable[[str], None] | None = None,
) -> list[Generation]:
    """Answer every row in one batched `generate` call.

    With `on_text` (one row only) text pieces are handed over as they are generated, and the returned
    Generation carries the counts but no text. Stop strings cut the returned text, not the stream.
    """
    if on_text is not None and len(rows) != 1:
        raise ValueError("streaming decodes one row at a time")
    if lm.backend == "llamacpp":
        return _decode_llamacpp(lm, rows, cfg, on_text)
    if cfg.temperature > 0:
        torch.manual_seed(cfg.seed)
    started = time.perf_counter()
    enc = encode_batch(lm.tokenizer, [r.messages for r in rows], lm.device)
    prompt_len = enc["input_ids"].shape[1]
    budgets = [r.max_new_tokens or cfg.max_new_tokens for r in rows]
    kwargs = decoding_kwargs(cfg, lm.tokenizer, max(budgets))
    if any(r.constraint is not None for r in rows):
        from transformers import LogitsProcessorList

        kwargs["logits_processor"] = LogitsProcessorList(
            [RowConstraints([r.constraint for r in rows], prompt_len)]
        )
    row_stop = None
    if len(set(budgets)) > 1 or any(r.should_stop is not None for r in rows):
        from transformers import StoppingCriteriaList

        row_stop = _RowStop(rows, budgets, prompt_len)
        kwargs["stopping_criteria"] = StoppingCriteriaList([row_stop])
    if on_text is not None:
        kwargs["streamer"] = _text_sink(lm.tokenizer, on_text)
    out = lm.model.generate(**enc, **kwargs)  # (batch, prompt + new)
    latency = time.perf_counter() - started
    stops = set(kwargs["eos_token_id"])
    results = []
    for i, (row, ids, mask) in enumerate(zip(rows, out, enc["attention_mask"], strict=True)):
        new = ids[prompt_len : prompt_len + budgets[i]].tolist()
        deadline = row_stop is not None and row_stop.deadline_hit[i]
        results.append(
            _generation(lm.tokenizer, row, new, stops, int(mask.sum()), latency, deadline, on_text)
        )
    return results


def _generation(
    tokenizer: Any,
    row: Row,
    new: list[int],
    stops: set[int],
    tokens_in: int,
    latency: float,
    deadline_hit: bool,
    on_text: Callable[[str], None] | None,
) -> Generation:
    """One row's result from its generated ids (both runtimes): the text up to the end of turn and the row's
    first stop string, its token counts, and why it finished."""
    cut = next((k for k, t in enumerate(new) if t in stops), None)
    kept = new if cut is None else new[:cut]
    tokens_out = len(kept) + (cut is not None)
    text, hit = "", False
    if on_text is None:  # a stream has handed its text over already
        text = tokenizer.decode(kept, skip_special_tokens=True).strip()
        text, hit = apply_stop(text, row.stop)
        if hit:
            text = text.strip()
            tokens_out = len(tokenizer.encode(text, add_special_tokens=False))
    finish = "stop" if (cut is not None or hit) else "length"
    return Generation(text, tokens_in, tokens_out, latency, finish, deadline_hit and finish == "length")


def _decode_llamacpp(
    lm: LoadedModel, rows: list[Row], cfg: GenerationConfig, on_text: Callable[[str], None] | None
) -> list[Generation]:
    """`decode` on the llama.cpp runtime (core/llamacpp.py): the same prompt ids, logits processors, row
    constraints, stops, streamer and results as `generate`."""
    from supportbot.core.llamacpp import logits_processors

    tok = lm.tokenizer
    started = time.perf_counter()
    texts = [tok.apply_chat_template(r.messages, tokenize=False, add_generation_prompt=True) for r in rows]
    prompts = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    budgets = [r.max_new_tokens or cfg.max_new_tokens for r in rows]
    stops = set(stop_token_ids(tok))
    procs = logits_processors(cfg)
    sampler = torch.Generator().manual_seed(cfg.seed)
    deadline_hit = [False] * len(rows)
    sink = _text_sink(tok, on_text) if on_text is not None else None
    if sink is not None:
        sink.put(torch.tensor(prompts[0]))  # the streamer skips its first put: the prompt

    def pick(i: int, ids: list[int], logits: Any) -> int:
        input_ids = torch.tensor([ids])
        scores = procs(input_ids, torch.from_numpy(logits).unsqueeze(0))
        if rows[i].constraint is not None:
            scores = RowConstraints([rows[i].constraint], len(prompts[i]))(input_ids, scores)
        if cfg.temperature > 0:
            return int(torch.multinomial(torch.softmax(scores[0], -1), 1, generator=sampler))
        return int(scores[0].argmax())

    def keep_going(i: int, new: list[int]) -> bool:
        if sink is not None:
            sink.put(torch.tensor(new[-1:]))
        if new[-1] in stops or len(new) >= budgets[i]:
            return False
        if (
            sink is None
            and rows[i].stop
            and apply_stop(tok.decode(new, skip_special_tokens=True), rows[i].stop)[1]
        ):
            return False  # the text will be cut there: no need to generate on
        verdict = rows[i].should_stop() if rows[i].should_stop is not None else None
        deadline_hit[i] = verdict == DEADLINE
        return verdict is None

    generated = lm.model.run(prompts, budgets, pick, keep_going)
    if sink is not None:
        sink.end()
    latency = time.perf_counter() - started
    return [
        _generation(tok, row, new, stops, len(prompts[i]), latency, deadline_hit[i], on_text)
        for i, (row, new) in enumerate(zip(rows, generated, strict=True))
    ]


def generate(
    lm: LoadedModel,
    batch: list[Messages],
    cfg: GenerationConfig,
    max_new_tokens: int | None = None,
    constraints: list[TokenConstraint | None] | None = None,
) -> list[Generation]:
    """Generate one answer per conversation in a single batched call (optionally constrained per row)."""
    constraints = constraints or [None] * len(batch)
    rows = [Row(m, max_new_tokens, constraint=c) for m, c in zip(batch, constraints, strict=True)]
    return decode(lm, rows, cfg)


def stream(
    lm: LoadedModel, messages: Messages, cfg: GenerationConfig, max_new_tokens: int | None = None
) -> Iterator[str]:
    """Yield text pieces of one answer as they are generated (decoding runs in a helper thread)."""
    pieces: queue.Queue = queue.Queue()
    done = object()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            decode(lm, [Row(messages, max_new_tokens)], cfg, on_text=pieces.put)
        except BaseException as exc:  # surfaced in the caller's thread below
            errors.append(exc)
        finally:
            pieces.put(done)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    while (piece := pieces.get()) is not done:
        yield piece
    thread.join()
    if errors:
        raise errors[0]

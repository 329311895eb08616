"""Chat-template rendering for training: prompt tokens masked, answer tokens supervised, truncation and packing.

One prepared example becomes `system prompt + history + user turn → assistant answer` (the example's own
`inputs.system` when it has one, else the configured system prompt), rendered with the
tokenizer's own chat template so that training sees exactly what `generation.encode_batch` feeds at inference.
Only the assistant answer (and its end-of-turn token) carries labels; every prompt token is -100.

Truncation keeps the whole answer: when a row is longer than `max_length`, the oldest history turns are dropped
first, then the context is trimmed from the left (its end is usually the relevant part), then the context is
dropped; an example whose question + answer still do not fit is skipped. Both are counted in `RenderStats`.

Packing concatenates short examples into rows of at most `max_length` tokens with `position_ids` restarting at 0
for each example and no attention mask: transformers (>= 4.53) then builds a block-diagonal causal mask from the
position ids (sdpa/eager) or uses varlen kernels (flash-attention 2), so examples in one row never attend to
each other. Padding at the end of a packed row is its own segment with labels -100.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from supportbot.core.prompt import example_system_prompt, prompt_messages

IGNORE_INDEX = -100


@dataclass
class Rendered:
    """One tokenized training example."""

    input_ids: list[int]
    labels: list[int]
    truncated: bool = False

    @property
    def num_labels(self) -> int:
        """How many tokens are supervised (the answer)."""
        return sum(1 for t in self.labels if t != IGNORE_INDEX)


@dataclass
class RenderStats:
    """How many examples were rendered, truncated (history/context trimmed) or dropped (did not fit)."""

    total: int = 0
    truncated: int = 0
    dropped: int = 0
    dropped_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {"total": self.total, "truncated": self.truncated, "dropped": self.dropped}


def _encode(
    tokenizer: Any, messages: list[dict[str, str]], answer: str | None
) -> tuple[list[int], list[int]]:
    """(prompt ids, answer ids incl. end of turn) with the tokenizer's chat template."""
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    if answer is None:
        return prompt_ids, []
    full = tokenizer.apply_chat_template(
        [*messages, {"role": "assistant", "content": answer}], tokenize=False, add_generation_prompt=False
    )
    if full.startswith(prompt):
        answer_ids = tokenizer(full[len(prompt) :], add_special_tokens=False)["input_ids"]
    else:  # templates that rewrite earlier turns: fall back to answer + eos
        answer_ids = tokenizer(answer + (tokenizer.eos_token or ""), add_special_tokens=False)["input_ids"]
    return prompt_ids, answer_ids


def render_example(
    example: Mapping[str, Any], tokenizer: Any, system_prompt: str | None, max_length: int
) -> Rendered | None:
    """Render one prepared example; None when even question + answer alone exceed max_length."""
    inputs, answer = example["inputs"], example["outputs"]["answer"]
    system_prompt = example_system_prompt(inputs, system_prompt)
    question, context = inputs["question"], inputs.get("context")
    history = list(inputs.get("history") or [])
    truncated = False
    while True:
        messages = prompt_messages(question, context, history, system_prompt)
        prompt_ids, answer_ids = _encode(tokenizer, messages, answer)
        overflow = len(prompt_ids) + len(answer_ids) - max_length
        if overflow <= 0:
            return Rendered(prompt_ids + answer_ids, [IGNORE_INDEX] * len(prompt_ids) + answer_ids, truncated)
        truncated = True
        if history:
            history = history[2:] if len(history) >= 2 else []  # drop the oldest user/assistant exchange
        elif context:
            ctx_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
            keep = len(ctx_ids) - overflow - 8  # a little slack: re-tokenising the cut can shift a token
            context = tokenizer.decode(ctx_ids[-keep:]).lstrip() if keep > 16 else None
        else:
            return None


def render_examples(
    examples: Iterable[Mapping[str, Any]], tokenizer: Any, system_prompt: str | None, max_length: int
) -> tuple[list[Rendered], RenderStats]:
    """Render many examples, counting truncated and dropped ones."""
    rows, stats = [], RenderStats()
    for ex in examples:
        stats.total += 1
        r = render_example(ex, tokenizer, system_prompt, max_length)
        if r is None:
            stats.dropped += 1
            stats.dropped_ids.append(str(ex.get("id")))
            continue
        stats.truncated += r.truncated
        rows.append(r)
    return rows, stats


@dataclass
class PackedRow:
    """Several examples concatenated into one row; position_ids restart at each example."""

    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]

    @property
    def num_examples(self) -> int:
        """How many examples share this row."""
        return sum(1 for p in self.position_ids if p == 0)


def pack(rendered: list[Rendered], max_length: int) -> list[PackedRow]:
    """First-fit-decreasing packing of examples into rows of at most max_length tokens (order is deterministic)."""
    order = sorted(range(len(rendered)), key=lambda i: (-len(rendered[i].input_ids), i))
    bins: list[list[int]] = []
    room: list[int] = []
    for i in order:
        n = len(rendered[i].input_ids)
        slot = next((b for b, free in enumerate(room) if free >= n), None)
        if slot is None:
            bins.append([i])
            room.append(max_length - n)
        else:
            bins[slot].append(i)
            room[slot] -= n
    rows = []
    for members in bins:
        ids: list[int] = []
        labels: list[int] = []
        pos: list[int] = []
        for i in members:
            ids += rendered[i].input_ids
            labels += rendered[i].labels
            pos += list(range(len(rendered[i].input_ids)))
        rows.append(PackedRow(ids, labels, pos))
    return rows

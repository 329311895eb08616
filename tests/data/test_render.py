"""Chat-template rendering for training: supervised answer only, truncation policy, packing without leakage."""

from __future__ import annotations

import pytest
import torch

from supportbot.core.models import END_OF_TURN
from supportbot.core.prompt import user_turn
from supportbot.data.render import IGNORE_INDEX, pack, render_example, render_examples

SYSTEM = "You are a support assistant."


def ex(question: str, answer: str, context: str | None = None, history: list | None = None) -> dict:
    return {
        "id": "x",
        "inputs": {"question": question, "context": context, "history": history or []},
        "outputs": {"answer": answer},
    }


def supervised_text(tok, r) -> str:
    return tok.decode([t for t, lab in zip(r.input_ids, r.labels, strict=True) if lab != IGNORE_INDEX])


def test_only_the_assistant_answer_and_end_of_turn_carry_labels(tiny_lm):
    tok = tiny_lm.tokenizer
    r = render_example(ex("How do I reset my PIN?", "Open Settings > Security."), tok, SYSTEM, 256)
    assert supervised_text(tok, r).strip() == f"Open Settings > Security.{END_OF_TURN}"
    prompt = tok.decode(r.input_ids[: r.labels.index(next(lab for lab in r.labels if lab != IGNORE_INDEX))])
    assert SYSTEM in prompt and "How do I reset my PIN?" in prompt and "Open Settings" not in prompt
    # the prompt part is exactly what generation feeds the model at inference
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "How do I reset my PIN?"}]
    infer = tok(
        tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True),
        add_special_tokens=False,
    )["input_ids"]
    assert r.input_ids[: len(infer)] == infer


def test_context_is_placed_before_the_question_in_the_user_turn():
    assert user_turn("Why?", "Plan: Basic") == "Context:\nPlan: Basic\n\nQuestion: Why?"
    assert user_turn("Why?", None) == "Why?"


def test_truncation_drops_oldest_history_first_and_keeps_the_whole_answer(tiny_lm):
    tok = tiny_lm.tokenizer
    history = [
        {"role": "user", "content": "old question " * 30},
        {"role": "assistant", "content": "old " * 30},
        {"role": "user", "content": "recent question"},
        {"role": "assistant", "content": "recent answer"},
    ]
    answer = "Refunds take five business days."
    full = render_example(ex("And now?", answer, history=history), tok, SYSTEM, 10_000)
    r = render_example(ex("And now?", answer, history=history), tok, SYSTEM, len(full.input_ids) - 20)
    assert r.truncated and len(r.input_ids) <= len(full.input_ids) - 20
    text = tok.decode(r.input_ids)
    assert "old question" not in text and "recent question" in text
    assert supervised_text(tok, r).strip() == answer + END_OF_TURN


def test_long_context_is_trimmed_from_the_left(tiny_lm):
    tok = tiny_lm.tokenizer
    context = " ".join(f"w{i}" for i in range(300)) + " KEYFACT"
    r = render_example(ex("What?", "An answer.", context=context), tok, SYSTEM, 160)
    text = tok.decode(r.input_ids)
    assert r.truncated and len(r.input_ids) <= 160
    assert "KEYFACT" in text and "w0 " not in text


def test_examples_that_cannot_fit_are_dropped_and_counted(tiny_lm):
    rows, stats = render_examples(
        [ex("short?", "ok"), ex("q?", "very long answer " * 200)], tiny_lm.tokenizer, SYSTEM, 64
    )
    assert len(rows) == 1 and stats.total == 2 and stats.dropped == 1 and stats.truncated == 0


def test_packing_fits_rows_and_examples_do_not_attend_to_each_other(tiny_lm):
    tok = tiny_lm.tokenizer
    rendered, _ = render_examples(
        [
            ex("Card declined?", "Check your balance."),
            ex("Refund time?", "Five days."),
            ex("Close account?", "Ask support."),
        ],
        tok,
        SYSTEM,
        128,
    )
    rows = pack(rendered, 128)
    assert sum(r.num_examples for r in rows) == 3 and all(len(r.input_ids) <= 128 for r in rows)
    row = next(r for r in rows if r.num_examples >= 2)
    model = tiny_lm.model
    with torch.no_grad():
        packed = model(  # use_cache=False as in training: with a KV cache transformers ignores packing
            input_ids=torch.tensor([row.input_ids]),
            position_ids=torch.tensor([row.position_ids]),
            use_cache=False,
        ).logits[0]
        starts = [i for i, p in enumerate(row.position_ids) if p == 0] + [len(row.input_ids)]
        for a, b in zip(starts, starts[1:], strict=False):
            alone = model(input_ids=torch.tensor([row.input_ids[a:b]])).logits[0]
            torch.testing.assert_close(packed[a:b], alone, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("max_length", [48, 96])
def test_rendered_rows_never_exceed_max_length(tiny_lm, max_length):
    rows, _ = render_examples(
        [ex("q " * 20, "answer"), ex("q", "a " * 10, context="c " * 100)],
        tiny_lm.tokenizer,
        SYSTEM,
        max_length,
    )
    assert rows and all(len(r.input_ids) <= max_length for r in rows)

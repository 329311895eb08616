"""Guided decoding: with the contract grammar even a random model's output is a valid, grounded response."""

from __future__ import annotations

import pytest

from supportbot.core.config import GenerationConfig
from supportbot.core.generation import RowConstraints, decoding_kwargs, encode_batch
from supportbot.grounded.enforce import validate_output
from supportbot.grounded.guided import ContractGrammar, Vocab

MESSAGES = [[{"role": "user", "content": "PAN_GLARE again"}], [{"role": "user", "content": "OTP never came"}]]


def run(lm, grammars, budget: int) -> list[str]:
    enc = encode_batch(lm.tokenizer, MESSAGES[: len(grammars)], lm.device)
    prompt_len = enc["input_ids"].shape[1]
    kwargs = decoding_kwargs(GenerationConfig(), lm.tokenizer, budget)
    out = lm.model.generate(**enc, **kwargs, logits_processor=[RowConstraints(grammars, prompt_len)])
    stops = set(kwargs["eos_token_id"])
    texts = []
    for row in out:
        new = row[prompt_len:].tolist()
        cut = next((i for i, t in enumerate(new) if t in stops), None)
        assert cut is not None, "the grammar must finish inside the token budget"
        texts.append(lm.tokenizer.decode(new[:cut], skip_special_tokens=True))
    return texts


@pytest.mark.parametrize("budget", [160, 240])
def test_guided_rows_are_schema_valid_and_cite_only_their_own_chunks(tiny_lm, budget: int) -> None:
    vocab = Vocab.of(tiny_lm.tokenizer)
    allowed = [["KB-011#0", "KB-009#0"], ["KB-016#0", "KB-016#1", "KB-014#0"]]
    texts = run(tiny_lm, [ContractGrammar.build(vocab, ids, budget) for ids in allowed], budget)
    for text, ids in zip(texts, allowed, strict=True):
        response, errors = validate_output(text, set(ids))
        assert errors == [], (errors, text)
        assert set(response.citations) <= set(ids)


def test_an_unguided_row_in_the_same_batch_is_left_alone(tiny_lm) -> None:
    vocab = Vocab.of(tiny_lm.tokenizer)
    enc = encode_batch(tiny_lm.tokenizer, MESSAGES[:1], tiny_lm.device)
    kwargs = decoding_kwargs(GenerationConfig(), tiny_lm.tokenizer, 16)
    plain = tiny_lm.model.generate(**enc, **kwargs)
    mixed = tiny_lm.model.generate(
        **enc, **kwargs, logits_processor=[RowConstraints([None], enc["input_ids"].shape[1])]
    )
    assert plain.tolist() == mixed.tolist()
    assert vocab.string_safe.sum() > 40_000  # almost every token may appear inside a JSON string


def test_a_budget_too_small_for_the_grammar_is_refused(tiny_lm) -> None:
    with pytest.raises(ValueError, match="max_new_tokens >="):
        ContractGrammar.build(Vocab.of(tiny_lm.tokenizer), ["KB-011#0"], 40)

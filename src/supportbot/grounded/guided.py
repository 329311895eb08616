"""Guided decoding of the troubleshoot contract: the model fills the values, the grammar forces the JSON.

A `ContractGrammar` is a per-request token program: literal keys and punctuation are forced token by token,
string values let the model pick any token that cannot break a JSON string (no quote, backslash or control
character) until it emits the closing quote or reaches its token cap, `style`/`language`/confidence digits
are choices among fixed options, and `citations` may only hold the chunk ids that were retrieved. The
output is therefore always a schema-valid response with no invented citation, whatever the model's
weights; what the values *say* is still the model's. A grammar is a `core.generation.TokenConstraint`: the
decode loop applies one per batch row.

Trade-offs: one nudge message with no compliance flags, at most 3 steps, confidence 0.1-0.9, and the
string caps (scaled to `max_new_tokens`) cut long values short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

STRING_WEIGHTS = {"reason": 2, "explanation": 6, "step": 4, "nudge": 3, "message": 6}
_VOCAB_CACHE: dict[tuple[str, int], Vocab] = {}


@dataclass
class Vocab:
    """Token facts of one tokenizer: which ids may appear inside a JSON string, and the punctuation ids."""

    string_safe: torch.Tensor  # (vocab,) bool
    quote: int
    comma: int
    close_bracket: int
    eos: int
    encode: Any  # text -> list[int]

    @classmethod
    def of(cls, tokenizer: Any) -> Vocab:
        """Built once per tokenizer (decoding the whole vocabulary takes ~2 s) and cached."""
        key = (str(getattr(tokenizer, "name_or_path", "")), len(tokenizer))
        if key not in _VOCAB_CACHE:
            from supportbot.core.generation import stop_token_ids

            special = set(tokenizer.all_special_ids)
            safe = torch.zeros(len(tokenizer), dtype=torch.bool)
            for i in range(len(tokenizer)):
                text = tokenizer.decode([i])
                ok = text and i not in special and '"' not in text and "\\" not in text
                safe[i] = bool(ok) and all(ord(c) >= 32 for c in text)

            def encode(text: str) -> list[int]:
                return tokenizer.encode(text, add_special_tokens=False)

            single = {ch: encode(ch) for ch in ('"', ",", "]")}
            if any(len(ids) != 1 for ids in single.values()):
                raise ValueError("guided decoding needs '\"', ',' and ']' to be single tokens")
            _VOCAB_CACHE[key] = cls(
                safe, single['"'][0], single[","][0], single["]"][0], stop_token_ids(tokenizer)[-1], encode
            )
        return _VOCAB_CACHE[key]


class _Lit:
    """Forced tokens."""

    def __init__(self, ids: list[int]) -> None:
        self.ids, self.pos = ids, 0

    def allowed(self, v: Vocab) -> list[int]:
        return [self.ids[self.pos]]

    def feed(self, tok: int, v: Vocab) -> bool:
        self.pos += 1
        return self.pos == len(self.ids)


class _Str:
    """A string value after its opening quote: 1..cap safe tokens, then the closing quote (consumed here)."""

    def __init__(self, cap: int) -> None:
        self.cap, self.n = cap, 0

    def allowed(self, v: Vocab) -> torch.Tensor | list[int]:
        if self.n >= self.cap:
            return [v.quote]
        mask = v.string_safe.clone()
        mask[v.quote] = self.n > 0
        return mask

    def feed(self, tok: int, v: Vocab) -> bool:
        if tok == v.quote:
            return True
        self.n += 1
        return False


class _Choice:
    """One of several token sequences (prefix-free)."""

    def __init__(self, options: list[list[int]]) -> None:
        self.options, self.prefix = options, []

    def allowed(self, v: Vocab) -> list[int]:
        n = len(self.prefix)
        return sorted({o[n] for o in self.options if o[:n] == self.prefix})

    def feed(self, tok: int, v: Vocab) -> bool:
        self.prefix.append(tok)
        return any(o == self.prefix for o in self.options)


class _List:
    """`item, item, ...]` after the opening bracket: at most `max_items` items made by `make_item(first)`."""

    def __init__(self, make_item: Any, max_items: int) -> None:
        self.make_item, self.max_items = make_item, max_items
        self.count, self.phase = 0, "open"  # open | item | after
        self.item = make_item(True)

    def allowed(self, v: Vocab) -> torch.Tensor | list[int]:
        if self.phase == "open":
            return [*self.item.allowed(v), v.close_bracket] if self.max_items else [v.close_bracket]
        if self.phase == "after":
            return [v.comma, v.close_bracket] if self.count < self.max_items else [v.close_bracket]
        return self.item.allowed(v)

    def feed(self, tok: int, v: Vocab) -> bool:
        if self.phase in ("open", "after") and tok == v.close_bracket:
            return True
        if self.phase == "after":  # the comma; the next item opens with its own leading space
            self.phase, self.item = "item", self.make_item(False)
            return False
        self.phase = "item"
        if self.item.feed(tok, v):
            self.phase, self.count = "after", self.count + 1
        return False


class _StrItem:
    """A list item string: its opening tokens (`"` first, ` "` after a comma), then a string value."""

    def __init__(self, opening: list[int], cap: int) -> None:
        self.opening, self.body = _Lit(opening), _Str(cap)
        self.opened = False

    def allowed(self, v: Vocab) -> torch.Tensor | list[int]:
        return self.body.allowed(v) if self.opened else self.opening.allowed(v)

    def feed(self, tok: int, v: Vocab) -> bool:
        if not self.opened:
            self.opened = self.opening.feed(tok, v)
            return False
        return self.body.feed(tok, v)


@dataclass
class ContractGrammar:
    """The token program of one troubleshoot answer (see the module docstring); feed it generated tokens."""

    vocab: Vocab
    segments: list[Any] = field(default_factory=list)
    index: int = 0
    fed: int = 0

    @classmethod
    def build(
        cls,
        vocab: Vocab,
        citations: list[str],
        max_new_tokens: int,
        languages: tuple[str, ...] = ("en", "hinglish"),
    ) -> ContractGrammar:
        """A grammar whose longest output fits in `max_new_tokens` (string caps scale with the budget)."""
        enc = vocab.encode
        lits = [
            '{"predicted_drop_reason": "',
            ', "explanation": "',
            ', "steps_to_fix": [',
            ', "confidence_score": 0.',
            ', "citations": [',
            ', "nudge_messages": [{"text": "',
            ', "style": "',
            ', "language": "',
            ', "compliance_flags": []}], "conversational_message": "',
            "}",
        ]
        ids = {text: enc(text) for text in lits}
        ids_first = [enc(f'"{c}"') for c in dict.fromkeys(citations)]
        ids_next = [enc(f' "{c}"') for c in dict.fromkeys(citations)]
        max_steps = 3
        fixed = sum(len(x) for x in ids.values()) + 1 + 4 + 2 + 4  # eos, style, digit, language, slack
        fixed += max_steps * 4 + sum(len(o) + 2 for o in ids_next) + 2
        space_quote = enc(' "')
        weights = {**STRING_WEIGHTS, "step": STRING_WEIGHTS["step"] * max_steps}
        free = max_new_tokens - fixed
        if free < 2 * len(weights):
            raise ValueError(
                f"guided decoding needs max_new_tokens >= {fixed + 2 * len(weights)} for {len(ids_first)} "
                f"citation option(s) (got {max_new_tokens})"
            )
        cap = {k: max(2, free * w // sum(weights.values())) for k, w in weights.items()}
        step_cap = max(2, cap["step"] // max_steps)

        segments = [
            _Lit(ids[lits[0]]),
            _Str(cap["reason"]),
            _Lit(ids[lits[1]]),
            _Str(cap["explanation"]),
            _Lit(ids[lits[2]]),
            _List(lambda first: _StrItem([vocab.quote] if first else space_quote, step_cap), max_steps),
            _Lit(ids[lits[3]]),
            _Choice([enc(str(d)) for d in range(1, 10)]),
            _Lit(ids[lits[4]]),
            _List(lambda first: _Choice(ids_first if first else ids_next), len(ids_first)),
            _Lit(ids[lits[5]]),
            _Str(cap["nudge"]),
            _Lit(ids[lits[6]]),
            _Choice([enc('CTA"'), enc('explanatory"')]),
            _Lit(ids[lits[7]]),
            _Choice([enc(f'{lang}"') for lang in languages]),
            _Lit(ids[lits[8]]),
            _Str(cap["message"]),
            _Lit(ids[lits[9]]),
        ]
        return cls(vocab, segments)

    @property
    def done(self) -> bool:
        """True once the closing brace was generated (only end-of-turn is allowed then)."""
        return self.index >= len(self.segments)

    def allowed(self) -> torch.Tensor | list[int]:
        """Token ids (or a vocabulary mask) allowed next."""
        return [self.vocab.eos] if self.done else self.segments[self.index].allowed(self.vocab)

    def feed(self, tok: int) -> None:
        """Advance over one generated token."""
        if self.done:
            return
        if self.segments[self.index].feed(tok, self.vocab):
            self.index += 1


def _request_of(conversation: list[Any], first_round: list[list[Any]]) -> int:
    """Which request a conversation belongs to: a retry extends its first-round conversation."""
    for i, first in enumerate(first_round):
        if conversation[: len(first)] == first:
            return i
    raise ValueError("a retried conversation does not extend any first-round conversation")


def generate_guided(
    lm: Any,
    conversations: list[Any],
    first_round: list[Any],
    hits: list[list[Any]],
    gen_cfg: Any,
    max_new_tokens: int | None,
) -> list[Any]:
    """One batched generate where each conversation follows its request's ContractGrammar (the request's
    retrieved chunk ids as the only citations); a retry conversation maps to the request it extends."""
    from supportbot.core.generation import generate

    vocab = Vocab.of(lm.tokenizer)
    budget = max_new_tokens or gen_cfg.max_new_tokens
    row_hits = [hits[_request_of(conv, first_round)] for conv in conversations]
    grammars = [ContractGrammar.build(vocab, [h.chunk_id for h in hs], budget) for hs in row_hits]
    return generate(lm, conversations, gen_cfg, max_new_tokens, grammars)

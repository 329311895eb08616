"""Schema-enforced generation: generate → extract JSON → validate → one repair retry → typed error.

One loop (`enforce_steps`) with three drivers: `generate_valid` (sync), `agenerate_valid` (async; the
server's /v1/troubleshoot) and `generate_valid_many` (batched; the grounded eval).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from supportbot.core.errors import SupportbotError
from supportbot.grounded.contract import TroubleshootResponse, citation_errors, schema_errors

Messages = list[dict[str, str]]
GenerateFn = Callable[[Messages], str]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


class GroundedOutputError(SupportbotError):
    """The model did not produce a schema-valid response, even after the repair retry."""

    def __init__(self, errors: list[str], outputs: list[str]) -> None:
        self.errors = errors
        self.outputs = outputs
        shown = "; ".join(errors[:5]) + (f" (+{len(errors) - 5} more)" if len(errors) > 5 else "")
        super().__init__(
            f"model output is not a valid troubleshoot response after {len(outputs)} attempt(s): {shown}"
        )


def _balanced_objects(text: str) -> list[str]:
    """Every top-level `{...}` span with balanced braces (string- and escape-aware), in order."""
    spans, depth, start, in_str, esc = [], 0, -1, False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
    return spans


def extract_json(text: str) -> dict[str, Any] | None:
    """The first JSON object in model output (code fences and prose allowed; trailing commas tolerated)."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        for span in _balanced_objects(candidate):
            for attempt in (span, _TRAILING_COMMA.sub(r"\1", span)):
                try:
                    obj = json.loads(attempt)
                except json.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    return obj
    return None


def validate_output(
    text: str, allowed_citations: set[str] | None = None
) -> tuple[TroubleshootResponse | None, list[str]]:
    """Parse and validate one model output: (response, []) when valid, else (None, errors)."""
    obj = extract_json(text)
    if obj is None:
        hint = " (output looks truncated)" if text.count("{") > text.count("}") else ""
        return None, [f"<output>: no complete JSON object found{hint}"]
    errors = schema_errors(obj)
    if not errors and allowed_citations is not None:
        errors = citation_errors(obj, allowed_citations)
    if errors:
        return None, errors
    return TroubleshootResponse.model_validate(obj), []


def repair_messages(messages: Messages, bad_output: str, errors: list[str]) -> Messages:
    """The conversation plus the invalid answer and an instruction listing what to fix."""
    fix = "\n".join(f"- {e}" for e in errors[:10])
    return [
        *messages,
        {"role": "assistant", "content": bad_output},
        {
            "role": "user",
            "content": "Your answer was not a valid JSON object for the required schema:\n"
            f"{fix}\nReply again with only the corrected JSON object, all keys present, nothing else.",
        },
    ]


@dataclass
class EnforcedResult:
    """A schema-valid response and how it was obtained."""

    response: TroubleshootResponse
    attempts: int
    outputs: list[str] = field(default_factory=list)


def enforce_steps(
    messages: Messages, allowed_citations: set[str] | None = None, retries: int = 1
) -> Generator[Messages, str, EnforcedResult]:
    """The enforcement loop as a generator: yields each conversation to answer and receives the model's text.

    Returns (StopIteration.value) the first valid EnforcedResult; after 1 + `retries` invalid answers it
    raises GroundedOutputError. `generate_valid` (sync), `agenerate_valid` (async, the server) and
    `generate_valid_many` (batched, the eval) drive this same loop.
    """
    outputs: list[str] = []
    convo = messages
    errors: list[str] = []
    for _ in range(1 + retries):
        text = yield convo
        outputs.append(text)
        response, errors = validate_output(text, allowed_citations)
        if response is not None:
            return EnforcedResult(response, len(outputs), outputs)
        convo = repair_messages(messages, text, errors)
    raise GroundedOutputError(errors, outputs)


def generate_valid(
    generate_fn: GenerateFn,
    messages: Messages,
    allowed_citations: set[str] | None = None,
    retries: int = 1,
) -> EnforcedResult:
    """Call `generate_fn` until its output validates, at most 1 + `retries` times, else GroundedOutputError."""
    steps = enforce_steps(messages, allowed_citations, retries)
    convo = next(steps)
    while True:
        try:
            convo = steps.send(generate_fn(convo))
        except StopIteration as done:
            return done.value


async def agenerate_valid(
    generate_fn: Callable[[Messages], Awaitable[str]],
    messages: Messages,
    allowed_citations: set[str] | None = None,
    retries: int = 1,
) -> EnforcedResult:
    """`generate_valid` with an async generate function (each attempt awaited on the event loop)."""
    steps = enforce_steps(messages, allowed_citations, retries)
    convo = next(steps)
    while True:
        text = await generate_fn(convo)
        try:
            convo = steps.send(text)
        except StopIteration as done:
            return done.value


def generate_valid_many(
    generate_many: Callable[[list[Messages]], list[Any]],
    conversations: list[Messages],
    allowed_citations: list[set[str] | None],
    retries: int = 1,
) -> tuple[list[EnforcedResult | GroundedOutputError], list[list[Any]]]:
    """`generate_valid` for many conversations, each round of attempts generated as one batch.

    `generate_many` returns one text (or object with `.text`, e.g. a Generation) per conversation.
    Returns, per conversation, its EnforcedResult or the GroundedOutputError it ended with, and the objects
    `generate_many` returned for it (one per attempt, for token and latency accounting).
    """
    results: list[Any] = [None] * len(conversations)
    made: list[list[Any]] = [[] for _ in conversations]
    live = {}
    for i, (messages, allowed) in enumerate(zip(conversations, allowed_citations, strict=True)):
        steps = enforce_steps(messages, allowed, retries)
        live[i] = (steps, next(steps))
    while live:
        order = list(live)
        outs = generate_many([live[i][1] for i in order])
        for i, out in zip(order, outs, strict=True):
            made[i].append(out)
            steps = live.pop(i)[0]
            try:
                live[i] = (steps, steps.send(out if isinstance(out, str) else out.text))
            except StopIteration as done:
                results[i] = done.value
            except GroundedOutputError as exc:
                results[i] = exc
    return results, made


def lm_generate_fn(lm: Any, gen_cfg: Any, max_new_tokens: int | None = None) -> GenerateFn:
    """Adapt `supportbot.core.generation.generate` to a one-conversation → text function."""
    from supportbot.core.generation import generate

    def run(messages: Messages) -> str:
        return generate(lm, [messages], gen_cfg, max_new_tokens)[0].text

    return run

"""The prompt layout train, eval, chat and serve share: system turn, earlier turns, then the user turn with
any retrieved context placed before the question. A change here changes what all four feed the model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Messages = list[dict[str, str]]


def user_turn(question: str, context: str | None) -> str:
    """The user message: the context (when there is one) placed before the question."""
    if context and context.strip():
        return f"Context:\n{context.strip()}\n\nQuestion: {question.strip()}"
    return question.strip()


def prompt_messages(
    question: str, context: str | None, history: list[dict[str, str]] | None, system_prompt: str | None
) -> list[dict[str, str]]:
    """System prompt, earlier turns, then the user turn (what the model sees before answering)."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.extend({"role": t["role"], "content": t["content"]} for t in history or [])
    messages.append({"role": "user", "content": user_turn(question, context)})
    return messages


def example_system_prompt(inputs: Mapping[str, Any], default: str | None) -> str | None:
    """The example's own system prompt (`inputs.system`) when it has one, else the configured default."""
    own = inputs.get("system")
    return own if isinstance(own, str) and own.strip() else default


def build_messages(question: str, system_prompt: str | None, history: Messages | None = None) -> Messages:
    """System prompt, earlier turns, then the user's question."""
    messages: Messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.extend(history or [])
    messages.append({"role": "user", "content": question})
    return messages

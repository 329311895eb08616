"""Readers for multi-turn chats (OpenAI `messages`, ShareGPT `conversations`): one record per assistant turn."""

from __future__ import annotations

from typing import Any

from supportbot.data.readers.base import ReadContext, RecordError, split_meta

SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
}
OPENAI_ROLES = {"user": "user", "assistant": "assistant", "system": "system"}


def _turns(
    items: Any, field: str, role_key: str, text_key: str, roles: dict[str, str]
) -> list[tuple[str, str]]:
    if not isinstance(items, list) or not items:
        raise RecordError(f"'{field}' must be a non-empty list of turns")
    turns = []
    for i, turn in enumerate(items):
        if not isinstance(turn, dict):
            raise RecordError(f"{field}[{i}]: expected an object with '{role_key}' and '{text_key}'")
        role = roles.get(str(turn.get(role_key, "")).lower())
        if role is None:
            raise RecordError(f"{field}[{i}].{role_key}: unknown role {turn.get(role_key)!r}")
        text = turn.get(text_key)
        if not isinstance(text, str):
            raise RecordError(f"{field}[{i}].{text_key}: expected text, got {type(text).__name__}")
        turns.append((role, text))
    return turns


def dialog_records(
    turns: list[tuple[str, str]], conv_id: str, meta: dict[str, Any], ctx: ReadContext
) -> list[dict[str, Any]]:
    """Every assistant turn answering a user turn becomes a target; earlier turns become `inputs.history`."""
    system = [text for role, text in turns if role == "system"]
    if system and ctx.cfg.system_messages == "drop":
        ctx.count("system messages dropped", len(system))
    context = "\n\n".join(system) if system and ctx.cfg.system_messages == "context" else None
    dialog = [(role, text) for role, text in turns if role != "system"]
    meta = {**meta}
    meta.setdefault("group", conv_id)  # turns of one conversation never span splits
    records = []
    for k, (role, text) in enumerate(dialog):
        if role != "assistant" or k == 0 or dialog[k - 1][0] != "user":
            continue
        history = [{"role": r, "content": t} for r, t in dialog[: k - 1]]
        records.append(
            {
                "id": f"{conv_id}-t{len(records) + 1}",
                "inputs": {"question": dialog[k - 1][1], "context": context, "history": history},
                "outputs": {"answer": text},
                "meta": meta,
            }
        )
    if not records:
        raise RecordError("conversation has no assistant reply to a user message")
    return records


def map_openai(obj: dict[str, Any], ctx: ReadContext, line: int) -> list[dict[str, Any]]:
    """Map an OpenAI-style `{"messages": [{"role", "content"}], "meta"}` conversation."""
    if "messages" not in obj:
        raise RecordError("missing field 'messages'")
    turns = _turns(obj["messages"], "messages", "role", "content", OPENAI_ROLES)
    meta = {**(obj.get("meta") or {}), **split_meta(obj, {"id", "messages", "meta"})}
    return dialog_records(turns, str(obj.get("id", f"{ctx.stem}-L{line}")), meta, ctx)


def map_sharegpt(obj: dict[str, Any], ctx: ReadContext, line: int) -> list[dict[str, Any]]:
    """Map a ShareGPT-style `{"conversations": [{"from", "value"}], ...}` conversation."""
    if "conversations" not in obj:
        raise RecordError("missing field 'conversations'")
    turns = _turns(obj["conversations"], "conversations", "from", "value", SHAREGPT_ROLES)
    meta = {**(obj.get("meta") or {}), **split_meta(obj, {"id", "conversations", "meta"})}
    return dialog_records(turns, str(obj.get("id", f"{ctx.stem}-L{line}")), meta, ctx)

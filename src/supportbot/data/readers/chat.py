"""Readers for multi-turn chats (OpenAI `messages`, ShareGPT `conversations`): one record per assistant turn.

Real exports carry more than text turns: OpenAI content-part lists, the `developer` role, assistant tool calls
and `tool` results, ShareGPT role aliases (`chatgpt`, `bing`, `model`, ...) and LLaMA-Factory's
`function_call` / `observation` turns. Text parts are kept; a tool call and its result become context for the
assistant reply that follows them, counted in the summary, never a training target themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from supportbot.data.readers.base import ReadContext, RecordError, split_meta

SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "model": "assistant",
    "gpt-4": "assistant",
    "system": "system",
    "function_call": "tool_call",
    "tool_call": "tool_call",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
}
OPENAI_ROLES = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    "developer": "system",  # OpenAI's newer name for the system role
    "tool": "tool",
    "function": "tool",  # the legacy function-calling result turn
}
TEXT_PART_TYPES = {"text", "input_text", "output_text"}


@dataclass
class Turn:
    """One chat turn: `role` is user, assistant, system, tool_call (an assistant's call) or tool (a result)."""

    role: str
    text: str


def _role(roles: dict[str, str], value: Any, where: str) -> str:
    """Our role for an export's role name, else a RecordError listing the known names."""
    role = roles.get(str(value or "").lower())
    if role is None:
        raise RecordError(f"{where}: unknown role {value!r} (known: {', '.join(sorted(roles))})")
    return role


def _content_text(content: Any, where: str, ctx: ReadContext) -> str:
    """The text of an OpenAI `content`: a string, null, or a list of parts whose text parts are joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise RecordError(f"{where}: expected text or a list of content parts, got {type(content).__name__}")
    texts = []
    for j, part in enumerate(content):
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and part.get("type") in TEXT_PART_TYPES:
            if not isinstance(part.get("text"), str):
                raise RecordError(f"{where}[{j}].text: expected text, got {type(part.get('text')).__name__}")
            texts.append(part["text"])
        elif isinstance(part, dict):
            ctx.count(f"non-text content parts skipped ({part.get('type', 'untyped')})")
        else:
            raise RecordError(f"{where}[{j}]: expected a content part object, got {type(part).__name__}")
    return "\n".join(t for t in texts if t)


def _tool_calls_text(calls: Any, where: str) -> str:
    """`tool_calls` / `function_call` of an assistant turn as readable lines: `called name(arguments)`."""
    calls = calls if isinstance(calls, list) else [calls]
    lines = []
    for j, call in enumerate(calls):
        if not isinstance(call, dict):
            raise RecordError(f"{where}[{j}]: expected a tool call object, got {type(call).__name__}")
        fn = call.get("function", call)
        name = fn.get("name", "?") if isinstance(fn, dict) else "?"
        args = fn.get("arguments", "") if isinstance(fn, dict) else ""
        if not isinstance(args, str):
            args = json.dumps(args, ensure_ascii=False)
        lines.append(f"called {name}({args})")
    return "\n".join(lines)


def _openai_turns(items: Any, ctx: ReadContext) -> list[Turn]:
    if not isinstance(items, list) or not items:
        raise RecordError("'messages' must be a non-empty list of turns")
    turns = []
    for i, msg in enumerate(items):
        where = f"messages[{i}]"
        if not isinstance(msg, dict):
            raise RecordError(f"{where}: expected an object with 'role' and 'content'")
        role = _role(OPENAI_ROLES, msg.get("role"), f"{where}.role")
        text = _content_text(msg.get("content"), f"{where}.content", ctx)
        calls = msg.get("tool_calls") or msg.get("function_call")
        if role == "assistant" and calls:
            call_text = _tool_calls_text(calls, f"{where}.tool_calls")
            turns.append(Turn("tool_call", f"{text}\n{call_text}".strip()))
            continue
        if role == "tool":
            name = msg.get("name") or msg.get("tool_call_id") or "tool"
            text = f"{name} returned: {text}"
        elif role == "assistant" and not text.strip():
            raise RecordError(f"{where}.content: assistant turn has no text and no tool calls")
        turns.append(Turn(role, text))
    return turns


def _sharegpt_turns(items: Any) -> list[Turn]:
    if not isinstance(items, list) or not items:
        raise RecordError("'conversations' must be a non-empty list of turns")
    turns = []
    for i, turn in enumerate(items):
        if not isinstance(turn, dict):
            raise RecordError(f"conversations[{i}]: expected an object with 'from' and 'value'")
        role = _role(SHAREGPT_ROLES, turn.get("from"), f"conversations[{i}].from")
        text = turn.get("value")
        if not isinstance(text, str):
            raise RecordError(f"conversations[{i}].value: expected text, got {type(text).__name__}")
        if role == "tool_call":
            text = f"called {text}"
        elif role == "tool":
            text = f"tool returned: {text}"
        turns.append(Turn(role, text))
    return turns


def dialog_records(
    turns: list[Turn], conv_id: str, meta: dict[str, Any], ctx: ReadContext
) -> list[dict[str, Any]]:
    """Every assistant turn answering a user turn becomes a target; earlier turns become `inputs.history`.

    Tool calls and results since the user's message become the target's context (after any system text).
    """
    system = [t.text for t in turns if t.role == "system"]
    if system and ctx.cfg.system_messages == "drop":
        ctx.count("system messages dropped", len(system))
    system_context = "\n\n".join(system) if system and ctx.cfg.system_messages == "context" else None
    meta = {**meta}
    meta.setdefault("group", conv_id)  # turns of one conversation never span splits
    records: list[dict[str, Any]] = []
    dialog: list[Turn] = []  # user and assistant text turns, in order
    tools: list[str] = []  # tool calls and results since the last user turn
    for turn in turns:
        if turn.role == "system":
            continue
        if turn.role in ("tool_call", "tool"):
            tools.append(turn.text)
            ctx.count(
                "tool calls kept as context" if turn.role == "tool_call" else "tool results kept as context"
            )
            continue
        if turn.role == "user":
            tools = []
        elif dialog and dialog[-1].role == "user":
            context = "\n\n".join(p for p in (system_context, "\n".join(tools)) if p) or None
            records.append(
                {
                    "id": f"{conv_id}-t{len(records) + 1}",
                    "inputs": {
                        "question": dialog[-1].text,
                        "context": context,
                        "history": [{"role": t.role, "content": t.text} for t in dialog[:-1]],
                    },
                    "outputs": {"answer": turn.text},
                    "meta": meta,
                }
            )
            tools = []
        dialog.append(turn)
    if not records:
        raise RecordError("conversation has no assistant reply to a user message")
    return records


def map_openai(obj: dict[str, Any], ctx: ReadContext, pos: str) -> list[dict[str, Any]]:
    """Map an OpenAI-style `{"messages": [{"role", "content"}], "meta"}` conversation."""
    if "messages" not in obj:
        raise RecordError("missing field 'messages'")
    turns = _openai_turns(obj["messages"], ctx)
    meta = {**(obj.get("meta") or {}), **split_meta(obj, {"id", "messages", "meta"})}
    return dialog_records(turns, str(obj.get("id", f"{ctx.stem}-{pos}")), meta, ctx)


def map_sharegpt(obj: dict[str, Any], ctx: ReadContext, pos: str) -> list[dict[str, Any]]:
    """Map a ShareGPT-style `{"conversations": [{"from", "value"}], ...}` conversation."""
    if "conversations" not in obj:
        raise RecordError("missing field 'conversations'")
    turns = _sharegpt_turns(obj["conversations"])
    meta = {**(obj.get("meta") or {}), **split_meta(obj, {"id", "conversations", "meta"})}
    return dialog_records(turns, str(obj.get("id", f"{ctx.stem}-{pos}")), meta, ctx)

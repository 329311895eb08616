"""Terminal chat: one-shot `--question` or an interactive session, streaming tokens as they come."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from supportbot.core.config import GenerationConfig
from supportbot.core.generation import generate, stream
from supportbot.core.models import LoadedModel
from supportbot.core.prompt import Messages, build_messages, user_turn

HELP = (
    "Commands: /reset clears the conversation, /compare toggles base-vs-tuned side by side "
    "(or /compare QUESTION once), /exit quits."
)


def with_context(question: str, retriever: Any = None) -> str:
    """The user turn: the KB sentences retrieved for the question before it (when a retriever is set)."""
    if retriever is None:
        return question
    [ctx] = retriever.retrieve([question])
    return user_turn(question, ctx.merge(None))


def compare_answers(
    lm: LoadedModel, question: str, cfg: GenerationConfig, history: Messages
) -> tuple[str, str]:
    """(base answer, tuned answer) to one question: the same model with its LoRA adapter off, then on."""
    messages = build_messages(question, cfg.system_prompt, history)
    with lm.model.disable_adapter():
        base = generate(lm, [messages], cfg)[0].text
    tuned = generate(lm, [messages], cfg)[0].text
    return base, tuned


def show_comparison(
    lm: LoadedModel, question: str, cfg: GenerationConfig, history: Messages, console: Console
) -> str:
    """Print base and tuned answers side by side; return the tuned one."""
    from rich.table import Table

    with console.status("answering with the base and the tuned model…"):
        base, tuned = compare_answers(lm, question, cfg, history)
    table = Table(show_lines=True, expand=True)
    table.add_column(f"base: {lm.name}", ratio=1)
    table.add_column(f"tuned: {lm.adapter}", ratio=1)
    table.add_row(base, tuned)
    console.print(table)
    return tuned


def answer(lm: LoadedModel, question: str, cfg: GenerationConfig, history: Messages, console: Console) -> str:
    """Stream one answer to the console and return its text."""
    pieces = []
    messages = build_messages(question, cfg.system_prompt, history)
    for piece in stream(lm, messages, cfg):
        pieces.append(piece)
        console.print(piece, end="", markup=False, highlight=False, soft_wrap=True)
    console.print()
    return "".join(pieces).strip()


def run_chat(
    lm: LoadedModel, cfg: GenerationConfig, question: str | None = None, retriever: Any = None
) -> None:
    """Answer one question, or loop on user input until /exit or end of input.

    With a `retriever` (a ContextRetriever) every question is preceded by its retrieved KB sentences.
    """
    console = Console()
    history: Messages = []
    if question is not None:
        answer(lm, with_context(question, retriever), cfg, history, console)
        return
    label = lm.name + (f" + {lm.adapter}" if lm.adapter else "")
    console.print(f"[bold]supportbot chat[/bold] — {label}. {HELP}")
    comparing = False
    while True:
        try:
            text = console.input("[bold cyan]you>[/bold cyan] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not text:
            continue
        if text in ("/exit", "/quit"):
            return
        if text == "/reset":
            history.clear()
            console.print("[dim]conversation cleared[/dim]")
            continue
        if text.startswith("/compare"):
            if not lm.adapter:
                console.print(
                    "[yellow]/compare needs a tuned model: start with --adapter or --model runs/last[/yellow]"
                )
                continue
            once = text[len("/compare") :].strip()
            if not once:
                comparing = not comparing
                console.print(f"[dim]compare mode {'on' if comparing else 'off'}[/dim]")
                continue
            show_comparison(lm, with_context(once, retriever), cfg, history, console)
            continue
        if comparing:
            reply = show_comparison(lm, with_context(text, retriever), cfg, history, console)
            history += [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]
            continue
        console.print("[bold green]bot>[/bold green] ", end="")
        reply = answer(lm, with_context(text, retriever), cfg, history, console)
        history += [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]

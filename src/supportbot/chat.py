"""Terminal chat: one-shot `--question` or an interactive session, streaming tokens as they come."""

from __future__ import annotations

from rich.console import Console

from supportbot.config import GenerationConfig
from supportbot.generation import Messages, build_messages, stream
from supportbot.models import LoadedModel

HELP = "Commands: /reset clears the conversation, /exit quits."


def answer(lm: LoadedModel, question: str, cfg: GenerationConfig, history: Messages, console: Console) -> str:
    """Stream one answer to the console and return its text."""
    pieces = []
    for piece in stream(lm, build_messages(question, cfg.system_prompt, history), cfg):
        pieces.append(piece)
        console.print(piece, end="", markup=False, highlight=False, soft_wrap=True)
    console.print()
    return "".join(pieces).strip()


def run_chat(lm: LoadedModel, cfg: GenerationConfig, question: str | None = None) -> None:
    """Answer one question, or loop on user input until /exit or end of input."""
    console = Console()
    history: Messages = []
    if question is not None:
        answer(lm, question, cfg, history, console)
        return
    label = lm.name + (f" + {lm.adapter}" if lm.adapter else "")
    console.print(f"[bold]supportbot chat[/bold] — {label}. {HELP}")
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
        console.print("[bold green]bot>[/bold green] ", end="")
        reply = answer(lm, text, cfg, history, console)
        history += [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]

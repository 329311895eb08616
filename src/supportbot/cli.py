"""The supportbot command line: one verb per stage, each a few lines that call the stage."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from supportbot.data import cli as data_cli
from supportbot.errors import NotYetAvailableError, SupportbotError
from supportbot.eval import cli as eval_cli
from supportbot.serve import cli as serve_cli
from supportbot.train import cli as train_cli

app = typer.Typer(
    help="Turn a small open LLM into a local support assistant: prepare → train → eval → serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)
_state = {"debug": False}

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML recipe (configs/*.yaml).")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a config key: --set train.lr=1e-4")]


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False) -> None:
    _state["debug"] = debug


def _load(config: Path | None, overrides: list[str] | None):
    from supportbot.config import load_config

    return load_config(config, overrides or [])


@app.command()
def models(
    warm: Annotated[
        bool, typer.Option("--warm", help="Convert the embedded model into the cache now.")
    ] = False,
) -> None:
    """List the base-model registry."""
    from supportbot.models import cache_root, embedded_model_dir, embedded_tokenizer_dir, registry_rows

    if warm:
        with console.status("converting the embedded GGUF into the safetensors cache (once)…"):
            embedded_tokenizer_dir()
            embedded_model_dir()

    table = Table(title="supportbot models")
    for col in ("name", "status", "description"):
        table.add_column(col)
    for row in registry_rows():
        table.add_row(*row)
    console.print(table)
    console.print(f"cache: {cache_root()}  (set SUPPORTBOT_CACHE to move it)")


@app.command()
def chat(
    question: Annotated[
        str | None, typer.Option("--question", "-q", help="Answer one question and exit.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Registry name, HF id, local dir or run dir.")] = None,
    adapter: Annotated[str | None, typer.Option(help="LoRA adapter or run dir applied on the model.")] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Chat with a model in the terminal (streams tokens)."""
    from supportbot.chat import run_chat
    from supportbot.models import load_model

    cfg = _load(config, set_)
    name = model or cfg.model.name
    with console.status(f"loading {name}…"):
        lm = load_model(
            name, adapter=adapter or cfg.model.adapter, dtype=cfg.model.dtype, device=cfg.model.device
        )
    console.print(f"[dim]loaded {name} in {lm.load_seconds:.1f}s[/dim]", highlight=False)
    run_chat(lm, cfg.generation, question)


def _not_yet(stage: str, issue: str) -> None:
    raise NotYetAvailableError(f"`supportbot {stage}` is not yet available (tracked in the {issue} issue)")


# Each stage owns its verb(s) in <stage>/cli.py; registering them here keeps this file the table of contents.
_EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}
app.command(name="prepare")(data_cli.prepare_command)
app.command(name="train")(train_cli.train_command)
app.command(name="report")(train_cli.report_command)
app.command(name="eval")(eval_cli.eval_command)
app.command(name="serve")(serve_cli.serve_command)


@app.command(context_settings=_EXTRA)
def export() -> None:
    """Export an adapter to the registry, or a merged model."""
    _not_yet("export", "packaging")


def main() -> None:
    """Console entry point: user errors become one line and exit code 1 (tracebacks with --debug)."""
    try:
        app(standalone_mode=False)
    except SupportbotError as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        sys.exit(1)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()

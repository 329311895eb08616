"""The supportbot command line: one verb per stage, each a few lines that call the stage."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from supportbot.cli import data as data_cli
from supportbot.cli import eval as eval_cli
from supportbot.cli import grounded as grounded_cli
from supportbot.cli import retrieval as retrieval_cli
from supportbot.cli import review as review_cli
from supportbot.cli import serve as serve_cli
from supportbot.cli import train as train_cli
from supportbot.cli.options import ConfigOpt, SetOpt
from supportbot.core.errors import Interrupted, SupportbotError

app = typer.Typer(
    help="Turn a small open LLM into a local support assistant: prepare → train → eval → serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)
_state = {"debug": False}


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
    from supportbot.core.models import cache_root, embedded_model_dir, embedded_tokenizer_dir, registry_rows

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
    backend: Annotated[
        str | None,
        typer.Option("--backend", help="hf or llamacpp (model.backend; GGUF type: model.gguf.type)."),
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Chat with a model in the terminal (streams tokens)."""
    from supportbot.core.config import apply_flags
    from supportbot.core.runtime import load_runtime
    from supportbot.serve.chat import run_chat

    cfg = _load(config, set_)
    cfg.model = apply_flags(cfg.model, {"backend": backend}, {"backend": "backend"})
    name = model or cfg.model.name
    with console.status(f"loading {name}…"):
        lm = load_runtime(
            name,
            adapter=adapter or cfg.model.adapter,
            dtype=cfg.model.dtype,
            device=cfg.model.device,
            backend=cfg.model.backend,
            gguf=cfg.model.gguf,
        )
    console.print(f"[dim]loaded {name} in {lm.load_seconds:.1f}s[/dim]", highlight=False)
    run_chat(lm, cfg.generation, question, _trained_context_retriever(adapter or cfg.model.adapter or name))


def _trained_context_retriever(spec: str):  # type: ignore[no-untyped-def]
    """A retriever for the KB context the adapter was trained with (train.context), else None."""
    from supportbot.retrieval.context import ContextRetriever, trained_context

    ctx = trained_context(spec)
    if ctx is None:
        return None
    console.print(f"[dim]retrieving KB context from {ctx.index_dir} (as in training)[/dim]", highlight=False)
    return ContextRetriever(ctx)


# Each stage owns its verb(s) in <stage>/cli.py; registering them here keeps this file the table of contents.
app.command(name="prepare")(data_cli.prepare_command)
app.command(name="train")(train_cli.train_command)
app.command(name="report")(train_cli.report_command)
app.command(name="eval")(eval_cli.eval_command)
app.command(name="serve")(serve_cli.serve_command)
app.command(name="index")(retrieval_cli.index_command)
app.command(name="retrieval-eval")(retrieval_cli.retrieval_eval_command)
app.command(name="prepare-grounded")(grounded_cli.prepare_grounded_command)
app.command(name="review")(review_cli.review_command)
app.command(name="prepare-preferences")(review_cli.prepare_preferences_command)


@app.command()
def export(
    run: Annotated[Path, typer.Argument(help="Run dir (runs/<id>, runs/last) or adapter dir.")],
    version: Annotated[str, typer.Option(help="Version to record, e.g. v1.0.")],
    to: Annotated[Path | None, typer.Option("--to", help="Registry root (default ./registry).")] = None,
    name: Annotated[str, typer.Option(help="Registry name of this adapter.")] = "supportbot",
    merge: Annotated[bool, typer.Option(help="Also write a merged full model (no PEFT needed).")] = False,
    gguf: Annotated[
        bool,
        typer.Option(
            help="Also write gguf/: the base GGUF + the adapter as a GGUF LoRA (with --merge: one merged GGUF) "
            "and an Ollama Modelfile (needs `make setup-llamacpp`)."
        ),
    ] = False,
    gguf_type: Annotated[
        str | None,
        typer.Option(
            "--gguf-type",
            help="GGUF type of the base or merged model: f32, f16, bf16, q8_0, q4_0, q4_k_m, ... "
            "(default: the shipped GGUF for smollm2-135m, else f16).",
        ),
    ] = None,
    keep_last: Annotated[int | None, typer.Option(help="Keep only the newest N versions.")] = None,
    results: Annotated[
        Path, typer.Option("--results", help="Where `supportbot eval` wrote results (for the model card).")
    ] = Path("results"),
) -> None:
    """Export a run's best adapter with a model card into the registry."""
    from supportbot.ship.export import export_run

    entry = export_run(
        run,
        version,
        to,
        name=name,
        merge=merge,
        gguf=gguf,
        keep_last=keep_last,
        results_root=results,
        gguf_type=gguf_type,
    )
    root = to or Path("registry")
    console.print(
        f"exported [bold]{entry.name}@{entry.version}[/bold] → {root / entry.path}", highlight=False
    )
    if entry.merged_path:
        console.print(f"merged model → {root / entry.merged_path}", highlight=False)
    if entry.metrics:
        console.print(f"model card metrics: {results / entry.metrics['eval_id']}", highlight=False)
    else:
        console.print(f"no eval of this run under {results}/: the model card says it is not evaluated")


registry_app = typer.Typer(
    help="List, inspect, promote and roll back exported adapter versions.", no_args_is_help=True
)
app.add_typer(registry_app, name="registry")
RootOpt = Annotated[Path | None, typer.Option("--root", help="Registry root (default ./registry).")]


@registry_app.command("list")
def registry_list(name: Annotated[str | None, typer.Argument()] = None, root: RootOpt = None) -> None:
    """Every version, with production marked."""
    from supportbot.ship.registry import Registry

    reg = Registry(root)
    table = Table(title=f"registry {reg.root}")
    for col in ("name", "version", "created", "base model", "data hash", "production"):
        table.add_column(col)
    for e in reg.entries(name):
        prod = "✔" if reg.production(e.name) == e.version else ""
        table.add_row(e.name, e.version, e.created, e.base_model, (e.data_hash or "")[:12], prod)
    console.print(table)


@registry_app.command("show")
def registry_show(
    name: str, version: Annotated[str | None, typer.Argument()] = None, root: RootOpt = None
) -> None:
    """One version's record (default: production, else latest)."""
    import json
    from dataclasses import asdict

    from supportbot.ship.registry import Registry

    console.print_json(json.dumps(asdict(Registry(root).get(name, version))))


@registry_app.command("promote")
def registry_promote(name: str, version: str, root: RootOpt = None) -> None:
    """Make a version the production one."""
    from supportbot.ship.registry import Registry

    entry = Registry(root).promote(name, version)
    console.print(f"{entry.name}@{entry.version} is now production", highlight=False)


@registry_app.command("rollback")
def registry_rollback(name: str, root: RootOpt = None) -> None:
    """Restore the previous production version."""
    from supportbot.ship.registry import Registry

    entry = Registry(root).rollback(name)
    console.print(f"rolled back: {entry.name}@{entry.version} is production again", highlight=False)


_signal_seen: dict[str, int] = {}


def _on_sigterm(signum: int, frame: object) -> None:
    _signal_seen["signum"] = signum
    raise KeyboardInterrupt


def _bare_resume(argv: list[str]) -> list[str]:
    """`train --resume` with no value (last, or before another option) means the newest unfinished run."""
    if not argv or argv[0] != "train":
        return argv
    from supportbot.train.rundir import RESUME_NEWEST

    out = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg == "--resume" and (i + 1 == len(argv) or argv[i + 1].startswith("-")):
            out.append(RESUME_NEWEST)
    return out


def _exit_interrupted() -> None:
    signum = _signal_seen.get("signum", signal.SIGINT)
    err_console.print(f"interrupted ({signal.Signals(signum).name})", highlight=False)
    sys.exit(128 + signum)


def main() -> None:
    """Console entry point: user errors become one line and exit code 1 (tracebacks with --debug).

    An interrupt is never a success: SIGINT exits 130 and SIGTERM 143, so `prepare && train` stops.
    """
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        app(args=_bare_resume(sys.argv[1:]), standalone_mode=False)
    except Interrupted as exc:
        err_console.print(f"[bold yellow]interrupted:[/bold yellow] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except SupportbotError as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        sys.exit(1)
    except (KeyboardInterrupt, typer.Abort):
        _exit_interrupted()
    except OSError as exc:
        if _state["debug"] or not exc.filename:
            raise
        # An unwritable folder or unreadable file is the user's to fix: say which one, in one line.
        what = exc.strerror or type(exc).__name__
        err_console.print(f"[bold red]error:[/bold red] {escape(str(exc.filename))}: {what}", highlight=False)
        sys.exit(1)
    except Exception as exc:  # usage errors of click, or of the click that newer typer releases vendor
        if type(exc).__name__ == "Abort":
            _exit_interrupted()
        if type(exc).__name__ == "Exit" and hasattr(exc, "exit_code"):
            sys.exit(exc.exit_code)
        if callable(getattr(exc, "show", None)) and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()

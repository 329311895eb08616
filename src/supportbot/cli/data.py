"""CLI verb(s) of the data stage; imports stay light here, the work is imported inside the command."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from supportbot.cli.options import ConfigOpt, SetOpt


def prepare_command(
    input: Annotated[
        str | None, typer.Option("--input", "-i", help="A data file or folder (recursive).")
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Output folder for splits and manifest.")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="auto | canonical | openai | sharegpt | alpaca | csv")
    ] = None,
    strict: Annotated[
        bool | None, typer.Option("--strict/--no-strict", help="Any bad record is fatal.")
    ] = None,
    allow_bad_files: Annotated[
        bool | None,
        typer.Option(
            "--allow-bad-files/--no-allow-bad-files",
            help="Exit 0 when a whole file could not be read (it is still named in the quarantine).",
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Tokenizer for token stats ('none' to skip).")
    ] = None,
    eval_suite: Annotated[
        str | None,
        typer.Option("--eval-suite", help="Eval suite JSON kept out of the data ('none' to skip)."),
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Turn raw support data into clean, deduplicated, leakage-free splits."""
    from rich.console import Console

    from supportbot.config import load_config
    from supportbot.core.config import apply_flags
    from supportbot.data.pipeline import prepare

    cfg = load_config(config, set_ or [])
    flags: dict[str, Any] = {
        "input": input,
        "out": out,
        "format": format,
        "strict": strict,
        "allow_bad_files": allow_bad_files,
    }
    if model is not None:
        flags["stats_model"] = None if model.lower() == "none" else model
    if eval_suite is not None:
        flags["eval_suite"] = None if eval_suite.lower() == "none" else eval_suite
    prep = apply_flags(cfg.prepare, flags)
    console = Console()
    result = prepare(prep, console=console, progress=True)
    m = result.manifest
    counts = ", ".join(f"{name} {f['records']}" for name, f in m["files"].items())
    console.print(f"wrote {result.out}/ ({counts}; quarantine {m['quarantine']['records']})", highlight=False)
    console.print(f"dataset_hash {m['dataset_hash']}", highlight=False)
    bad = result.summary.bad_files
    if bad and not prep.allow_bad_files:
        from supportbot.core.errors import DataError

        names = "; ".join(f"{name} ({reason})" for name, reason in bad.items())
        raise DataError(
            f"{len(bad)} file(s) could not be read and are named in {result.out}/quarantine.jsonl: {names}. "
            "The other files' splits were written; fix the file(s) or pass --allow-bad-files"
        )

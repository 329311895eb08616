"""CLI verbs of the train stage (`train`, `report`); imports stay light here, the work is imported inside."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportbot.cli.options import ConfigOpt, SetOpt
from supportbot.core.errors import ConfigError


def train_command(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            help="Resume a run dir from its newest good checkpoint (no value: the newest unfinished run).",
        ),
    ] = None,
    allow_fallback: Annotated[
        bool,
        typer.Option("--allow-fallback", help="Without CUDA, train 4/8-bit recipes unquantised instead."),
    ] = False,
    sweep: Annotated[
        Path | None,
        typer.Option("--sweep", help="Run a grid (configs/sweep.yaml) and write a comparison table."),
    ] = None,
) -> None:
    """Fine-tune a base model with LoRA/QLoRA (one run dir per run under runs/, runs/last -> newest)."""
    if sweep is not None:
        if resume is not None:
            raise ConfigError("--sweep and --resume cannot be combined")
        from supportbot.config import SupportbotConfig
        from supportbot.train.sweep import run_sweep

        run_sweep(sweep, SupportbotConfig, overrides=set_ or [], allow_fallback=allow_fallback)
        return
    if config is None and resume is None and not set_:
        raise ConfigError("give a recipe with --config (e.g. configs/sft.yaml), or --resume RUN_DIR")
    from supportbot.config import load_recipe
    from supportbot.train.run import train

    train(load_recipe(config, set_ or []), resume=resume, allow_fallback=allow_fallback)


def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory, e.g. runs/last.")] = Path("runs/last"),
) -> None:
    """Plot a run's curves (loss, val loss, lr, grad norm) and summarise its convergence."""
    from supportbot.train.report import write_report

    report = write_report(run_dir)
    print(report.markdown)
    print(f"plots: {', '.join(str(p) for p in report.plots)}")
    print(f"report: {report.path}")

"""CLI verb(s) of the eval stage; imports stay light here, the work is imported inside the command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportbot.cli.options import ConfigOpt, SetOpt


def eval_command(
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Tuned model: run dir (runs/last), adapter dir, `registry:NAME@V`, base-model preset, HF id, "
            "local dir, or an OpenAI-compatible URL (http://host:port/v1).",
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Model to compare with (same kinds as --model); default: the tuned "
            "model's own base for a run/adapter dir; 'none' evaluates --model alone.",
        ),
    ] = None,
    suite: Annotated[str | None, typer.Option("--suite", help="Question suite JSON (eval.suite).")] = None,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="facts (key-fact coverage, default) | reference (similarity proxy) | llm (pairwise).",
        ),
    ] = None,
    rejudge: Annotated[
        Path | None,
        typer.Option(
            "--rejudge",
            help="Score the saved answers of this results dir with the current judge and config, into a new "
            "results dir (--out, default <dir>__rejudged-<judge>-<hash>); nothing is generated.",
        ),
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option("--judge-model", help="Judge for --judge llm: model spec or endpoint URL.")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="SUPPORTBOT_API_KEY",
            help="Key for endpoint models (or env).",
            show_envvar=True,
        ),
    ] = None,
    model_name: Annotated[
        str | None, typer.Option("--model-name", help="Model name sent to the --model endpoint.")
    ] = None,
    base_model_name: Annotated[
        str | None, typer.Option("--base-model-name", help="Model name sent to the --base endpoint.")
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", help="Results dir (default results/<eval-id>, resumable).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N questions.")] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Discard earlier answers in the results dir.")
    ] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Hide progress bars.")] = False,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="Runtime of local models: hf or llamacpp (model.backend; GGUF type: model.gguf.type).",
        ),
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Evaluate a tuned model against its base on a question suite: win rate, hallucination, slices, report.

    A grounded suite (requests with `user_state`, e.g. eval/suites/grounded_100.json) is answered through
    retrieval + JSON enforcement instead and reports JSON correctness, citation hallucination/precision
    and latency per slice (docs/grounded.md).
    """
    from rich.console import Console

    from supportbot.config import load_config
    from supportbot.core.config import apply_flags
    from supportbot.eval.pipeline import EvalRequest, run_eval
    from supportbot.eval.report import print_summary
    from supportbot.eval.runner import api_key_from

    cfg = load_config(config, list(set_ or []))
    cfg.eval = apply_flags(cfg.eval, {"suite": suite, "judge": judge, "limit": limit})
    cfg.model = apply_flags(cfg.model, {"backend": backend}, {"backend": "backend"})
    console = Console()
    if rejudge is not None:
        from supportbot.eval.pipeline import rejudge as rejudge_results

        out_dir, metrics = rejudge_results(cfg, rejudge, out)
        print_summary(metrics, console)
        console.print(
            f"results: {out_dir}/  (report.md, metrics.json, metrics.csv, slices.png)", highlight=False
        )
        return
    req = EvalRequest(
        model=model or cfg.model.adapter or cfg.model.name,
        base=base,
        judge_model=judge_model,
        api_key=api_key_from(api_key, "OPENAI_API_KEY"),
        model_name=model_name,
        base_model_name=base_model_name,
        out=out,
        fresh=fresh,
        progress=not no_progress,
    )
    out_dir, metrics = run_eval(cfg, req)
    if metrics.get("mode") == "grounded":
        from supportbot.eval.grounded_report import print_grounded_summary

        print_grounded_summary(metrics, console)
    else:
        print_summary(metrics, console)
    files = "report.md, metrics.json, metrics.csv" + (
        "" if metrics.get("mode") == "grounded" else ", slices.png"
    )
    console.print(f"results: {out_dir}/  ({files})", highlight=False)

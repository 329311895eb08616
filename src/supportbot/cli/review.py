"""CLI verbs of the review stage: `supportbot review` and `supportbot prepare-preferences`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportbot.cli.options import ConfigOpt, SetOpt


def build_review_app(results: Path, cfg: object) -> object:
    """The review app of a results dir with the config's reviewer, KB and serve's API keys."""
    from supportbot.review.agreement import update_eval_report
    from supportbot.review.app import create_review_app
    from supportbot.review.pairs import load_pairs
    from supportbot.serve.auth import load_keys

    eval_id, pairs = load_pairs(results, cfg.review.kb_dir or cfg.eval.kb_dir)
    update_eval_report(results, pairs, cfg.eval.examples)  # labels from an earlier session are in the report
    return create_review_app(
        results, eval_id, pairs, cfg.review.reviewer, load_keys(cfg.serve), cfg.eval.examples
    )


def review_command(
    results: Annotated[Path, typer.Argument(help="A finished eval results dir (results/<eval-id>).")],
    reviewer: Annotated[str | None, typer.Option(help="Your name, stored with each verdict.")] = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8100).")] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Review answers blind in a browser (A/B/tie/both wrong, notes, corrections) into human.jsonl."""
    import uvicorn

    from supportbot.config import load_config
    from supportbot.serve.auth import check_bind, load_keys

    overrides = list(set_ or [])
    for key, value in (("review.reviewer", reviewer), ("review.host", host), ("review.port", port)):
        if value is not None:
            overrides.append(f"{key}={value}")
    cfg = load_config(config, overrides)
    check_bind(cfg.review.host, load_keys(cfg.serve))
    app = build_review_app(results, cfg)
    typer.echo(f"review {results} at http://{cfg.review.host}:{cfg.review.port}/ as {cfg.review.reviewer}")
    uvicorn.run(app, host=cfg.review.host, port=cfg.review.port, log_level="warning")


def prepare_preferences_command(
    results: Annotated[
        list[Path] | None, typer.Option("--results", help="An eval results dir (repeatable).")
    ] = None,
    feedback: Annotated[
        list[Path] | None, typer.Option("--feedback", help="A feedback file of `serve` (repeatable).")
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Output folder (default data/preferences).")
    ] = None,
    judge_margin: Annotated[
        str | None, typer.Option(help="Judge score margin for a judge pair ('none': no judge pairs).")
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Turn human verdicts, corrected feedback and confident judge verdicts into DPO pairs."""
    from supportbot.config import load_config
    from supportbot.review.preferences import prepare_preferences

    cfg = load_config(config, list(set_ or []))
    prefs = cfg.preferences
    update: dict[str, object] = {}
    if results:
        update["results"] = [str(r) for r in results]
    if feedback:
        update["feedback"] = [str(f) for f in feedback]
    if out is not None:
        update["out"] = out
    if judge_margin is not None:
        update["judge_margin"] = None if judge_margin.lower() == "none" else float(judge_margin)
    prefs = prefs.model_validate({**prefs.model_dump(), **update})
    result = prepare_preferences(prefs)
    m = result.manifest
    typer.echo(
        f"wrote {result.out}/ (train {m['files']['train.jsonl']['pairs']}, val {m['files']['val.jsonl']['pairs']} "
        f"pairs; quarantine {m['quarantine']['pairs']}, of which eval-suite leaks {m['quarantine']['eval_suite_leaks']})"
    )
    typer.echo(f"by source: {m['pairs']['by_source']}; skipped: {m['skipped'] or 'none'}")
    typer.echo(f"dataset_hash {m['dataset_hash']}")

"""CLI verb of grounded mode (`supportbot prepare-grounded`); imports stay light, the work is imported inside."""

from __future__ import annotations

from typing import Annotated

import typer

from supportbot.cli.options import ConfigOpt, SetOpt


def prepare_grounded_command(
    kb: Annotated[str | None, typer.Option("--kb", help="Knowledge-base folder (retrieval.kb_dir).")] = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Output folder (grounded.out_dir).")] = None,
    index: Annotated[
        str | None,
        typer.Option("--index", help="Index folder (retrieval.index_dir); built there if missing or stale."),
    ] = None,
    records: Annotated[
        str | None,
        typer.Option(
            "--records", help="Hand-written grounded records (JSON suite or JSONL) instead of generated."
        ),
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", help="Chunks per example context (default retrieval.top_k).")
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Build grounded (RAFT) train/val splits from a knowledge base for `supportbot train`."""
    import time

    from rich.console import Console

    from supportbot.config import load_config
    from supportbot.grounded.prepare import prepare_grounded
    from supportbot.retrieval.index import open_index

    overrides = list(set_ or [])
    if records is not None:
        overrides.append(f"grounded.records={records}")
    if k is not None:
        overrides.append(f"grounded.k={k}")
    cfg = load_config(config, overrides)
    kb_dir, index_dir = kb or cfg.retrieval.kb_dir, index or cfg.retrieval.index_dir
    console = Console(soft_wrap=True)
    started = time.perf_counter()
    with console.status(f"opening the index {index_dir} …"):
        idx, how = open_index(index_dir, kb_dir, build=True, cfg=cfg.retrieval)
    if how != "loaded":
        console.print(f"{how} the index {index_dir} from {kb_dir}", highlight=False)
    kk = cfg.grounded.k or cfg.retrieval.top_k
    with console.status("building grounded records and RAFT contexts …"):
        result = prepare_grounded(idx, cfg.grounded, kk, out or cfg.grounded.out_dir, kb_dir)
    m = result.manifest
    st = m["stats"]
    console.print(
        f"wrote {result.out}/ (train {m['files']['train']['records']}, val {m['files']['val']['records']}; "
        f"k={kk}, gold in context {st['train']['gold_in_context']}/{st['train']['examples']} train; "
        f"{m['leakage']['dropped']} record(s) dropped as eval leaks) in {time.perf_counter() - started:.1f}s",
        highlight=False,
    )
    console.print(f"dataset_hash {m['dataset_hash']}", highlight=False)

"""CLI verbs of the retrieval stage (`supportbot index`); imports stay light, the work is imported inside."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def index_command(
    kb: Annotated[
        str | None, typer.Option("--kb", help="Knowledge-base folder of .md/.txt articles.")
    ] = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Output folder for the index.")] = None,
    eval_suite: Annotated[
        list[str] | None,
        typer.Option("--eval", help="Suite JSON to measure recall@k/MRR on after building (repeatable)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML recipe (configs/*.yaml).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config key: --set retrieval.chunk_size=200")
    ] = None,
) -> None:
    """Chunk a knowledge base and build the hybrid (BM25 + dense) search index."""
    import time

    from rich.console import Console

    from supportbot.retrieval.config import load_retrieval_config
    from supportbot.retrieval.index import HybridIndex

    cfg = load_retrieval_config(config, set_ or [])
    kb_dir, out_dir = kb or cfg.kb_dir, out or cfg.index_dir
    console = Console(soft_wrap=True)
    started = time.perf_counter()
    with console.status(f"chunking and embedding {kb_dir} …"):
        index = HybridIndex.build(kb_dir, cfg, progress=False)
    index.save(out_dir)
    m = index.manifest
    console.print(
        f"wrote {out_dir}/ ({m['articles']} articles, {m['chunks']} chunks, {m['embedding_model']}, "
        f"kb_hash {m['kb_hash']}) in {time.perf_counter() - started:.1f}s",
        highlight=False,
    )
    for suite in eval_suite or []:
        _report(console, index, suite, cfg.top_k)


def retrieval_eval_command(
    suite: Annotated[list[str], typer.Argument(help="Suite JSON file(s) with gold kb ids.")],
    index: Annotated[str, typer.Option("--index", help="Index folder.")] = "indexes/sample",
    k: Annotated[int, typer.Option("--k", help="Cut-off for recall@k and MRR@k.")] = 5,
    show_misses: Annotated[bool, typer.Option("--misses", help="List the questions missed.")] = False,
) -> None:
    """Measure article-level recall@k and MRR of an index on eval suites."""
    from rich.console import Console

    from supportbot.retrieval.index import HybridIndex

    console = Console(soft_wrap=True)
    idx = HybridIndex.load(index)
    for s in suite:
        _report(console, idx, s, k, show_misses)


def _report(console, index, suite: str, k: int, show_misses: bool = False) -> None:  # type: ignore[no-untyped-def]
    from supportbot.retrieval.evaluate import evaluate_retrieval, load_questions

    r = evaluate_retrieval(index, load_questions(suite), k)
    console.print(
        f"{suite}: {r['questions']} questions  recall@{k} {r[f'recall@{k}']:.3f}  mrr@{k} {r[f'mrr@{k}']:.3f}  "
        f"recall@1 {r['recall@1']:.3f}"
        + (f"  chunk_recall@{k} {r[f'chunk_recall@{k}']:.3f}" if f"chunk_recall@{k}" in r else ""),
        highlight=False,
    )
    if show_misses:
        for miss in r["misses"]:
            console.print(
                f"  miss {miss['id']}: {miss['query']!r} gold {miss['gold']} got {miss['got']}",
                highlight=False,
            )

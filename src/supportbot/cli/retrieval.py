"""CLI verbs of the retrieval stage (`supportbot index`); imports stay light, the work is imported inside."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportbot.cli.options import ConfigOpt, SetOpt


def index_command(
    kb: Annotated[
        str | None, typer.Option("--kb", help="Knowledge-base folder of .md/.txt articles.")
    ] = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Output folder for the index.")] = None,
    eval_suite: Annotated[
        list[str] | None,
        typer.Option("--eval", help="Suite JSON to measure recall@k/MRR on after building (repeatable)."),
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Chunk a knowledge base and build the hybrid (BM25 + dense) search index."""
    import time

    from rich.console import Console

    from supportbot.config import load_config
    from supportbot.retrieval.index import HybridIndex

    cfg = load_config(config, set_ or []).retrieval
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
    context: Annotated[
        list[str] | None,
        typer.Option(
            "--context",
            help="Also measure the prompt context of this setting, K:N = k chunks, their N best sentences "
            "(K:all = whole chunks); repeatable. Support suites only (question + reference_answer + kb_ids).",
        ),
    ] = None,
    kb: Annotated[str, typer.Option("--kb", help="KB folder, for --context.")] = "data/sample/kb",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the --context measures to this JSON file.")
    ] = None,
) -> None:
    """Measure article-level recall@k and MRR of an index on eval suites (and, with --context, its contexts)."""
    from rich.console import Console

    from supportbot.eval.context_quality import parse_setting
    from supportbot.retrieval.index import HybridIndex

    try:
        settings = [parse_setting(c) for c in context or []]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--context") from None
    console = Console(soft_wrap=True)
    idx = HybridIndex.load(index)
    records: list[dict] = []
    for s in suite:
        _report(console, idx, s, k, show_misses)
        if settings:
            records += _context_report(console, idx, s, kb, settings)
    if json_out is not None and records:
        import json

        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}", highlight=False)


def _context_report(
    console, index, suite: str, kb_dir: str, settings: list[tuple[int, int | None]]
) -> list[dict]:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from supportbot.core.suites import load_kb, load_suite
    from supportbot.eval.context_quality import measure_context
    from supportbot.retrieval.config import ContextConfig

    questions, kb = load_suite(suite).questions, load_kb(kb_dir)
    table = Table(title=f"prompt context on {suite}")
    for col in ("k:sentences", "passages", "words", "gold share", "off-article prompts", "ref. coverage"):
        table.add_column(col, justify="right")
    records = []
    for k, n in settings:
        q = measure_context(index, ContextConfig(k=k, max_sentences=n, kb_dir=None), questions, kb)
        table.add_row(
            f"{k}:{n or 'all'}",
            f"{q.passages_per_question:.1f}",
            f"{q.words_per_question:.0f}",
            f"{q.gold_share:.0%}",
            f"{q.off_article_prompts:.0%}",
            f"{q.reference_coverage:.0%}",
        )
        records.append({"suite": suite, **q.to_dict()})
    console.print(table)
    return records


def _report(console, index, suite: str, k: int, show_misses: bool = False) -> None:  # type: ignore[no-untyped-def]
    from supportbot.eval.retrieval import evaluate_retrieval, load_questions

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

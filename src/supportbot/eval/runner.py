"""Deterministic, batched, resumable answering: one answers.jsonl line per (model, question), appended as it goes."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportbot.core.config import GenerationConfig
from supportbot.core.errors import DataError
from supportbot.core.generation import Generation
from supportbot.core.prompt import Messages, build_messages, user_turn
from supportbot.core.spec import is_endpoint
from supportbot.core.suites import Question
from supportbot.eval.endpoint import EndpointClient

GenerateFn = Callable[[list[Messages], GenerationConfig, int | None], list[Generation]]


@dataclass
class Answerer:
    """Something that answers batches of conversations: a local model (optionally adapter-off) or an endpoint."""

    label: str  # "tuned" | "base"
    spec: str  # what the user passed (--model / --base)
    kind: str  # "local" | "endpoint"
    device: str  # "cpu" | "cuda" | ... | "endpoint"
    generate_fn: GenerateFn
    context: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
    info: dict[str, Any] = field(default_factory=dict)
    lm: Any = None  # the loaded model, for local answerers

    def generate(
        self, batch: list[Messages], cfg: GenerationConfig, max_new_tokens: int | None
    ) -> list[Generation]:
        """Answer one batch inside this answerer's context (e.g. with the adapter disabled)."""
        with self.context():
            return self.generate_fn(batch, cfg, max_new_tokens)


def local_answerer(label: str, spec: str, lm: Any, adapter_off: bool = False) -> Answerer:
    """An answerer over a loaded model; `adapter_off` answers as the base via PEFT's disable_adapter()."""
    from supportbot.core.generation import generate

    def fn(batch: list[Messages], cfg: GenerationConfig, max_new: int | None) -> list[Generation]:
        import torch

        torch.manual_seed(cfg.seed)
        return generate(lm, batch, cfg, max_new)

    context = lm.model.disable_adapter if adapter_off else contextlib.nullcontext
    info = {"name": lm.name, "adapter": None if adapter_off else lm.adapter, "load_seconds": lm.load_seconds}
    device = str(lm.device.type)
    if "gguf" in lm.extra:  # the llama.cpp runtime: say which GGUF answered
        device += f", llama.cpp {Path(lm.extra['gguf']).name}"
    return Answerer(label, spec, "local", device, fn, context, info, lm)


def endpoint_answerer(label: str, client: Any) -> Answerer:
    """An answerer over an OpenAI-compatible endpoint client."""
    info = {"name": client.model_name, "url": client.base_url}
    return Answerer(label, client.base_url, "endpoint", "endpoint", client.generate, info=info)


def _repair_tail(path: Path) -> None:
    """Drop a half-written last line (a crash mid-write) so appends start on a fresh line."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return
    cut = data.rfind(b"\n") + 1
    with path.open("r+b") as f:
        f.truncate(cut)


def read_answers(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Rows of an answers.jsonl keyed by (model label, question id); a corrupt last line is ignored."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    if not path.is_file():
        return rows
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key = (row["model"], row["id"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            if n == len(lines):  # interrupted while writing: that answer is simply redone
                break
            raise DataError(
                f"{path} line {n}: not an answer row ({exc}); delete the file to start over"
            ) from exc
        rows[key] = row
    return rows


def append_answers(
    answerer: Answerer,
    items: list[Any],
    path: Path,
    batch_size: int,
    progress: bool,
    answer_batch: Callable[[list[Any]], list[dict[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """The resumable answer loop of every eval mode: answer the items (anything with an `id`) not yet in
    `path` for this answerer, appending one row per item as each batch finishes (fsynced).

    Batches are cut at fixed suite positions, so a run resumed after a crash regenerates exactly the
    batches it lost. `answer_batch` returns one row per item; the loop adds the model, id, device and time.
    Returns this answerer's rows keyed by item id (old and new).
    """
    from tqdm.auto import tqdm

    path.parent.mkdir(parents=True, exist_ok=True)
    _repair_tail(path)
    done = {qid for (label, qid) in read_answers(path) if label == answerer.label}
    todo_total = sum(q.id not in done for q in items)
    bar = tqdm(
        total=len(items),
        initial=len(items) - todo_total,
        desc=f"answering ({answerer.label})",
        unit="q",
        disable=not progress,
        dynamic_ncols=True,
    )
    with bar, path.open("a", encoding="utf-8") as out:
        for start in range(0, len(items), batch_size):
            batch = [q for q in items[start : start + batch_size] if q.id not in done]
            if not batch:
                continue
            rows = answer_batch(batch)
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
            for q, row in zip(batch, rows, strict=True):
                head = {"model": answerer.label, "model_spec": answerer.spec, "id": q.id}
                tail = {"device": answerer.device, "answered_at": stamp}
                out.write(json.dumps({**head, **row, **tail}, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
            bar.update(len(batch))
    rows = read_answers(path)
    return {q.id: rows[(answerer.label, q.id)] for q in items if (answerer.label, q.id) in rows}


def answer_suite(
    answerer: Answerer,
    questions: list[Question],
    gen_cfg: GenerationConfig,
    path: Path,
    batch_size: int = 8,
    max_new_tokens: int | None = None,
    progress: bool = True,
    contexts: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Answer a support suite (resumably, see append_answers); `contexts` (question id -> RetrievedContext)
    puts retrieved KB chunks before each question."""

    def answer_batch(batch: list[Question]) -> list[dict[str, Any]]:
        ctx = [contexts.get(q.id) if contexts else None for q in batch]
        messages = [
            build_messages(user_turn(q.question, c.merge(None) if c else None), gen_cfg.system_prompt)
            for q, c in zip(batch, ctx, strict=True)
        ]
        gens = answerer.generate(messages, gen_cfg, max_new_tokens)
        rows = []
        for q, g, c in zip(batch, gens, ctx, strict=True):
            row = {
                "question": q.question,
                "answer": g.text,
                "tokens_in": g.tokens_in,
                "tokens_out": g.tokens_out,
                "latency_s": round(g.latency_s, 4),
                "batch_size": len(batch) if answerer.kind == "local" else 1,
                "finish_reason": g.finish_reason,
            }
            if c is not None:
                row["context_chunk_ids"] = c.chunk_ids
            rows.append(row)
        return rows

    return append_answers(answerer, questions, path, batch_size, progress, answer_batch)


def make_answerer(
    label: str, spec: str, cfg: Any, model_name: str | None, api_key: str | None, reuse: Any = None
) -> Answerer:
    """Load a local model (or reuse one with its adapter off) or connect to an endpoint."""
    if is_endpoint(spec):
        client = EndpointClient(spec, model_name, api_key, cfg.eval.endpoint_timeout_s, cfg.eval.batch_size)
        return endpoint_answerer(label, client)
    if reuse is not None:
        return local_answerer(label, spec, reuse, adapter_off=True)
    from supportbot.core.runtime import load_runtime

    lm = load_runtime(
        spec, dtype=cfg.model.dtype, device=cfg.model.device, backend=cfg.model.backend, gguf=cfg.model.gguf
    )
    return local_answerer(label, spec, lm)


def api_key_from(option: str | None, env_name: str) -> str | None:
    """The endpoint key: the option, else the named environment variable."""
    return option or os.environ.get(env_name) or None

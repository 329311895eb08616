"""Training data: read the prepared splits (with errors naming file, line and field), render, collate."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from supportbot.core.errors import DataError
from supportbot.data.render import IGNORE_INDEX, PackedRow, Rendered, RenderStats, pack, render_examples

SPLITS = ("train", "val")


def read_split(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Read a prepared JSONL split, checking the fields training needs."""
    if not path.is_file():
        raise DataError(f"{path}: split not found (run `supportbot prepare` first, or set train.data_dir)")
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
            _check_row(row, path, n)
            rows.append(row)
            if limit and len(rows) >= limit:
                break
    if not rows:
        raise DataError(f"{path}: no examples")
    return rows


def _check_row(row: Any, path: Path, n: int) -> None:
    where = f"{path}:{n}"
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected a JSON object")
    inputs, outputs = row.get("inputs"), row.get("outputs")
    if not isinstance(inputs, dict) or not isinstance(inputs.get("question"), str) or not inputs["question"]:
        raise DataError(f"{where}: field 'inputs.question' must be a non-empty string")
    for key in ("context", "system"):
        if inputs.get(key) is not None and not isinstance(inputs[key], str):
            raise DataError(f"{where}: field 'inputs.{key}' must be a string or null")
    for t in inputs.get("history") or []:
        if not isinstance(t, dict) or t.get("role") not in ("user", "assistant") or "content" not in t:
            raise DataError(f"{where}: field 'inputs.history' turns need role user|assistant and content")
    if not isinstance(outputs, dict) or not isinstance(outputs.get("answer"), str) or not outputs["answer"]:
        raise DataError(f"{where}: field 'outputs.answer' must be a non-empty string")


def data_fingerprint(data_dir: Path) -> dict[str, Any]:
    """The manifest's dataset hash (or, without a manifest, sha256 of the split files)."""
    manifest = data_dir / "manifest.json"
    if manifest.is_file():
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{manifest}: not valid JSON ({exc.msg})") from exc
        return {"manifest": str(manifest), "dataset_hash": m.get("dataset_hash")}
    h = hashlib.sha256()
    for split in SPLITS:
        p = data_dir / f"{split}.jsonl"
        if p.is_file():
            h.update(p.read_bytes())
    return {"manifest": None, "dataset_hash": "sha256:" + h.hexdigest()}


class TokenDataset(torch.utils.data.Dataset):
    """Rendered (or packed) rows as a map-style dataset of dicts."""

    def __init__(self, rows: list[Rendered] | list[PackedRow]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        r = self.rows[i]
        item = {"input_ids": r.input_ids, "labels": r.labels}
        if isinstance(r, PackedRow):
            item["position_ids"] = r.position_ids
        return item

    def lengths(self) -> list[int]:
        """Row lengths (for length-grouped sampling)."""
        return [len(r.input_ids) for r in self.rows]


@dataclass
class Collator:
    """Right-pad a batch; padded rows get an attention mask, packed rows (with position_ids) no mask.

    Adds `num_real_tokens` (non-padding tokens) which the trainer pops before the forward pass.
    """

    pad_token_id: int

    def __call__(self, items: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        packed = "position_ids" in items[0]
        width = max(len(it["input_ids"]) for it in items)
        ids, labels, extra = [], [], []
        real = 0
        for it in items:
            n = len(it["input_ids"])
            pad = width - n
            real += n
            ids.append(it["input_ids"] + [self.pad_token_id] * pad)
            labels.append(it["labels"] + [IGNORE_INDEX] * pad)
            if packed:  # the pad tail is its own segment (positions restart), so nothing attends to it
                extra.append(it["position_ids"] + list(range(pad)))
            else:
                extra.append([1] * n + [0] * pad)
        batch = {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels)}
        batch["position_ids" if packed else "attention_mask"] = torch.tensor(extra)
        batch["num_real_tokens"] = torch.tensor(real)
        return batch


@dataclass
class TrainData:
    """Everything the recipe needs from the data side."""

    train: TokenDataset
    val: TokenDataset
    val_examples: list[dict[str, Any]]
    stats: dict[str, dict[str, Any]]
    fingerprint: dict[str, Any]


def build_datasets(
    data_dir: Path,
    tokenizer: Any,
    system_prompt: str | None,
    max_length: int,
    packing: bool,
    max_train: int | None = None,
    max_val: int | None = None,
    context: Any = None,
) -> TrainData:
    """Read train/val, render with the chat template, optionally pack the train split.

    With a `ContextConfig` as `context`, each example's question gets its retrieved KB chunks as context.
    """
    if not data_dir.is_dir():
        raise DataError(f"data dir not found: {data_dir} (run `supportbot prepare` or set train.data_dir)")
    train_rows = read_split(data_dir / "train.jsonl", max_train)
    val_rows = read_split(data_dir / "val.jsonl", max_val)
    if context is not None:
        from supportbot.retrieval.context import ContextRetriever

        retriever = ContextRetriever(context)
        train_rows, val_rows = retriever.attach(train_rows, oracle=True), retriever.attach(val_rows)
    train, train_stats = render_examples(train_rows, tokenizer, system_prompt, max_length)
    val, val_stats = render_examples(val_rows, tokenizer, system_prompt, max_length)
    for name, rows in (("train", train), ("val", val)):
        if not rows:
            raise DataError(
                f"{data_dir / (name + '.jsonl')}: every example is longer than max_length={max_length}"
            )
    stats = {"train": _summary(train, train_stats), "val": _summary(val, val_stats)}
    train_ds = TokenDataset(pack(train, max_length) if packing else train)
    stats["train"]["rows"] = len(train_ds)
    return TrainData(train_ds, TokenDataset(val), val_rows, stats, data_fingerprint(data_dir))


def _summary(rows: list[Rendered], st: RenderStats) -> dict[str, Any]:
    lengths = [len(r.input_ids) for r in rows]
    return {
        **st.as_dict(),
        "tokens": sum(lengths),
        "answer_tokens": sum(r.num_labels for r in rows),
        "max_len": max(lengths),
        "mean_len": round(sum(lengths) / len(lengths), 1),
    }

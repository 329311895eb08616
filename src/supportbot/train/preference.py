"""Preference tuning (DPO, ORPO, KTO) with TRL's trainers, on the pairs `supportbot prepare-preferences` writes.

A pair's prompt is built exactly as SFT builds it (`data.render.prompt_messages`: the configured system prompt,
earlier turns, then the question with its retrieved context when `train.context` is set), and TRL renders it with
the tokenizer's chat template, so the preference step sees the prompts SFT and inference see.

With `train.init_adapter` (the usual recipe: DPO on top of an SFT run) the adapter is loaded twice: once
trainable ("default", the policy) and once frozen ("reference"), so DPO's reference is the SFT model, not the
bare base. The saved adapter is a plain PEFT adapter on the base model, like an SFT run's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core.errors import ConfigError, DataError

REFERENCE_ADAPTER = "reference"
PREFERENCE_OBJECTIVES = ("dpo", "orpo", "kto")


def _check_pair(row: Any, where: str) -> None:
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected a JSON object")
    inputs = row.get("inputs")
    if not isinstance(inputs, dict) or not isinstance(inputs.get("question"), str) or not inputs["question"]:
        raise DataError(f"{where}: field 'inputs.question' must be a non-empty string")
    if inputs.get("context") is not None and not isinstance(inputs["context"], str):
        raise DataError(f"{where}: field 'inputs.context' must be a string or null")
    for key in ("chosen", "rejected"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise DataError(f"{where}: field '{key}' must be a non-empty string")
    if row["chosen"].strip() == row["rejected"].strip():
        raise DataError(f"{where}: 'chosen' and 'rejected' are the same text")


def read_pairs(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Read a preference split (JSONL of {inputs, chosen, rejected}), naming the line of any bad row."""
    if not path.is_file():
        raise DataError(
            f"{path}: preference split not found (run `supportbot prepare-preferences`, or set train.data_dir)"
        )
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
            _check_pair(row, f"{path}:{n}")
            rows.append(row)
            if limit and len(rows) >= limit:
                break
    if not rows:
        raise DataError(f"{path}: no preference pairs")
    return rows


def conversational(row: dict[str, Any], system_prompt: str | None) -> dict[str, Any]:
    """One pair in TRL's conversational preference format, its prompt built as SFT builds it."""
    from supportbot.core.prompt import example_system_prompt, prompt_messages

    i = row["inputs"]
    prompt = prompt_messages(
        i["question"], i.get("context"), i.get("history"), example_system_prompt(i, system_prompt)
    )
    return {
        "prompt": prompt,
        "chosen": [{"role": "assistant", "content": row["chosen"].strip()}],
        "rejected": [{"role": "assistant", "content": row["rejected"].strip()}],
    }


def unpaired(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """KTO's unpaired format: each pair gives a desirable and an undesirable completion of its prompt."""
    out = []
    for r in rows:
        out.append({"prompt": r["prompt"], "completion": r["chosen"], "label": True})
        out.append({"prompt": r["prompt"], "completion": r["rejected"], "label": False})
    return out


@dataclass
class PreferenceData:
    """Train/val datasets in TRL's format, with counts and the data fingerprint for run.json."""

    train: Any
    val: Any
    val_rows: list[dict[str, Any]]
    stats: dict[str, dict[str, Any]]
    fingerprint: dict[str, Any]


def build_preference_datasets(
    data_dir: Path,
    system_prompt: str | None,
    objective: str,
    max_train: int | None = None,
    max_val: int | None = None,
    context: Any = None,
) -> PreferenceData:
    """Read the preference splits, attach retrieved context like SFT does, and convert to TRL's format."""
    from datasets import Dataset

    from supportbot.train.dataset import data_fingerprint

    if not data_dir.is_dir():
        raise DataError(
            f"data dir not found: {data_dir} (run `supportbot prepare-preferences` or set train.data_dir)"
        )
    train_rows = read_pairs(data_dir / "train.jsonl", max_train)
    val_rows = read_pairs(data_dir / "val.jsonl", max_val)
    if context is not None:
        from supportbot.retrieval.context import ContextRetriever

        retriever = ContextRetriever(context)
        # no oracle sentences: they come from an answer, and here both answers are the point
        train_rows, val_rows = retriever.attach(train_rows), retriever.attach(val_rows)
    splits = {}
    for name, rows in (("train", train_rows), ("val", val_rows)):
        conv = [conversational(r, system_prompt) for r in rows]
        splits[name] = Dataset.from_list(unpaired(conv) if objective == "kto" else conv)
    stats = {name: {"pairs": len(rows)} for name, rows in (("train", train_rows), ("val", val_rows))}
    return PreferenceData(splits["train"], splits["val"], val_rows, stats, data_fingerprint(data_dir))


def load_init_adapter(base_model: Any, spec: str, base_name: str, with_reference: bool) -> Any:
    """The base wrapped with the adapter of `spec`, trainable; plus a frozen copy as DPO's reference."""
    from peft import PeftModel

    from supportbot.core.spec import parse_spec

    parsed = parse_spec(spec)
    adapter = parsed.adapter
    if adapter is None:
        raise ConfigError(f"train.init_adapter {spec!r}: not a run dir, adapter dir or registry reference")
    trained_on = parsed.base
    if trained_on != base_name:
        raise ConfigError(
            f"train.init_adapter {spec}: its adapter was trained on {trained_on!r}, but model.name is "
            f"{base_name!r}; set model.name={trained_on}"
        )
    model = PeftModel.from_pretrained(base_model, str(adapter), is_trainable=True)
    if with_reference:
        model.load_adapter(str(adapter), adapter_name=REFERENCE_ADAPTER, is_trainable=False)
        model.set_adapter("default")
    return model


def trainer_class(objective: str) -> type:
    """TRL's trainer for the objective, counting the real tokens of each batch for tokens/s."""
    import trl

    base = {"dpo": trl.DPOTrainer, "orpo": trl.ORPOTrainer, "kto": trl.KTOTrainer}[objective]

    class PreferenceTrainer(base):  # type: ignore[misc, valid-type]
        counter: Any = None

        def training_step(self, model, inputs, num_items_in_batch=None):  # type: ignore[override]
            """One micro-batch; adds its non-padding tokens (prompt once per completion) to the counter."""
            if self.counter is not None:
                self.counter.tokens += sum(
                    int(v.sum())
                    for k, v in inputs.items()
                    if k.endswith("attention_mask") and hasattr(v, "sum")
                )
            return super().training_step(model, inputs, num_items_in_batch)

        def _save(self, output_dir=None, state_dict=None):  # type: ignore[override]
            """Save the policy adapter only. PEFT writes every adapter, the frozen reference in a subfolder, and
            transformers' resume then loads the subfolders alone and skips the policy at the top level (a resumed
            DPO run restarted from the SFT weights). The reference is reloaded from train.init_adapter anyway."""
            import shutil

            super()._save(output_dir, state_dict)
            shutil.rmtree(Path(output_dir or self.args.output_dir) / REFERENCE_ADAPTER, ignore_errors=True)

        def _get_train_sampler(self, train_dataset=None):  # type: ignore[override]
            """SFT's epoch-seeded shuffle (train/sampler.py): a resumed run sees the pairs in the same order."""
            from supportbot.train.sampler import EpochSeededSampler

            dataset = train_dataset if train_dataset is not None else self.train_dataset
            return EpochSeededSampler(len(dataset), self.args.data_seed or self.args.seed)

    return PreferenceTrainer


def config_class(objective: str) -> type:
    """TRL's TrainingArguments subclass for the objective."""
    import trl

    return {"dpo": trl.DPOConfig, "orpo": trl.ORPOConfig, "kto": trl.KTOConfig}[objective]


def preference_args(t: Any, has_reference: bool) -> dict[str, Any]:
    """The objective's own settings (on top of the shared TrainingArguments)."""
    p = t.preference
    prompt_len = p.max_prompt_length or max(8, t.max_length * 3 // 4)
    args: dict[str, Any] = {
        "beta": p.beta,
        "max_length": t.max_length,
        "max_prompt_length": min(prompt_len, t.max_length - 4),
        "label_names": [],
        "dataset_num_proc": None,
    }
    if t.objective == "dpo":
        args["loss_type"] = p.loss_type
        args["use_logits_to_keep"] = p.completion_logits_only
        if has_reference:
            args.update(model_adapter_name="default", ref_adapter_name=REFERENCE_ADAPTER)
    return args


def trainer_kwargs(t: Any, has_reference: bool) -> dict[str, Any]:
    """KTO takes the adapter names as trainer arguments (DPO has them in its config)."""
    if t.objective == "kto" and has_reference:
        return {"model_adapter_name": "default", "ref_adapter_name": REFERENCE_ADAPTER}
    return {}


def reward_summary(log_history: list[dict[str, Any]]) -> dict[str, Any]:
    """First and last logged reward margin / accuracy (train and val): the run's preference verdict."""
    out: dict[str, Any] = {}
    for key in ("rewards/margins", "rewards/accuracies", "eval_rewards/margins", "eval_rewards/accuracies"):
        values = [h[key] for h in log_history if key in h]
        if values:
            out[key.replace("/", "_")] = {"first": round(values[0], 4), "last": round(values[-1], 4)}
    return out

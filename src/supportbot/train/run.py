"""The fine-tuning recipe, top to bottom: run dir → seed → model + LoRA → data → Trainer → best adapter.

transformers' Trainer owns the loop, schedulers, checkpoints (with optimizer, scheduler and RNG state),
keep-last-K, best-by-val-loss and early stopping; PEFT owns the adapters. This module owns what makes runs
reproducible and comparable: the run directory and its provenance, seeding, the base-model eval before step 0,
and the summary in run.json. It runs unchanged under `torchrun` / `accelerate launch` (DDP, FSDP).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import math
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from supportbot.core.artifacts import ADAPTER_META
from supportbot.core.config import Recipe, config_to_yaml
from supportbot.core.errors import ConfigError, Interrupted, SupportbotError
from supportbot.train.callbacks import (
    DivergenceCallback,
    EvaluateLastStepCallback,
    FinalDigestCallback,
    GracefulStopCallback,
    MetricsCallback,
    SampleGenerationCallback,
    TokenCounter,
    peak_memory_mb,
    perplexity,
)
from supportbot.train.dropout import use_fast_lora_dropout
from supportbot.train.fsdp import (
    base_eval_at_start,
    check_fsdp_before_accelerator,
    enable_fsdp_on_cpu,
    fsdp_requested,
    fsdp_settings,
    load_adapter_into_sharded,
)
from supportbot.train.fused_lora import use_fused_lora
from supportbot.train.loss import labelled_positions_loss, plain_head_parts
from supportbot.train.mfu import chip_name, flops_per_token, measured_peak_gflops
from supportbot.train.precision import check_loss, choose_precision, precision_dtype
from supportbot.train.rundir import (
    RESUME_NEWEST,
    RunDir,
    create_run_dir,
    git_commit,
    hardware,
    latest_checkpoint,
    library_versions,
    newest_unfinished_run,
    point_last,
    resolve_run_dir,
)
from supportbot.train.sampler import EpochSeededSampler, LengthGroupedEpochSampler


class TrainingDivergedError(SupportbotError):
    """The loss became NaN/inf or blew up; the last good checkpoint is kept."""


@dataclass
class RunResult:
    """What a finished run produced (also in run.json)."""

    run: RunDir
    summary: dict[str, Any]


# ---------------------------------------------------------------- distributed helpers
def _dist() -> tuple[int, int]:
    """(rank, world size), initialising the process group when launched by torchrun/accelerate."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        from accelerate import PartialState

        state = PartialState(backend=None if torch.cuda.is_available() else "gloo")
        return state.process_index, state.num_processes
    return 0, 1


def _broadcast(obj: Any, world: int) -> Any:
    """Rank 0's value of obj on every rank."""
    if world == 1:
        return obj
    box = [obj]
    torch.distributed.broadcast_object_list(box, src=0)
    return box[0]


def _gather(obj: Any, world: int) -> list[Any]:
    """obj from every rank, in rank order."""
    if world == 1:
        return [obj]
    out: list[Any] = [None] * world
    torch.distributed.all_gather_object(out, obj)
    return out


# ---------------------------------------------------------------- setup
def seed_everything(seed: int) -> None:
    """Seed python `random`, numpy and torch (all devices) — the Trainer re-seeds the same way."""
    from transformers import set_seed

    set_seed(seed)


def _device() -> str:
    return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if torch.cuda.is_available() else "cpu"


def cast_frozen(model: Any, dtype: torch.dtype) -> None:
    """Cast the frozen (base) weights to `dtype`; trainable LoRA weights stay fp32 for the optimizer."""
    for param in model.parameters():
        if not param.requires_grad and param.is_floating_point():
            param.data = param.data.to(dtype)
    for buffer_name, buffer in model.named_buffers():
        if buffer.is_floating_point() and "inv_freq" not in buffer_name:  # rotary frequencies stay fp32
            buffer.data = buffer.data.to(dtype)


def probe_val_losses(model: Any, val: Any, pad_token_id: int, n: int = 8) -> tuple[float, float]:
    """The loss of the first `n` val rows in fp32, and with a bf16 copy of the frozen weights under bf16
    autocast (how training then runs); LoRA B starts at zero, so this is the base model's loss."""
    import copy

    from supportbot.train.dataset import Collator

    batch = Collator(pad_token_id)([val[i] for i in range(min(n, len(val)))])
    batch.pop("num_real_tokens")
    with torch.no_grad():
        fp32 = float(model(**batch).loss)
        twin = copy.deepcopy(model)
        cast_frozen(twin, torch.bfloat16)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = float(twin(**batch).loss)
    del twin
    return fp32, bf16


def _tiny_random_dir() -> Path:
    """tiny-random saved once to the cache, so bitsandbytes can quantise it while loading (as any checkpoint)."""
    from supportbot.core.models import cache_root, tiny_random_model

    path = cache_root() / "tiny-random-quant-source"
    if not (path / "config.json").is_file():
        tiny_random_model().save_pretrained(path)
    return path


def load_for_training(spec: str, quant: Any, precision: str, local_rank: int) -> Any:
    """The base model (quantised with bitsandbytes when asked) and tokenizer, as a LoadedModel."""
    from supportbot.core.models import LoadedModel, embedded_model_dir, load_base_model, load_tokenizer

    if quant.bits not in (4, 8):
        dtype = "bfloat16" if precision == "bf16" else "float32"
        # FSDP: each process loads on CPU and fully_shard moves only its own shard to its GPU
        device = "cuda" if torch.cuda.is_available() and not fsdp_requested() else "cpu"
        lm = load_base_model(spec, dtype=dtype, device=device)
        if device == "cuda" and local_rank:
            lm.model.to(f"cuda:{local_rank}")
        return lm
    from transformers import AutoModelForCausalLM

    from supportbot.train.lora import bnb_config

    started = time.perf_counter()
    cuda = torch.cuda.is_available()
    # compute dtype: bf16/fp16 on a GPU; on a CPU what the run trains in (fp32 unless bf16 was chosen)
    compute = precision_dtype(precision)
    if cuda and compute == torch.float32:
        compute = torch.float16
    source = spec
    if spec == "smollm2-135m":
        source = str(embedded_model_dir())
    elif spec == "tiny-random":
        source = str(_tiny_random_dir())
    model = AutoModelForCausalLM.from_pretrained(
        source,
        quantization_config=bnb_config(quant, compute),
        dtype=compute,
        device_map={"": local_rank if cuda else "cpu"},
    )
    return LoadedModel(model, load_tokenizer(spec), spec, None, time.perf_counter() - started)


def adapter_digest(model: Any) -> str:
    """sha256 of the adapter weights (to check that every rank trained the same adapter)."""
    from peft import get_peft_model_state_dict

    h = hashlib.sha256()
    for name, t in sorted(get_peft_model_state_dict(model).items()):
        if hasattr(t, "full_tensor"):  # FSDP2 shard (DTensor): gather it, a collective every rank runs
            t = t.full_tensor()
        h.update(name.encode())
        h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _make_trainer_class() -> type:
    """Trainer that counts real (non-padding) tokens, strips the count before the forward pass and computes
    the loss on labelled positions only where it can (train/loss.py)."""
    from transformers import Trainer

    class SupportbotTrainer(Trainer):
        counter = TokenCounter()
        labelled_loss = True

        def create_accelerator_and_postprocess(self):  # type: ignore[override]
            """The stock accelerator, switched to FSDP2 in CPU processes when FSDP was asked for (train/fsdp.py)."""
            check_fsdp_before_accelerator()
            super().create_accelerator_and_postprocess()
            if enable_fsdp_on_cpu(self.accelerator):
                self.is_fsdp_enabled = True

        @property
        def _fsdp2(self) -> bool:
            return self.is_fsdp_enabled and self.accelerator.is_fsdp2

        def _load_from_checkpoint(self, resume_from_checkpoint, model=None):  # type: ignore[override]
            """FSDP2: the adapter goes in through torch's sharded state-dict API (train/fsdp.py)."""
            if self._fsdp2:
                return load_adapter_into_sharded(
                    model if model is not None else self.model, resume_from_checkpoint
                )
            return super()._load_from_checkpoint(resume_from_checkpoint, model)

        def _load_optimizer_and_scheduler(self, checkpoint):  # type: ignore[override]
            """CPU processes: transformers maps the optimizer state to `args.device`, which on a CPU rank is
            'cpu:0', a location torch.load cannot restore (DDP resume on CPU failed); load it to 'cpu'."""
            plain_cpu_ranks = not (
                torch.cuda.is_available() or self.is_fsdp_enabled or self.is_deepspeed_enabled
            )
            if checkpoint is None or self.args.world_size <= 1 or not plain_cpu_ranks:
                return super()._load_optimizer_and_scheduler(checkpoint)
            from transformers.trainer import OPTIMIZER_NAME, SCHEDULER_NAME

            path = Path(checkpoint)
            if (path / OPTIMIZER_NAME).is_file() and (path / SCHEDULER_NAME).is_file():
                load = functools.partial(torch.load, map_location="cpu", weights_only=True)
                self.optimizer.load_state_dict(load(path / OPTIMIZER_NAME))
                self.lr_scheduler.load_state_dict(load(path / SCHEDULER_NAME))

        def _load_best_model(self):  # type: ignore[override]
            """FSDP2: as `_load_from_checkpoint`, from the best checkpoint."""
            if self._fsdp2:
                return load_adapter_into_sharded(self.model, self.state.best_model_checkpoint)
            return super()._load_best_model()

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # type: ignore[override]
            """Labelled-positions loss when the model, the run and the options allow; else the stock path."""
            parts = plain_head_parts(model) if self._labelled_loss_ok(model, inputs) else None
            if parts is None:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            inputs = dict(inputs)
            labels = inputs.pop("labels")
            # Like the stock path: the token-count normalisation only where the Trainer will not divide by the
            # accumulation steps itself.
            count = num_items_in_batch if self.model_accepts_loss_kwargs else None
            loss = labelled_positions_loss(*parts, inputs, labels, count)
            return (loss, {"loss": loss}) if return_outputs else loss

        def _labelled_loss_ok(self, model, inputs) -> bool:
            # Calling the decoder directly would bypass a DDP wrapper's gradient sync: one process only.
            return (
                self.labelled_loss
                and "labels" in inputs
                and self.args.world_size == 1
                and model is self.accelerator.unwrap_model(model)
                and self.label_smoother is None
                and self.compute_loss_func is None
            )

        def training_step(self, model, inputs, num_items_in_batch=None):  # type: ignore[override]
            """One micro-batch; adds its real tokens to the counter."""
            self.counter.tokens += int(inputs.pop("num_real_tokens", 0))
            return super().training_step(model, inputs, num_items_in_batch)

        def _get_train_sampler(self, train_dataset=None):  # type: ignore[override]
            """Epoch-seeded shuffling that survives resume (train/sampler.py), length-grouped on request."""
            dataset = train_dataset or self.train_dataset
            seed = self.args.data_seed or self.args.seed
            if self.args.group_by_length:
                return LengthGroupedEpochSampler(
                    dataset.lengths(), self.args.per_device_train_batch_size, seed
                )
            return EpochSeededSampler(len(dataset), seed)

        def get_eval_dataloader(self, eval_dataset=None):  # type: ignore[override]
            """Several processes: every rank evaluates the whole val set in order (not a shard). The stock
            sharded path averages per-batch losses and, when the val set does not split evenly, drops real
            batches as padding: a 2-process run read val loss 11.20 where one process read 10.83."""
            if self.args.world_size <= 1:
                return super().get_eval_dataloader(eval_dataset)
            from torch.utils.data import DataLoader, SequentialSampler

            dataset = eval_dataset if eval_dataset is not None else self.eval_dataset
            return DataLoader(
                dataset,
                batch_size=self.args.per_device_eval_batch_size,
                sampler=SequentialSampler(dataset),
                collate_fn=self.data_collator,
                num_workers=0,
            )

        def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):  # type: ignore[override]
            """Eval step without the token count."""
            inputs.pop("num_real_tokens", None)
            return super().prediction_step(model, inputs, prediction_loss_only, ignore_keys)

    return SupportbotTrainer


def _training_args(
    cfg: Any, run: RunDir, precision: str, world: int, cls: type | None = None, **extra: Any
) -> Any:
    """transformers TrainingArguments (or TRL's subclass `cls` with its `extra` settings) from our TrainConfig."""
    from transformers import TrainingArguments

    t = cfg.train
    cls = cls or TrainingArguments
    # accelerate reads mixed precision from this variable, which an earlier bf16 run in the same process (or an
    # `accelerate launch` config) leaves set: the recipe's choice wins
    os.environ["ACCELERATE_MIXED_PRECISION"] = {"bf16": "bf16", "fp16": "fp16"}.get(precision, "no")
    settings: dict[str, Any] = dict(
        output_dir=str(run.checkpoints),
        per_device_train_batch_size=t.micro_batch_size,
        per_device_eval_batch_size=t.micro_batch_size,
        gradient_accumulation_steps=t.grad_accum,
        learning_rate=t.lr,
        lr_scheduler_type=t.scheduler,
        warmup_ratio=t.warmup_ratio,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        logging_steps=t.logging_steps,
        logging_first_step=True,
        logging_nan_inf_filter=False,  # a NaN loss must reach the divergence check, not be averaged away
        eval_strategy="steps",
        eval_steps=t.eval_steps,
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        prediction_loss_only=True,
        report_to=["tensorboard"] if t.tensorboard else [],
        logging_dir=str(run.tensorboard),
        seed=t.seed,
        data_seed=t.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not torch.cuda.is_available(),
        gradient_checkpointing=t.gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False} if t.gradient_checkpointing else None,
        group_by_length=t.group_by_length,
        remove_unused_columns=False,
        label_names=["labels"],
        dataloader_num_workers=0,
        ddp_backend=None if torch.cuda.is_available() or world == 1 else "gloo",
        ddp_find_unused_parameters=False if world > 1 else None,
        save_safetensors=True,
    )
    return cls(**{**settings, **extra})


def _sample_prompts(val_rows: list[dict[str, Any]], n: int, system_prompt: str) -> list[dict[str, Any]]:
    """The first n val examples as fixed prompts for sample generations."""
    from supportbot.core.prompt import example_system_prompt, prompt_messages

    out = []
    for row in val_rows[:n]:
        i = row["inputs"]
        system = example_system_prompt(i, system_prompt)
        out.append(
            {
                "id": row.get("id"),
                "question": i["question"],
                "reference": (row.get("outputs") or {}).get("answer") or row.get("chosen"),
                "messages": prompt_messages(i["question"], i.get("context"), i.get("history"), system),
            }
        )
    return out


def _drop_metrics_after(run: RunDir, step: int) -> None:
    """On resume, forget metrics logged after the checkpoint (the killed run's tail is recomputed)."""
    import json

    for path in (run.metrics, run.samples):
        if path.is_file():
            keep = [
                ln for ln in path.read_text().splitlines() if ln and json.loads(ln).get("step", 0) <= step
            ]
            path.write_text("".join(ln + "\n" for ln in keep))


# ---------------------------------------------------------------- the recipe
def train(
    recipe: Recipe,
    resume: str | Path | None = None,
    allow_fallback: bool = False,
) -> RunResult:
    """Fine-tune per the recipe (or resume the run dir `resume` from its newest complete checkpoint).

    A resumed run re-reads its own saved config.yaml with the recipe's schema and `--set` overrides.
    """
    try:
        return _train(recipe, resume, allow_fallback)
    finally:
        # A rank could abort at exit after a finished run ("terminate called without an active exception",
        # SIGABRT). The Trainer sits in reference cycles (callbacks that point back at it), so its model,
        # optimizer and FSDP/DDP state, with the gloo work objects they hold, were freed only by the collection
        # Python runs during interpreter teardown, too late for gloo's threads. Free them and end the process
        # group here, while the interpreter is whole.
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            gc.collect()
            torch.distributed.destroy_process_group()


def _train(recipe: Recipe, resume: str | Path | None, allow_fallback: bool) -> RunResult:
    """`train`'s body, in an initialised process group when launched distributed."""
    from supportbot.train.dataset import Collator, build_datasets
    from supportbot.train.lora import (
        attach_lora,
        check_quantization,
        format_memory,
        param_report,
    )

    rank, world = _dist()
    main = rank == 0

    # 1. Config and run directory (a resumed run reuses its own resolved config).
    checkpoint: Path | None = None
    if resume is not None:
        if resume == RESUME_NEWEST:
            resume = str(newest_unfinished_run(recipe.config.train.output_dir).root)
        run = resolve_run_dir(resume)
        cfg = recipe.reload(run.config).config
        if run.read_manifest().get("status") == "completed":
            raise ConfigError(f"--resume {resume}: run {run.id} already completed; start a new run instead")
        checkpoint = latest_checkpoint(run)
        if checkpoint is None:
            raise ConfigError(f"--resume {resume}: no complete checkpoint under {run.checkpoints}")
        from supportbot.train.checkpoints import unreadable_state

        problem = unreadable_state(checkpoint)
        if problem:
            raise ConfigError(
                f"--resume {resume}: {problem}; delete {checkpoint} to resume from the checkpoint before it"
            )
    else:
        cfg = recipe.config
        name = cfg.train.run_name or (recipe.path.stem if recipe.path else "run")
        root = create_run_dir(Path(cfg.train.output_dir), name).root if main else None
        run = RunDir(Path(_broadcast(str(root) if root else None, world)))
    t = cfg.train
    quant, fallback_note = check_quantization(t.quantization, allow_fallback)
    if quant.bits in (4, 8) and fsdp_requested() and world > 1:
        raise ConfigError(
            f"train.quantization={t.quantization} under FSDP: supportbot does not shard bitsandbytes weights; "
            "launch QLoRA with configs/accelerate/ddp.yaml (or torchrun) instead"
        )
    seed_everything(t.seed)
    if t.threads and not torch.cuda.is_available():
        torch.set_num_threads(t.threads)  # before the precision probe: it times GEMMs with these threads
    choice = _broadcast(choose_precision(t.precision, torch.cuda.is_available()), world)  # one probe verdict
    precision = choice.precision
    # auto chose bf16 on a CPU by GEMM speed: load fp32, compare the val loss of both, then cast (step 3)
    probe_loss = t.precision == "auto" and precision == "bf16" and not torch.cuda.is_available()
    preference = t.objective != "sft"
    probe_loss = probe_loss and not preference  # the probe compares SFT val losses

    if main:
        if checkpoint is None:
            run.config.write_text(config_to_yaml(cfg), encoding="utf-8")
            run.update_manifest(
                run_id=run.id,
                status="running",
                base_model=cfg.model.name,
                config_file=str(recipe.path) if recipe.path else None,
                overrides=list(recipe.overrides),
                git=git_commit(),
                versions=library_versions(),
                hardware=hardware(),
                world_size=world,
                precision=precision,
                precision_choice=choice.to_json(),
                quantization_bits=quant.bits,
                started=time.strftime("%Y-%m-%dT%H:%M:%S"),
            )
        else:
            _drop_metrics_after(run, int(checkpoint.name.split("-")[-1]))
            run.update_manifest(status="running", resumed_from=str(checkpoint))
        run.say(f"run {run.id}: {run.root}" + (f" (resuming {checkpoint.name})" if checkpoint else ""))
        if fallback_note:
            run.say(f"warning: {fallback_note}")
        run.say(
            f"precision: {precision} ({choice.reason}), device: "
            f"{'cuda' if torch.cuda.is_available() else 'cpu'}, ranks: {world}"
        )

    with _marks_failure(run, main):
        # 2. Base model + LoRA adapter.
        load_precision = "fp32" if probe_loss else precision
        lm = load_for_training(cfg.model.name, quant, load_precision, int(os.environ.get("LOCAL_RANK", "0")))
        if t.init_adapter:
            model = _start_from_adapter(lm.model, cfg, quant.bits in (4, 8))
        else:
            model = attach_lora(lm.model, t.lora, quant.bits in (4, 8), t.gradient_checkpointing)
        model.config.use_cache = False
        speedups = {"fast_lora_dropout_layers": 0, "fused_lora_layers": 0}
        # the preference trainers switch to the reference adapter and back: PEFT's own layers only
        if t.fast_lora_dropout and not torch.cuda.is_available() and not preference:
            # CPU: torch's per-element dropout draws were ~11% of a step
            speedups["fast_lora_dropout_layers"] = use_fast_lora_dropout(model)
        if t.fused_lora and not torch.cuda.is_available() and not preference:
            # after the dropout swap: the fused layers draw FastDropout's masks; quantised (bitsandbytes)
            # LoRA layers are a different class and keep PEFT's own forward
            speedups["fused_lora_layers"] = use_fused_lora(model)
        if main:
            run.update_manifest(speedups=speedups)
        params = param_report(model)

        # 3. Data, rendered with the chat template (labels on the answer only); preference pairs for TRL.
        if preference:
            return _train_preference(cfg, run, main, world, lm, model, params, quant, precision, checkpoint)
        data = build_datasets(
            Path(t.data_dir),
            lm.tokenizer,
            cfg.generation.system_prompt,
            t.max_length,
            t.packing,
            t.max_train_examples,
            t.max_val_examples,
            t.context,
        )
        if probe_loss:
            choice = _broadcast(
                check_loss(choice, *probe_val_losses(model, data.val, lm.tokenizer.pad_token_id)), world
            )
            precision = choice.precision
            if precision == "bf16":
                cast_frozen(model, torch.bfloat16)
            if main:
                run.say(f"precision: {precision} ({choice.reason})")
                run.update_manifest(precision=precision, precision_choice=choice.to_json())
        est = _memory(
            model, params, quant, precision, t, t.micro_batch_size, world if fsdp_requested() else 1
        )
        if main:
            run.say(params.line())
            run.say(format_memory(est))
            st = data.stats
            run.say(
                f"data: {st['train']['total']} train examples -> {st['train']['rows']} rows "
                f"({st['train']['truncated']} truncated, {st['train']['dropped']} dropped), "
                f"{st['val']['total']} val; dataset {data.fingerprint['dataset_hash']}"
            )
            run.update_manifest(
                trainable_params=params.trainable,
                total_params=params.total,
                trainable_percent=round(params.percent, 4),
                memory_estimate_gib={k: round(v, 3) for k, v in est.items()},
                data={"dir": t.data_dir, **data.fingerprint, "stats": data.stats},
            )

        # 4. Trainer with our callbacks (metrics first so TensorBoard sees tokens/s, memory and perplexity).
        trainer_cls = _make_trainer_class()
        trainer_cls.counter = TokenCounter()
        trainer_cls.labelled_loss = t.labelled_loss
        args = _training_args(cfg, run, precision, world)
        tokens = data.stats["train"]
        head_share = tokens["answer_tokens"] / max(1, tokens["tokens"]) if t.labelled_loss else 1.0
        fpt = flops_per_token(model, head_share)
        peak = measured_peak_gflops(precision_dtype(precision), _device())
        trainer, loop_cbs = _trainer_with_callbacks(
            cfg, run, main, world, lm, data.val_examples, trainer_cls.counter, (fpt, peak, precision),
            lambda callbacks: trainer_cls(
                model=model,
                args=args,
                train_dataset=data.train,
                eval_dataset=data.val,
                data_collator=Collator(lm.tokenizer.pad_token_id),
                processing_class=lm.tokenizer,
                callbacks=callbacks,
            ),
        )  # fmt: skip

        # 5. Base-model perplexity before step 0 (stored in the run for comparison).
        if checkpoint is None and t.eval_base:
            record = functools.partial(_record_base_eval, run, main)
            if trainer.is_fsdp_enabled:
                base_eval_at_start(trainer, record)
            else:
                record(trainer.evaluate(metric_key_prefix="base"))
        if main:
            run.say(
                f"training: metrics {run.metrics}, tensorboard {run.tensorboard}, checkpoints {run.checkpoints}"
            )

        return _run_and_finish(cfg, run, main, world, trainer, lm, checkpoint, loop_cbs)


def _record_base_eval(run: RunDir, main: bool, base: dict[str, float]) -> None:
    """The base model's val loss and perplexity into run.json and the log."""
    if main:
        loss = base["base_loss"]
        run.update_manifest(base_val_loss=loss, base_val_perplexity=perplexity(loss))
        run.say(f"base model: val loss {loss:.4f}, perplexity {perplexity(loss):.2f}")


def _trainer_with_callbacks(
    cfg: Any,
    run: RunDir,
    main: bool,
    world: int,
    lm: Any,
    val_rows: list[dict[str, Any]],
    counter: TokenCounter,
    speed: tuple[int | None, float | None, str],
    make_trainer: Any,
) -> tuple[Any, tuple[Any, Any, Any]]:
    """The trainer `make_trainer(callbacks)` builds, with supportbot's callbacks (metrics first, so TensorBoard
    sees tokens/s, memory and perplexity); also (stop, divergence, digest), which the loop reads afterwards."""
    from transformers import EarlyStoppingCallback
    from transformers.integrations import TensorBoardCallback

    from supportbot.train.checkpoints import ChecksumCallback

    t = cfg.train
    fpt, peak, precision = speed
    metrics_cb = MetricsCallback(run.metrics if main else None, counter, world, fpt, peak)
    if main:
        run.update_manifest(
            flops_per_token=fpt,
            gemm_peak_gflops={"value": peak, "dtype": str(precision_dtype(precision)), "chip": chip_name(_device()),
                              "threads": torch.get_num_threads()},
        )  # fmt: skip
    divergence_cb = DivergenceCallback(t.divergence_factor)
    samples_cb = SampleGenerationCallback(
        _sample_prompts(val_rows, t.num_samples if main else 0, cfg.generation.system_prompt),
        lm.tokenizer,
        cfg.generation,
        run.samples,
        t.sample_max_new_tokens,
    )
    stop_cb = GracefulStopCallback(run.say if main else lambda _msg: None, world)
    callbacks: list[Any] = [
        EvaluateLastStepCallback(),
        ChecksumCallback(),
        stop_cb,
        divergence_cb,
        samples_cb,
    ]
    if t.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(t.early_stopping_patience, t.early_stopping_threshold))
    trainer = make_trainer(callbacks)
    sharded = trainer.is_fsdp_enabled
    if main and fsdp_requested() and world > 1 and not sharded:
        run.say(
            f"warning: FSDP was asked for, but this {t.objective} run is plain data parallel "
            f"({str(trainer.accelerator.distributed_type).split('.')[-1]}): supportbot shards SFT runs only"
        )
    if sharded and samples_cb.prompts:
        # generation on rank 0 alone would wait forever for the other ranks' shards
        samples_cb.prompts = []  # rank 0's; the others have none
        run.say(
            "sample generations: off under FSDP (every rank holds a shard; eval the adapter after training)"
        )
    trainer.callback_handler.callbacks.insert(0, metrics_cb)
    samples_cb.tb_source = lambda: next(
        (cb.tb_writer for cb in trainer.callback_handler.callbacks if isinstance(cb, TensorBoardCallback)),
        None,
    )
    if main:  # DDP, FSDP (from `accelerate launch --config_file ...`) or NO: what really wraps the model
        run.update_manifest(distributed_type=str(trainer.accelerator.distributed_type).split(".")[-1])
        if sharded:
            run.update_manifest(fsdp=fsdp_settings(trainer.accelerator))
    digest_cb = FinalDigestCallback(adapter_digest)
    trainer.add_callback(digest_cb)
    return trainer, (stop_cb, divergence_cb, digest_cb)


def _start_from_adapter(base_model: Any, cfg: Any, quantized: bool) -> Any:
    """The base with train.init_adapter loaded trainable (and, for dpo/kto, frozen as the reference)."""
    from peft import prepare_model_for_kbit_training

    from supportbot.train.preference import load_init_adapter

    t = cfg.train
    if quantized:
        base_model = prepare_model_for_kbit_training(base_model, t.gradient_checkpointing)
    elif t.gradient_checkpointing:
        base_model.enable_input_require_grads()
    return load_init_adapter(base_model, t.init_adapter, cfg.model.name, t.objective in ("dpo", "kto"))


def _memory(
    model: Any, params: Any, quant: Any, precision: str, t: Any, rows: int, shards: int = 1
) -> dict[str, float]:
    """The training-memory estimate (per process) for `rows` sequences per micro-step at the run's precision."""
    from supportbot.train.lora import memory_estimate

    return memory_estimate(
        model,
        params,
        quant.bits if quant.bits in (4, 8) else (16 if precision == "bf16" else 32),
        rows,
        t.max_length,
        t.gradient_checkpointing,
        act_bytes=2 if precision in ("bf16", "fp16") else 4,
        trained_layers=t.lora.top_layers,
        shards=shards,
    )


def _inherit_context(cfg: Any) -> str | None:
    """Without train.context, a preference run prompts with the retrieval context its init adapter was trained
    with (the same prompts as SFT and inference); returns a description when it did so."""
    t = cfg.train
    if t.context is not None or not t.init_adapter:
        return None
    from supportbot.retrieval.context import trained_context

    trained = trained_context(t.init_adapter)
    if trained is None:
        return None
    t.context = trained
    return f"index {t.context.index_dir}, k={t.context.k}"


def _train_preference(
    cfg: Any,
    run: RunDir,
    main: bool,
    world: int,
    lm: Any,
    model: Any,
    params: Any,
    quant: Any,
    precision: str,
    checkpoint: Path | None,
) -> RunResult:
    """Steps 3-7 for dpo / orpo / kto: TRL's trainer on the preference pairs, with the same run dir, callbacks,
    checkpoints, early stopping and best-adapter copy as SFT."""
    from supportbot.train.lora import format_memory
    from supportbot.train.preference import (
        build_preference_datasets,
        config_class,
        preference_args,
        reward_summary,
        trainer_class,
        trainer_kwargs,
    )

    t = cfg.train
    inherited = _inherit_context(cfg)
    data = build_preference_datasets(
        Path(t.data_dir),
        cfg.generation.system_prompt,
        t.objective,
        t.max_train_examples,
        t.max_val_examples,
        t.context,
    )
    # chosen and rejected both go through the policy (and the reference, without gradients)
    est = _memory(model, params, quant, precision, t, 2 * t.micro_batch_size)
    if main:
        run.say(params.line())
        run.say(format_memory(est))
        run.say(
            f"data: {data.stats['train']['pairs']} train pairs, {data.stats['val']['pairs']} val pairs "
            f"({t.objective}); dataset {data.fingerprint['dataset_hash']}"
        )
        if inherited:
            run.say(f"context: retrieved as {t.init_adapter} was trained ({inherited})")
        run.update_manifest(
            objective=t.objective,
            init_adapter=t.init_adapter,
            context_from="init_adapter" if inherited else ("train.context" if t.context else None),
            trainable_params=params.trainable,
            total_params=params.total,
            trainable_percent=round(params.percent, 4),
            memory_estimate_gib={k: round(v, 3) for k, v in est.items()},
            data={"dir": t.data_dir, **data.fingerprint, "stats": data.stats},
        )
    has_reference = bool(t.init_adapter) and t.objective in ("dpo", "kto")
    args = _training_args(
        cfg, run, precision, world, config_class(t.objective), **preference_args(t, has_reference)
    )
    trainer_cls = trainer_class(t.objective)
    trainer_cls.counter = TokenCounter()
    peak = measured_peak_gflops(precision_dtype(precision), _device())
    trainer, loop_cbs = _trainer_with_callbacks(
        cfg, run, main, world, lm, data.val_rows, trainer_cls.counter, (None, peak, precision),
        lambda callbacks: trainer_cls(
            model=model,
            args=args,
            train_dataset=data.train,
            eval_dataset=data.val,
            processing_class=lm.tokenizer,
            callbacks=callbacks,
            **trainer_kwargs(t, has_reference),
        ),
    )  # fmt: skip
    if main:
        run.say(
            f"training: metrics {run.metrics}, tensorboard {run.tensorboard}, checkpoints {run.checkpoints}"
        )
    return _run_and_finish(cfg, run, main, world, trainer, lm, checkpoint, loop_cbs, reward_summary)


def _run_and_finish(
    cfg: Any,
    run: RunDir,
    main: bool,
    world: int,
    trainer: Any,
    lm: Any,
    checkpoint: Path | None,
    callbacks: tuple[Any, Any, Any],
    extra_summary: Any = None,
) -> RunResult:
    """Train (or resume), then write the summary, copy the best checkpoint's adapter and point runs/last."""
    from supportbot.train.checkpoints import best_good_checkpoint, copy_adapter

    t = cfg.train
    stop_cb, divergence_cb, digest_cb = callbacks
    # 6. Train (the Trainer restores optimizer, scheduler, RNG and data position on resume).
    started = time.perf_counter()
    with stop_cb.catching():
        out = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    elapsed = time.perf_counter() - started
    digests = _gather(digest_cb.digest or adapter_digest(trainer.model), world)

    # 7. Summary, best adapter, runs/last.
    state = trainer.state
    diverged = divergence_cb.result
    evals = [h for h in state.log_history if "eval_loss" in h]
    # The best adapter is copied from the best checkpoint that passes its checksums, never from memory:
    # the Trainer's load_best_model_at_end trusts whatever bytes are on disk.
    picked = best_good_checkpoint(run.checkpoints, state.log_history, run.say) if main else None
    best_ckpt = str(picked[0]) if picked else None
    best_eval = picked[1] if picked else None
    train_losses = [h["loss"] for h in state.log_history if "loss" in h]
    steps_done = state.global_step - (int(checkpoint.name.split("-")[-1]) if checkpoint else 0)
    epochs_done = state.epoch or 0.0
    summary: dict[str, Any] = {
        "status": "diverged" if diverged.reason else "interrupted" if stop_cb.signum else "completed",
        "global_step": state.global_step,
        "epochs": round(epochs_done, 3),
        "train_seconds": round(elapsed, 1),
        "seconds_per_epoch": round(
            elapsed / max(epochs_done, 1e-9) * (steps_done / max(state.global_step, 1)), 1
        ),
        "final_train_loss": train_losses[-1] if train_losses else None,
        "train_loss_mean": _mean_train_loss(state.log_history, out.training_loss),
        "best_val_loss": best_eval["eval_loss"] if best_eval else None,
        "best_val_perplexity": perplexity(best_eval["eval_loss"]) if best_eval else None,
        "best_step": best_eval["step"] if best_eval else None,
        "best_epoch": best_eval.get("epoch") if best_eval else None,
        "final_val_loss": evals[-1]["eval_loss"] if evals else None,
        "best_checkpoint": best_ckpt,
        "peak_memory_mb": round(max(_gather(peak_memory_mb(), world)), 1),
        "adapter_sha256_by_rank": digests,
        "diverged": {"step": diverged.step, "reason": diverged.reason} if diverged.reason else None,
    }
    if extra_summary is not None:
        summary.update(extra_summary(state.log_history))
    if main:
        if picked is not None:
            copy_adapter(picked[0], run.adapter)
            lm.tokenizer.save_pretrained(run.adapter)
            meta = {"base_model": cfg.model.name}
            if t.objective != "sft":
                meta["objective"] = t.objective
            if t.context is not None:  # eval, chat and export read it to prompt the way training did
                meta["context"] = t.context.model_dump(mode="json")
            (run.adapter / ADAPTER_META).write_text(json.dumps(meta) + "\n")
            summary["adapter"] = str(run.adapter)
        run.update_manifest(**summary, finished=time.strftime("%Y-%m-%dT%H:%M:%S"))
        point_last(run)
        _print_summary(run, summary)
    if stop_cb.signum is not None:
        name = signal.Signals(stop_cb.signum).name
        raise Interrupted(
            f"{name}: training stopped at step {state.global_step} with a checkpoint "
            f"({latest_checkpoint(run)}); continue with: supportbot train --resume {run.root}",
            stop_cb.signum,
        )
    if diverged.reason:
        keep = latest_checkpoint(run)
        raise TrainingDivergedError(
            f"training stopped at step {diverged.step}: {diverged.reason} (lower train.lr or raise "
            f"train.divergence_factor); last good checkpoint: {keep or 'none (diverged before the first save)'}"
        )
    return RunResult(run, summary)


def _mean_train_loss(log_history: list[dict[str, Any]], fallback: float) -> float:
    """Mean train loss over all steps of the run, from the logged windows weighted by their step counts.

    The Trainer's own `training_loss` only averages the steps since a resume, so a resumed run read low.
    """
    total, steps, last = 0.0, 0, 0
    for h in log_history:
        if "loss" in h and h.get("step", 0) > last:
            total += h["loss"] * (h["step"] - last)
            steps += h["step"] - last
            last = h["step"]
    return total / steps if steps else fallback


@contextlib.contextmanager
def _marks_failure(run: RunDir, main: bool) -> Any:
    """A run that raises is marked `failed` with its error in run.json (interrupted: `interrupted`)."""
    try:
        yield
    except (Interrupted, TrainingDivergedError):
        raise  # their status is already in run.json
    except BaseException as exc:
        if main:
            interrupted = isinstance(exc, KeyboardInterrupt)
            with contextlib.suppress(Exception):
                run.update_manifest(
                    status="interrupted" if interrupted else "failed",
                    error=None if interrupted else f"{type(exc).__name__}: {exc}",
                    finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
                )
        raise


def _fixed(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _print_summary(run: RunDir, s: dict[str, Any]) -> None:
    manifest = run.read_manifest()
    base = manifest.get("base_val_perplexity")
    best = s["best_val_perplexity"]
    done = f"done: {s['status']} after {s['global_step']} steps ({s['epochs']} epochs) in {s['train_seconds']}s; "
    margin = s.get("eval_rewards_margins") or s.get("rewards_margins")
    if margin is not None:  # preference objectives: the loss is not a likelihood, the reward margin says more
        acc = s.get("eval_rewards_accuracies") or s.get("rewards_accuracies")
        acc_text = f", pair accuracy {acc['first']:.2f} -> {acc['last']:.2f}" if acc else ""
        run.say(
            f"{done}val loss {_fixed(s['best_val_loss'], 4)} (best, step {s['best_step']}); reward margin "
            f"{margin['first']:.3f} -> {margin['last']:.3f}{acc_text}"
        )
    else:
        run.say(
            f"{done}val perplexity {_fixed(base, 2)} (base) -> {_fixed(best, 2)} (best, step {s['best_step']})"
        )
    if not math.isnan(s.get("peak_memory_mb") or 0.0):
        est = (manifest.get("memory_estimate_gib") or {}).get("total")
        against = ""
        if est:
            where = (
                "GPU: allocated"
                if torch.cuda.is_available()
                else "CPU: peak RSS, which also holds the process"
            )
            against = f" against an estimate of {est * 1024:.0f} MiB for the training tensors ({where})"
        run.say(f"peak memory {s['peak_memory_mb']:.0f} MiB{against}")
    run.say(f"run dir: {run.root}  (runs/last -> {run.id}); adapter: {s.get('adapter', 'none')}")
    run.say(f"next: supportbot report {run.root}")

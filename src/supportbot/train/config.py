"""Typed config of the train stage: LoRA/QLoRA settings, optimisation, checkpointing and logging."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from supportbot.core.config import StrictModel
from supportbot.retrieval.config import ContextConfig

ATTENTION_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj"]


class LoraConfig(StrictModel):
    """Parameter-efficient adapter: rank, scaling, dropout, which layers, DoRA/rsLoRA."""

    r: int = Field(16, ge=1, le=1024, description="Adapter rank.")
    alpha: float = Field(
        32, gt=0, description="Scaling numerator (scale = alpha/r, or alpha/sqrt(r) with rslora)."
    )
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: Literal["attention", "all-linear"] | list[str] = Field(
        "all-linear", description="'attention' (q,k,v,o), 'all-linear' (also MLP), or explicit module names."
    )
    use_dora: bool = Field(
        False, description="Weight-decomposed LoRA (slower, sometimes better at low rank)."
    )
    use_rslora: bool = Field(False, description="Rank-stabilised scaling alpha/sqrt(r).")
    top_layers: int | None = Field(
        None,
        ge=1,
        description="Adapt only the last N transformer blocks: backward stops there (shorter backward; measured in bench/README.md).",
    )


class QuantConfig(StrictModel):
    """QLoRA: load the frozen base in 4-bit NF4/FP4 or 8-bit through bitsandbytes (CUDA, or its CPU backend)."""

    bits: Literal[4, 8, 16, 32] = Field(
        32, description="4/8: bitsandbytes (CUDA or CPU backend); 16/32 load unquantised."
    )
    quant_type: Literal["nf4", "fp4"] = "nf4"
    double_quant: bool = True


class PreferenceConfig(StrictModel):
    """Preference tuning (train.objective dpo | orpo | kto) through TRL's trainers."""

    beta: float = Field(
        0.1, gt=0, description="DPO/KTO: how far from the reference the policy may move (lower: further)."
    )
    loss_type: str = Field("sigmoid", description="DPO loss (TRL's loss_type: sigmoid, ipo, hinge, ...).")
    max_prompt_length: int | None = Field(
        None, ge=8, description="Prompt tokens kept (from the left); default 3/4 of train.max_length."
    )
    completion_logits_only: bool = Field(
        True,
        description="DPO: compute the LM head only from the first completion token on (TRL's "
        "use_logits_to_keep). Same log-probs, less time and memory (docs/review.md); turn off "
        "for a model whose forward() takes no logits_to_keep.",
    )


class TrainConfig(StrictModel):
    """Settings of `supportbot train`."""

    data_dir: str = "data/processed"
    output_dir: str = "runs"
    run_name: str | None = Field(None, description="Suffix of the run id (default: the config file's stem).")

    context: ContextConfig | None = Field(
        None,
        description="Retrieval-augmented SFT: put the top-k KB chunks retrieved for each question before it "
        "(train and val), so the model learns to answer from them; evaluate and serve with the same setting.",
    )
    lora: LoraConfig = Field(default_factory=LoraConfig)
    objective: Literal["sft", "dpo", "orpo", "kto"] = Field(
        "sft",
        description="sft: supervised answers (train.data_dir from `prepare`); dpo | orpo | kto: preference pairs "
        "from `prepare-preferences`, trained with TRL's DPOTrainer / ORPOTrainer / KTOTrainer.",
    )
    init_adapter: str | None = Field(
        None,
        description="Start from this adapter (a run dir, adapter dir or registry:NAME@V) instead of a fresh "
        "LoRA; for dpo/kto it is also the frozen reference. The usual preference recipe starts from an SFT run.",
    )
    preference: PreferenceConfig = Field(default_factory=PreferenceConfig)
    quantization: QuantConfig = Field(
        default_factory=QuantConfig,
        description="Also the shorthand 4bit | 8bit | none (--set train.quantization=4bit).",
    )
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto",
        description="auto: bf16 (or fp16) mixed precision on CUDA; on a CPU bf16 only where it has bf16 units "
        "(avx512_bf16/amx_bf16), a bf16 GEMM measures faster and the val loss stays within 1% (train/precision.py), "
        "else fp32. bf16 on a CPU: frozen weights in bf16, LoRA weights fp32, matmuls under bf16 autocast.",
    )

    @field_validator("quantization", mode="before")
    @classmethod
    def _quant_shorthand(cls, value: object) -> object:
        shorthand = {"4bit": 4, "8bit": 8, "none": 32, "nf4": 4}
        if isinstance(value, str):
            if value.lower() not in shorthand:
                raise ValueError(f"{value!r}: use 4bit, 8bit or none (or a mapping with bits: 4|8|16|32)")
            return {"bits": shorthand[value.lower()]}
        return value

    lr: float = Field(2e-4, gt=0)
    scheduler: Literal["cosine", "linear", "constant_with_warmup"] = "cosine"
    warmup_ratio: float = Field(0.03, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    max_grad_norm: float = Field(1.0, gt=0)
    epochs: float = Field(1.0, gt=0)
    max_steps: int = Field(-1, description="> 0 overrides epochs.")
    micro_batch_size: int = Field(4, ge=1)
    grad_accum: int = Field(1, ge=1)
    max_length: int = Field(512, ge=16)
    packing: bool = Field(
        False, description="Pack short examples into max_length rows (no cross-example attention)."
    )
    group_by_length: bool = Field(
        False,
        description="Micro-batches of similar-length rows (packed or not), shuffled by (seed, epoch): less "
        "padding to the longest row of each micro-batch.",
    )
    gradient_checkpointing: bool = False
    labelled_loss: bool = Field(
        True,
        description="Project only the labelled positions onto the vocabulary (same loss, less compute); "
        "single-process runs of plain-head architectures, else the stock forward.",
    )
    fast_lora_dropout: bool = Field(
        True,
        description="CPU: draw LoRA dropout masks from 16-bit random words (p in steps of 2^-16; speed in bench/README.md).",
    )
    fused_lora: bool = Field(
        True,
        description="CPU: fused LoRA linear layers (train/fused_lora.py): same maths as PEFT's without the "
        "out-sized scale and add passes (measured in bench/README.md).",
    )
    seed: int = 42
    threads: int | None = Field(
        None, ge=1, description="torch CPU threads (default: torch's choice); 1 is fastest on a busy machine."
    )

    max_train_examples: int | None = Field(None, ge=1, description="Use only the first N train examples.")
    max_val_examples: int | None = Field(None, ge=1, description="Use only the first N val examples.")

    logging_steps: int = Field(10, ge=1)
    eval_steps: int = Field(50, ge=1)
    save_steps: int = Field(
        50, ge=1, description="Checkpoint (with optimizer/scheduler state) every N steps."
    )
    save_total_limit: int = Field(
        3, ge=1, description="Keep the last K checkpoints (the best is always kept)."
    )
    early_stopping_patience: int | None = Field(None, ge=1, description="Evals without improvement.")
    early_stopping_threshold: float = Field(0.0, ge=0.0)
    eval_base: bool = Field(True, description="Evaluate the base model before step 0 (stored in run.json).")

    num_samples: int = Field(3, ge=0, description="Sample generations on fixed val prompts at each eval.")
    sample_max_new_tokens: int = Field(64, ge=1)
    divergence_factor: float = Field(
        5.0, gt=1.0, description="Stop when the train loss exceeds this multiple of the lowest logged loss."
    )
    tensorboard: bool = True

    @model_validator(mode="after")
    def _check_steps(self) -> TrainConfig:
        if self.save_steps % self.eval_steps:
            raise ValueError(
                f"save_steps ({self.save_steps}) must be a multiple of eval_steps ({self.eval_steps}) "
                "so that the best checkpoint by val loss is always saved"
            )
        if self.save_steps % self.logging_steps:
            raise ValueError(
                f"save_steps ({self.save_steps}) must be a multiple of logging_steps ({self.logging_steps}) "
                "so that a NaN/diverged loss is seen before a checkpoint is written"
            )
        return self

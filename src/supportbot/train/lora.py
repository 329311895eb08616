"""Adapters and memory: PEFT LoRA config, (Q)LoRA model setup, trainable-parameter report, memory estimate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from supportbot.core.errors import ConfigError
from supportbot.train.config import ATTENTION_MODULES, LoraConfig, QuantConfig

MLP_MODULES = ["gate_proj", "up_proj", "down_proj"]


def target_modules(cfg: LoraConfig) -> list[str] | str:
    """PEFT target_modules for 'attention', 'all-linear' or an explicit list."""
    if cfg.target_modules == "attention":
        return list(ATTENTION_MODULES)
    if cfg.target_modules == "all-linear":
        return "all-linear"  # PEFT: every nn.Linear except the output head
    return list(cfg.target_modules)


def peft_config(cfg: LoraConfig, num_layers: int | None = None) -> Any:
    """A peft.LoraConfig for causal-LM fine-tuning (optionally only the last `top_layers` blocks)."""
    from peft import LoraConfig as PeftLoraConfig
    from peft import TaskType

    layers = None
    if cfg.top_layers is not None:
        if num_layers is None or cfg.top_layers > num_layers:
            raise ConfigError(f"train.lora.top_layers={cfg.top_layers}: the model has {num_layers} layers")
        layers = list(range(num_layers - cfg.top_layers, num_layers))
        if cfg.target_modules == "all-linear":  # PEFT needs explicit names with layers_to_transform
            cfg = cfg.model_copy(update={"target_modules": ATTENTION_MODULES + MLP_MODULES})
    return PeftLoraConfig(
        layers_to_transform=layers,
        task_type=TaskType.CAUSAL_LM,
        r=cfg.r,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=target_modules(cfg),
        use_dora=cfg.use_dora,
        use_rslora=cfg.use_rslora,
        bias="none",
    )


def bitsandbytes_problem() -> str | None:
    """Why bitsandbytes cannot quantise here (None: it can, on CUDA or through its CPU backend)."""
    import importlib.util

    if importlib.util.find_spec("bitsandbytes") is None:
        return "bitsandbytes is not installed (pip install bitsandbytes==0.50.2)"
    if torch.cuda.is_available():
        return None
    try:
        import bitsandbytes.functional as bnb_f

        packed, _ = bnb_f.quantize_4bit(torch.randn(64, 64))  # the CPU backend's kernels, tried once
    except Exception as exc:  # an old bitsandbytes without a CPU backend raises all sorts of errors
        return f"bitsandbytes {_bnb_version()} has no CPU backend here ({exc.__class__.__name__}: {exc})"
    return None if packed.device.type == "cpu" else "bitsandbytes did not quantise on the CPU"


def _bnb_version() -> str:
    from importlib.metadata import version

    return version("bitsandbytes")


def check_quantization(quant: QuantConfig, allow_fallback: bool) -> tuple[QuantConfig, str | None]:
    """Fail fast on 4/8-bit where bitsandbytes cannot quantise, or fall back to 32-bit and say why."""
    if quant.bits not in (4, 8):
        return quant, None
    problem = bitsandbytes_problem()
    if problem is None:
        return quant, None
    problem = f"{quant.bits}-bit QLoRA: {problem}"
    if not allow_fallback:
        raise ConfigError(
            f"train.quantization.bits={quant.bits}: {problem}; "
            "use --allow-fallback to train unquantised instead, or --set train.quantization=none"
        )
    return quant.model_copy(
        update={"bits": 32}
    ), f"{problem}: falling back to unquantised 32-bit (--allow-fallback)"


def bnb_config(quant: QuantConfig, compute_dtype: torch.dtype) -> Any:
    """transformers BitsAndBytesConfig for 4-bit NF4 (double quant) or 8-bit."""
    from transformers import BitsAndBytesConfig

    if quant.bits == 4:
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=quant.quant_type,
            bnb_4bit_use_double_quant=quant.double_quant,
            bnb_4bit_compute_dtype=compute_dtype,
        )
    return BitsAndBytesConfig(load_in_8bit=True)


def attach_lora(model: Any, cfg: LoraConfig, quantized: bool, gradient_checkpointing: bool) -> Any:
    """Wrap the base model with a trainable LoRA adapter (preparing k-bit models first)."""
    from peft import get_peft_model, prepare_model_for_kbit_training

    if quantized:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
    elif gradient_checkpointing:
        model.enable_input_require_grads()  # frozen embeddings: checkpointed blocks still need grad inputs
    return get_peft_model(model, peft_config(cfg, getattr(model.config, "num_hidden_layers", None)))


@dataclass
class ParamReport:
    """Trainable vs total parameters."""

    trainable: int
    total: int

    @property
    def percent(self) -> float:
        """Trainable share in percent."""
        return 100.0 * self.trainable / max(self.total, 1)

    def line(self) -> str:
        """One human-readable line."""
        return f"trainable params: {self.trainable:,} / {self.total:,} ({self.percent:.3f}%)"


def param_report(model: Any) -> ParamReport:
    """Count trainable and total parameters (4-bit packed weights counted at their logical size)."""
    trainable = total = 0
    for p in model.parameters():
        n = p.numel()
        if p.__class__.__name__ == "Params4bit":
            n *= 2
        total += n
        if p.requires_grad:
            trainable += n
    return ParamReport(trainable, total)


def frozen_weight_bytes(model: Any) -> float:
    """Bytes of the frozen weights as stored: packed 4-bit (plus block scales) and int8 where bitsandbytes
    quantised them, their own dtype elsewhere (embeddings, norms and the lm_head stay unquantised)."""
    total = 0.0
    for p in model.parameters():
        if p.requires_grad:
            continue
        if p.__class__.__name__ == "Params4bit":
            total += p.numel() * 2 * _BYTES[4]  # numel() counts packed bytes: two weights each
        else:
            total += p.numel() * p.element_size()
    return total


_BYTES = {32: 4.0, 16: 2.0, 8: 1.0, 4: 0.55}  # 4-bit NF4 incl. block scales (~0.5 with double quant)


def memory_estimate(
    model: Any,
    params: ParamReport,
    weight_bits: int,
    micro_batch: int,
    seq_len: int,
    gradient_checkpointing: bool,
    act_bytes: int = 4,
    trained_layers: int | None = None,
    shards: int = 1,
) -> dict[str, float]:
    """Rough peak memory of the training tensors in GiB: frozen weights + adapter + grads + AdamW + activations.

    `shards` > 1 (FSDP): weights, adapter, gradients and optimizer state are split across that many processes,
    plus one decoder layer's weights gathered whole at a time.

    Activations per block ≈ s·b·h·(34 + 5·a·s/h) bytes at 16 bits (Korthikanti et al. 2022), scaled to
    `act_bytes`; the 5·a·s/h part is the attention matrix, which only eager attention keeps (SDPA and flash
    attention recompute it). With gradient checkpointing a block keeps only its input (b·s·h). Only the
    `trained_layers` blocks the backward pass reaches keep anything (LoRA on the top blocks: the ones below run
    without a graph), except with checkpointing, whose grad-requiring inputs put every block in the graph. Plus the fp32 logits and their gradient (2·b·s·V·4 bytes). The process itself (torch,
    tokenizer, data) comes on top.
    """
    c = model.config
    h, layers = c.hidden_size, c.num_hidden_layers
    heads, vocab = c.num_attention_heads, c.vocab_size
    b, s = micro_batch, seq_len
    frozen = params.total - params.trainable
    quantised = any(p.__class__.__name__ in ("Params4bit", "Int8Params") for p in model.parameters())
    # a loaded quantised model: its weights as stored; else what `weight_bits` would make of them
    weights = frozen_weight_bytes(model) if quantised else frozen * _BYTES[weight_bits]
    adapter = params.trainable * 4.0  # adapters train in fp32
    grads = params.trainable * 4.0
    optimizer = params.trainable * 8.0  # AdamW exp_avg + exp_avg_sq
    eager = getattr(c, "_attn_implementation", "eager") == "eager"
    block = s * b * h * (34 + (5 * heads * s / h if eager else 0)) * act_bytes / 2
    per_layer = b * s * h * act_bytes if gradient_checkpointing else block
    reached = layers if gradient_checkpointing else min(trained_layers or layers, layers)
    activations = per_layer * reached + (block if gradient_checkpointing else 0) + 2 * b * s * vocab * 4
    if shards > 1:
        weights = weights / shards + weights / layers
        adapter, grads, optimizer = adapter / shards, grads / shards, optimizer / shards
    gib = 1024**3
    parts = {
        "weights": weights / gib,
        "adapter": adapter / gib,
        "gradients": grads / gib,
        "optimizer": optimizer / gib,
        "activations": activations / gib,
    }
    parts["total"] = sum(parts.values())
    return parts


def format_memory(est: dict[str, float]) -> str:
    """One line: each part and the total in GiB."""
    parts = ", ".join(f"{k} {v:.2f}" for k, v in est.items() if k != "total")
    return f"memory estimate: {est['total']:.2f} GiB ({parts})"

"""FSDP2 in CPU processes (gloo).

accelerate turns FSDP on only for accelerators (`AcceleratorState` ignores the FSDP plugin when the processes
are CPU ones, accelerate 1.11-1.16), so `accelerate launch --config_file configs/accelerate/fsdp.yaml` on a
machine without a GPU silently ran plain data parallelism (MULTI_CPU). torch's `fully_shard` itself works over
gloo; this module switches the accelerator to FSDP after it is built, so the Trainer then takes accelerate's
own FSDP2 path (sharding, state dicts, checkpoints) exactly as it does on GPUs.
"""

from __future__ import annotations

import os
from typing import Any

from supportbot.core.errors import ConfigError


def fsdp_requested() -> bool:
    """True when the launcher asked for FSDP (`accelerate launch` with an FSDP config sets this variable)."""
    return os.environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true"


def check_fsdp_before_accelerator() -> None:
    """Without a GPU, refuse FSDP1 before accelerate builds its plugin (which fails there with "no available
    devices found"): FSDP1's flat parameters and `sync_module_states` need an accelerator; FSDP2 does not."""
    import torch

    if not fsdp_requested() or torch.cuda.is_available():
        return
    version = int(os.environ.get("FSDP_VERSION", "1"))
    if version != 2:
        raise ConfigError(
            f"FSDP on CPU processes needs FSDP2: set `fsdp_version: 2` in the accelerate config (got {version})"
        )


def enable_fsdp_on_cpu(accelerator: Any) -> bool:
    """Switch a multi-process CPU accelerator to FSDP2 when FSDP was asked for; True when it did."""
    from accelerate.state import PartialState
    from accelerate.utils import DistributedType, FullyShardedDataParallelPlugin

    state = accelerator.state
    if not fsdp_requested() or state.distributed_type != DistributedType.MULTI_CPU:
        return False
    plugin = FullyShardedDataParallelPlugin()  # reads the FSDP_* variables `accelerate launch` exported
    if state.mixed_precision != "no":  # as AcceleratorState does on accelerators (bf16 gathers and reduces)
        plugin.set_mixed_precision(state.mixed_precision)
    state.fsdp_plugin = plugin
    state.distributed_type = DistributedType.FSDP
    # as AcceleratorState does for its own FSDP: each later AcceleratorState() copies PartialState's type back
    PartialState._shared_state["distributed_type"] = DistributedType.FSDP
    return True


def base_eval_at_start(trainer: Any, record: Any) -> None:
    """Run the base-model eval when training begins and hand its metrics to `record`.

    FSDP2 cannot evaluate before `train()`: the Trainer would prepare the model without its optimizer, which
    accelerate refuses. At `on_train_begin` the model is sharded and the adapter still untrained (LoRA's B is
    zero), so this is the base model's val loss.
    """
    from transformers import TrainerCallback

    class _BaseEvalAtStart(TrainerCallback):
        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            trainer.callback_handler.remove_callback(self)
            record(trainer.evaluate(metric_key_prefix="base"))

    trainer.add_callback(_BaseEvalAtStart())


def load_adapter_into_sharded(model: Any, checkpoint: str | os.PathLike[str]) -> None:
    """Load a checkpoint's PEFT adapter (adapter_model.safetensors) into an FSDP2-sharded model.

    The Trainer resumes a PEFT model through `load_adapter`, whose plain `load_state_dict` does not reach FSDP2's
    sharded parameters (a resumed run drifted from the uninterrupted one). torch's `set_model_state_dict` with a
    full state dict shards each tensor onto its owner. Every rank reads the (small) adapter file.
    """
    from pathlib import Path

    from safetensors.torch import load_file
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    path = Path(checkpoint) / "adapter_model.safetensors"
    if not path.is_file():
        raise ConfigError(f"resume: {path} is missing; FSDP checkpoints keep the adapter there")
    saved = load_file(str(path))
    adapter = model.active_adapter
    # the file drops the adapter name from each key (`lora_A.weight`); the model has it (`lora_A.default.weight`)
    trainable = {n.replace(f".{adapter}.", "."): n for n, p in model.named_parameters() if p.requires_grad}
    missing = sorted(set(trainable) - set(saved))
    unknown = sorted(set(saved) - set(trainable))
    if missing or unknown:
        raise ConfigError(
            f"resume: {path} does not match the model's adapter "
            f"(missing {missing[:3]}{'...' if len(missing) > 3 else ''}, unexpected {unknown[:3]})"
        )
    state = {trainable[k]: v for k, v in saved.items()}
    set_model_state_dict(model, state, options=StateDictOptions(full_state_dict=True, strict=False))


def fsdp_settings(accelerator: Any) -> dict[str, Any]:
    """What FSDP ran with, for run.json: version, resharding, checkpoint state dict, mixed-precision dtypes."""
    plugin = accelerator.state.fsdp_plugin
    policy = plugin.mixed_precision_policy
    return {
        "version": plugin.fsdp_version,
        "reshard_after_forward": str(plugin.reshard_after_forward),
        "state_dict_type": str(plugin.state_dict_type).split(".")[-1],
        "param_dtype": str(policy.param_dtype) if policy is not None else None,
        "reduce_dtype": str(policy.reduce_dtype) if policy is not None else None,
    }

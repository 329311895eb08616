"""QLoRA through bitsandbytes' CPU backend: 4-bit and 8-bit LoRA runs train, resume, export and reload, and the
adapter they save is a plain PEFT adapter that loads on the unquantised base."""

from __future__ import annotations

import json
import shutil

import pytest

from supportbot.config import load_recipe
from supportbot.core.config import GenerationConfig
from supportbot.core.generation import generate
from supportbot.core.models import load_model
from supportbot.core.prompt import build_messages
from supportbot.train.lora import bitsandbytes_problem
from supportbot.train.run import train
from supportbot.train.rundir import resolve_run_dir

from .conftest import tiny_overrides

pytestmark = pytest.mark.skipif(
    bitsandbytes_problem() is not None, reason=f"bitsandbytes cannot quantise here: {bitsandbytes_problem()}"
)
STEPS = {
    "train.max_steps": 8,
    "train.save_steps": 4,
    "train.eval_steps": 4,
    "train.logging_steps": 2,
    "train.num_samples": 0,
    "train.eval_base": False,
    "train.lora.dropout": 0.0,
    "train.save_total_limit": 3,
}
QUESTIONS = ["How do I reset my password?", "Why was my card declined?"]
GEN = GenerationConfig(max_new_tokens=8, repetition_penalty=1.0)


def _answers(spec: str) -> list[str]:
    lm = load_model(spec)
    return [g.text for g in generate(lm, [build_messages(q, GEN.system_prompt) for q in QUESTIONS], GEN)]


@pytest.mark.parametrize(
    ("shorthand", "bits", "layer"), [("4bit", 4, "Linear4bit"), ("8bit", 8, "Linear8bitLt")]
)
def test_quantised_lora_trains_resumes_exports_and_reloads(processed, tmp_path, shorthand, bits, layer):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from supportbot.ship.export import export_run

    sets = tiny_overrides(processed, tmp_path / "runs", **STEPS, **{"train.quantization": shorthand})
    done = train(load_recipe(None, sets)).run
    manifest = done.read_manifest()
    assert manifest["status"] == "completed" and manifest["quantization_bits"] == bits
    assert manifest["speedups"]["fused_lora_layers"] == 0  # bitsandbytes LoRA layers keep PEFT's forward
    losses = [json.loads(x)["loss"] for x in done.metrics.read_text().splitlines() if '"loss"' in x]
    assert losses[-1] < losses[0]  # it learns
    # the quantised layers really were quantised: load the base the way training does
    from supportbot.train.config import QuantConfig
    from supportbot.train.run import load_for_training

    lm = load_for_training("tiny-random", QuantConfig(bits=bits), "fp32", 0)
    assert layer in {type(m).__name__ for m in lm.model.modules()}

    # resume: drop the last checkpoint, mark the run unfinished, resume from step 4 to the same end
    copy = tmp_path / "copy"
    shutil.copytree(done.root, copy)
    shutil.rmtree(copy / "checkpoints" / "checkpoint-8")
    resolve_run_dir(copy).update_manifest(status="interrupted")
    resumed = train(load_recipe(None, []), resume=str(copy)).run.read_manifest()
    assert resumed["status"] == "completed" and resumed["global_step"] == 8
    assert resumed["final_train_loss"] == pytest.approx(manifest["final_train_loss"], rel=2e-3)

    # a plain PEFT adapter: it loads with PEFT alone on the unquantised fp32 base
    adapter = done.root / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA"
    base = AutoModelForCausalLM.from_pretrained(str(_tiny_dir()))
    plain = PeftModel.from_pretrained(base, adapter)
    assert all(p.dtype.is_floating_point for p in plain.parameters())

    # export to the registry and reload by reference: the same greedy answers as the run dir
    from supportbot.core.artifacts import resolve_reference

    export_run(done.root, "v1", tmp_path / "registry", name=f"q{bits}")
    exported = resolve_reference(f"registry:q{bits}@v1", tmp_path / "registry")
    assert _answers(str(done.root)) == _answers(str(exported))


def _tiny_dir():
    from supportbot.train.run import _tiny_random_dir

    return _tiny_random_dir()

"""Preference tuning on the tiny model: DPO on top of a real SFT run grows the chosen/rejected margin, resumes
to the same adapter, exports to the registry; ORPO and KTO train through the same run dir."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from supportbot.config import load_recipe
from supportbot.core.errors import DataError
from supportbot.train.run import train

from .conftest import TOPICS, tiny_overrides, write_splits

WRONG = "Please wait 90 business days and send your PIN to support by e-mail."


def write_pairs(root, n_train: int = 24, n_val: int = 6):
    """Preference splits in prepare-preferences' format: the right answer over a wrong, specific one."""
    root.mkdir(parents=True)
    for split, n in (("train", n_train), ("val", n_val)):
        rows = []
        for i in range(n):
            q, a = TOPICS[i % len(TOPICS)]
            rows.append({"id": f"{split}-{i}", "inputs": {"question": f"{q} (case {i})", "context": None, "history": []},
                         "chosen": a, "rejected": WRONG, "meta": {"source": "test", "group": f"g{i}"}})  # fmt: skip
        (root / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "manifest.json").write_text(json.dumps({"dataset_hash": "sha256:prefs"}))
    return root


def dpo_overrides(prefs, runs, sft_root, **extra):
    base = {"train.objective": "dpo", "train.init_adapter": str(sft_root), "train.eval_base": False,
            "train.precision": "fp32", "train.lora.dropout": 0.0, "train.save_total_limit": 3, "train.lr": 5e-3}  # fmt: skip
    return tiny_overrides(prefs, runs, **{**base, **extra})


@pytest.fixture(scope="module")
def sft_and_dpo(tmp_path_factory):
    """A tiny SFT run, and a DPO run on top of it (12 steps, checkpoints every 4)."""
    root = tmp_path_factory.mktemp("pref")
    sft = train(
        load_recipe(
            None, tiny_overrides(write_splits(root / "processed"), root / "runs", **{"train.run_name": "sft"})
        )
    )
    prefs = write_pairs(root / "prefs")
    dpo = train(
        load_recipe(None, dpo_overrides(prefs, root / "runs", sft.run.root, **{"train.run_name": "dpo"}))
    )
    return root, prefs, sft, dpo


def test_dpo_starts_at_the_sft_reference_and_grows_the_margin(sft_and_dpo):
    _, _, sft, dpo = sft_and_dpo
    rows = [json.loads(x) for x in dpo.run.metrics.read_text().splitlines()]
    first = next(r for r in rows if "loss" in r and "rewards/margins" in r)
    assert first["loss"] == pytest.approx(0.6931, abs=1e-3)  # policy == reference (the SFT adapter) at step 0
    margins = [r["eval_rewards/margins"] for r in rows if "eval_rewards/margins" in r]
    assert len(margins) == 3 and margins[0] < margins[-1] and margins[-1] > 0
    m = dpo.run.read_manifest()
    assert m["objective"] == "dpo" and m["init_adapter"] == str(sft.run.root)
    assert m["eval_rewards_margins"]["last"] > m["eval_rewards_margins"]["first"]
    assert m["eval_rewards_accuracies"]["last"] >= 0.5
    assert all(r["tokens_per_s"] > 0 for r in rows if "loss" in r and "tokens_per_s" in r)
    from supportbot.train.report import write_report

    report = write_report(dpo.run.root)
    assert (dpo.run.root / "rewards.png").is_file() and "val reward margin" in report.markdown


def test_the_dpo_adapter_is_a_plain_peft_adapter_on_the_base(sft_and_dpo):
    _, _, _, dpo = sft_and_dpo
    adapter = dpo.run.adapter
    assert sorted(p.name for p in adapter.iterdir() if p.name.startswith("adapter_")) == [
        "adapter_config.json",
        "adapter_model.safetensors",
    ]
    assert not (adapter / "reference").exists()  # the frozen reference copy stays out of the result
    assert json.loads((adapter / "supportbot.json").read_text()) == {
        "base_model": "tiny-random",
        "objective": "dpo",
    }
    from supportbot.core.models import load_model

    lm = load_model(str(dpo.run.root))
    assert lm.adapter and lm.name == "tiny-random"


def test_eval_overlap_check_reads_a_preference_run_s_training_pairs(sft_and_dpo):
    """`eval`'s training-overlap warning reads the run's data dir, here preference pairs (their chosen answer)."""
    from supportbot.core.suites import Question
    from supportbot.eval.pipeline import training_overlap

    _, _, _, dpo = sft_and_dpo
    q, a = TOPICS[0]
    hits = training_overlap(
        str(dpo.run.root), [Question("q1", f"{q} (case 0)", a), Question("q2", "Unrelated?", "No.")]
    )
    assert len(hits) == 1 and hits[0].startswith("q1 ")


def test_dpo_resumes_from_a_checkpoint_to_the_same_adapter(sft_and_dpo):
    root, _, _, dpo = sft_and_dpo
    crashed = root / "runs" / f"{dpo.run.id}-crashed"
    shutil.copytree(dpo.run.root, crashed)
    for ckpt in ("checkpoint-8", "checkpoint-12"):  # as if killed right after the step-4 checkpoint
        shutil.rmtree(crashed / "checkpoints" / ckpt)
    shutil.rmtree(crashed / "adapter")
    manifest = json.loads((crashed / "run.json").read_text())
    (crashed / "run.json").write_text(json.dumps({**manifest, "status": "running"}))
    resumed = train(load_recipe(None), resume=crashed)
    assert resumed.summary["status"] == "completed" and resumed.summary["global_step"] == 12
    assert resumed.summary["final_val_loss"] == pytest.approx(dpo.summary["final_val_loss"], rel=1e-4)
    assert resumed.summary["adapter_sha256_by_rank"] == dpo.summary["adapter_sha256_by_rank"]


def test_dpo_on_completion_logits_only_matches_full_logits(sft_and_dpo):
    """The LM head run from the first completion token on (the default) gives the full-logits run's losses,
    reward margins and val loss: the speed-up changes no number."""
    root, prefs, sft, dpo = sft_and_dpo
    full = train(
        load_recipe(
            None,
            dpo_overrides(prefs, root / "runs", sft.run.root, **{
                "train.run_name": "dpo-full-logits", "train.preference.completion_logits_only": False}),
        )
    )  # fmt: skip

    def logged(run):
        rows = [json.loads(x) for x in run.run.metrics.read_text().splitlines()]
        return [
            (r["step"], r["loss"], r["rewards/margins"])
            for r in rows
            if "rewards/margins" in r and "loss" in r
        ]

    def logits_to_keep_setting(run):
        args = torch.load(run.run.checkpoints / "checkpoint-4" / "training_args.bin", weights_only=False)
        return args.use_logits_to_keep

    assert logits_to_keep_setting(dpo) is True and logits_to_keep_setting(full) is False
    ours, theirs = logged(dpo), logged(full)
    assert len(ours) >= 3 and [r[0] for r in ours] == [r[0] for r in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert a[1:] == pytest.approx(b[1:], rel=1e-4, abs=1e-6)
    assert dpo.summary["final_val_loss"] == pytest.approx(full.summary["final_val_loss"], rel=1e-4)


def test_dpo_run_exports_to_the_registry_and_loads_from_it(sft_and_dpo, tmp_path):
    _, _, _, dpo = sft_and_dpo
    from supportbot.core.artifacts import resolve_reference
    from supportbot.core.models import load_model
    from supportbot.ship.export import export_run

    entry = export_run(dpo.run.root, "v1", tmp_path / "registry", name="helpdesk-dpo", results_root=tmp_path)
    exported = resolve_reference("registry:helpdesk-dpo@v1", tmp_path / "registry")
    assert entry.version == "v1" and (exported / "adapter_model.safetensors").is_file()
    assert load_model(str(exported), dtype="float32").adapter


@pytest.mark.parametrize("objective", ["orpo", "kto"])
def test_orpo_and_kto_train_through_the_same_run_dir(sft_and_dpo, objective):
    root, prefs, _, _ = sft_and_dpo
    steps = {"train.run_name": objective, "train.objective": objective, "train.max_steps": 4, "train.eval_steps": 4,
             "train.save_steps": 4}  # fmt: skip
    if objective == "orpo":
        steps["train.init_adapter"] = "null"  # ORPO has no reference model: it may start from a fresh LoRA
    res = train(load_recipe(None, dpo_overrides(prefs, root / "runs", root / "runs" / "last", **steps)))
    assert res.summary["status"] == "completed" and res.summary["rewards_margins"]
    assert res.run.read_manifest()["objective"] == objective


def test_a_bad_pair_is_named_by_file_line_and_field(sft_and_dpo, tmp_path):
    root, _, sft, _ = sft_and_dpo
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "train.jsonl").write_text(
        json.dumps({"inputs": {"question": "q"}, "chosen": "a", "rejected": ""}) + "\n"
    )
    (bad / "val.jsonl").write_text((bad / "train.jsonl").read_text())
    with pytest.raises(DataError, match=r"train.jsonl:1: field 'rejected' must be a non-empty string"):
        train(load_recipe(None, dpo_overrides(bad, tmp_path / "runs", sft.run.root)))

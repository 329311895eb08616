"""The eval pipeline: resolve models, answer the suite with both, judge, measure, and write the report."""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core.errors import ConfigError
from supportbot.core.spec import is_endpoint, parse_spec
from supportbot.core.suites import SuiteFile
from supportbot.eval.runner import (
    Answerer,
    answer_suite,
    make_answerer,
    read_answers,
)

MANIFEST = "eval.json"


@dataclass
class EvalRequest:
    """What the user asked for on the command line (config holds the rest)."""

    model: str
    base: str | None = None  # None: the tuned model's own base when it is an adapter; "none": no base
    judge_model: str | None = None
    api_key: str | None = None
    model_name: str | None = None
    base_model_name: str | None = None
    out: str | None = None
    fresh: bool = False
    progress: bool = True


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:48] or "model"


def default_base(model: str) -> str | None:
    """The base a tuned model is compared with by default: its adapter's base model (else none)."""
    parsed = parse_spec(model)
    return parsed.base if parsed.adapter is not None else None


_TRAIN_KEYS = re.compile(
    r"seconds|time|hardware|device|cost|usd|price|steps|epoch|base_model|^id$|run_id|started|finished|status"
)


def training_info(spec: str, prices: Any = None) -> dict[str, Any]:
    """Training time/cost fields from the run dir's run.json (empty when the model is not a run dir).

    When run.json has a training time but no cost, the cost is estimated with the eval price table.
    """
    run_json = parse_spec(spec).run_json
    if run_json is None:
        return {}
    try:
        data = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"run_json": str(run_json), "error": "unreadable"}
    info: dict[str, Any] = {"run_dir": str(run_json.parent.resolve())}
    for key, value in data.items() if isinstance(data, dict) else []:
        if not _TRAIN_KEYS.search(key):
            continue
        if isinstance(value, str | int | float | bool) or value is None:
            info[key] = value
        elif isinstance(value, dict):
            info.update(
                {f"{key}.{k}": v for k, v in value.items() if isinstance(v, str | int | float | bool)}
            )
    seconds = next((v for k, v in info.items() if "seconds" in k and isinstance(v, int | float)), None)
    if prices is not None and seconds and not any("cost" in k or "usd" in k for k in info):
        hour = prices.gpu_hour if info.get("hardware.cuda") else prices.cpu_hour
        info["train_cost_usd_estimated"] = round(seconds / 3600 * hour, 4)
    return info


def check_manifest(out_dir: Path, manifest: dict[str, Any], fresh: bool) -> None:
    """Refuse to resume into a results dir made with other models/settings (unless --fresh wipes it)."""
    path = out_dir / MANIFEST
    if fresh and out_dir.exists():
        for name in ("answers.jsonl", "judgements.jsonl", MANIFEST):
            (out_dir / name).unlink(missing_ok=True)
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        diff = sorted(k for k in set(old) | set(manifest) if old.get(k) != manifest.get(k))
        if diff:
            raise ConfigError(
                f"{out_dir} holds answers made with different {', '.join(diff)}; "
                "pass --fresh to start over there, or --out for a new results dir"
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def load_answerers(cfg: Any, req: EvalRequest, base: str | None) -> list[Answerer]:
    """Tuned (and base) answerers; the base reuses the tuned model with its adapter off when it can."""
    tuned = make_answerer("tuned", req.model, cfg, req.model_name, req.api_key)
    if not base:
        return [tuned]
    reuse = None
    if (
        cfg.eval.reuse_base_from_adapter
        and tuned.kind == "local"
        and tuned.info.get("adapter")
        and default_base(req.model) == base
    ):
        reuse = tuned.lm
    return [tuned, make_answerer("base", base, cfg, req.base_model_name, req.api_key, reuse=reuse)]


def finished_answerer(label: str, spec: str, rows: dict[tuple[str, str], dict[str, Any]]) -> Answerer:
    """A stand-in for a model whose answers are all on disk already (nothing is loaded)."""

    def refuse(*_: Any) -> list[Any]:
        raise RuntimeError(f"{label}: every answer is already in answers.jsonl")

    device = next((r.get("device", "cpu") for (lbl, _), r in rows.items() if lbl == label), "cpu")
    kind = "endpoint" if is_endpoint(spec) else "local"
    adapter = parse_spec(spec).adapter if kind == "local" and label == "tuned" else None
    info = {"name": spec, "adapter": str(adapter) if adapter else None, "resumed": True}
    return Answerer(label, spec, kind, device, refuse, info=info)


def open_results_dir(
    req: EvalRequest, out_root: str, suite_name: str, manifest: dict[str, Any], base: str | None
) -> tuple[str, Path]:
    """(eval id, results dir) for this manifest: `<suite>__<model>__vs__<base>__<hash>` unless --out is given."""
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:8]
    vs = f"__vs__{_slug(parse_spec(base).display_name)}" if base else ""
    eval_id = (
        Path(req.out).name
        if req.out
        else f"{_slug(suite_name)}__{_slug(parse_spec(req.model).display_name)}{vs}__{digest}"
    )
    out_dir = Path(req.out) if req.out else Path(out_root) / eval_id
    check_manifest(out_dir, manifest, req.fresh)
    return eval_id, out_dir


def open_answerers(
    cfg: Any, req: EvalRequest, base: str | None, question_ids: list[str], out_dir: Path
) -> list[Answerer]:
    """Answerers for tuned (and base); replayed from answers.jsonl when every answer is already there."""
    existing = read_answers(out_dir / "answers.jsonl")
    specs = {"tuned": req.model, **({"base": base} if base else {})}
    if all((lbl, qid) in existing for lbl in specs for qid in question_ids):
        return [finished_answerer(lbl, spec, existing) for lbl, spec in specs.items()]
    return load_answerers(cfg, req, base)


def run_eval(cfg: Any, req: EvalRequest) -> tuple[Path, dict[str, Any]]:
    """Answer, judge and report; returns the results dir and the metrics written to metrics.json.

    A support suite is answered closed-book or with retrieved context and judged against references; a
    grounded suite (troubleshoot requests) is answered through retrieval + the JSON contract and scored on
    JSON correctness and citations. Both share the results dir, answer loop, resumption and timing.
    """
    from supportbot.core.suites import read_suite

    ecfg = cfg.eval
    suite = read_suite(ecfg.suite)  # read once; a missing or malformed suite fails here, named
    if ecfg.threads:
        import torch

        torch.set_num_threads(ecfg.threads)
        if cfg.model.gguf.threads == 0:
            cfg.model.gguf.threads = ecfg.threads
    base = default_base(req.model) if req.base is None else (None if req.base.lower() == "none" else req.base)
    gen = cfg.generation
    manifest = {
        "model": req.model,
        "model_fingerprint": parse_spec(req.model).fingerprint(req.model_name),
        "base": base,
        "base_fingerprint": parse_spec(base).fingerprint(req.base_model_name) if base else None,
        "suite_sha256": suite.sha256,
        "generation": gen.model_dump(mode="json"),
        "max_new_tokens": ecfg.max_new_tokens or gen.max_new_tokens,
    }
    if cfg.model.backend != "hf":  # (absent for hf, so earlier results dirs keep their ids)
        manifest["backend"] = {"name": cfg.model.backend, "gguf_type": cfg.model.gguf.type}
    run = _run_grounded if suite.grounded else _run_support
    return run(cfg, req, base, suite, manifest)


@dataclass
class _Answered:
    """What the shared part of an eval run leaves for its mode: where, who, their answers and the timings."""

    eval_id: str
    out_dir: Path
    answerers: list[Answerer]
    answers: dict[str, dict[str, dict[str, Any]]]
    timings: dict[str, float]
    started: float


def _open_and_answer(
    cfg: Any,
    req: EvalRequest,
    base: str | None,
    suite_name: str,
    manifest: dict[str, Any],
    ids: list[str],
    answer: Any,
) -> _Answered:
    """Open (or resume) the results dir, load the answerers and let `answer(answerer, answers_path)` answer."""
    eval_id, out_dir = open_results_dir(req, cfg.eval.out_dir, suite_name, manifest, base)
    started = time.perf_counter()
    answerers = open_answerers(cfg, req, base, ids, out_dir)
    answers: dict[str, dict[str, dict[str, Any]]] = {}
    timings: dict[str, float] = {"load_s": round(time.perf_counter() - started, 2)}
    for a in answerers:
        t0 = time.perf_counter()
        answers[a.label] = answer(a, out_dir / "answers.jsonl")
        timings[f"answer_{a.label}_s"] = round(time.perf_counter() - t0, 2)
    return _Answered(eval_id, out_dir, answerers, answers, timings, started)


def _run_support(
    cfg: Any, req: EvalRequest, base: str | None, raw: SuiteFile, manifest: dict[str, Any]
) -> tuple[Path, dict[str, Any]]:
    from supportbot.core.suites import check_kb_ids, load_kb, load_suite
    from supportbot.eval.report import write_outputs
    from supportbot.eval.scoring import judge_and_measure

    ecfg = cfg.eval
    if ecfg.judge == "llm" and not (req.judge_model or ecfg.llm_judge.model):
        raise ConfigError("--judge llm needs a judge model: --judge-model <name|dir|http://host/v1>")
    suite = load_suite(raw)
    kb = load_kb(ecfg.kb_dir)
    check_kb_ids(suite, kb)
    questions = suite.questions[: ecfg.limit] if ecfg.limit else suite.questions
    ctx_cfg, ctx_source = eval_context(ecfg, req.model)
    contexts, retrieval = retrieve_contexts(ctx_cfg, questions)
    if ctx_cfg is not None:  # only then, so closed-book results keep their ids
        manifest["context"] = ctx_cfg.model_dump(mode="json")
        retrieval["source"] = ctx_source
    overlap = training_overlap(req.model, questions)
    if overlap:
        import sys

        print(
            f"warning: {len(overlap)} suite item(s) overlap the tuned run's training data, so their scores "
            f"measure recall, not generalisation: {', '.join(overlap[:20])}{' ...' if len(overlap) > 20 else ''}",
            file=sys.stderr,
        )

    def answer(a: Answerer, path: Path) -> dict[str, dict[str, Any]]:
        gen, bs, mnt = cfg.generation, ecfg.batch_size, ecfg.max_new_tokens
        return answer_suite(a, questions, gen, path, bs, mnt, req.progress, contexts)

    done = _open_and_answer(cfg, req, base, suite.name, manifest, [q.id for q in questions], answer)
    t0 = time.perf_counter()
    metrics = judge_and_measure(cfg, req, suite, questions, kb, done.answerers, done.answers, done.out_dir)
    done.timings["judge_s"] = round(time.perf_counter() - t0, 2)
    done.timings["total_s"] = round(time.perf_counter() - done.started, 2)
    metrics.update(
        eval_id=done.eval_id,
        out_dir=str(done.out_dir),
        training=training_info(req.model, ecfg.prices),
        retrieval=retrieval,
        timing=done.timings,
        manifest=manifest,
        training_overlap=overlap,
    )
    write_outputs(done.out_dir, metrics, cfg)
    return done.out_dir, metrics


def _run_grounded(
    cfg: Any, req: EvalRequest, base: str | None, raw: SuiteFile, manifest: dict[str, Any]
) -> tuple[Path, dict[str, Any]]:
    """Troubleshoot requests answered as /v1/troubleshoot answers them (serve's troubleshoot settings)."""
    from supportbot.eval.grounded import aggregate_grounded, answer_grounded, load_grounded_suite
    from supportbot.eval.grounded_report import write_grounded_report
    from supportbot.eval.report import write_csv
    from supportbot.grounded.config import troubleshoot_settings
    from supportbot.retrieval.index import open_index

    ecfg, rcfg = cfg.eval, cfg.retrieval
    ts = troubleshoot_settings(cfg.serve.troubleshoot, rcfg)  # exactly what /v1/troubleshoot answers with
    header, questions = load_grounded_suite(raw)
    questions = questions[: ecfg.limit] if ecfg.limit else questions
    index, how = open_index(ts.index_dir, ts.kb_dir, build=True, cfg=rcfg)
    k, budget = ts.k, ecfg.max_new_tokens or ts.max_new_tokens
    retrieval = {"kb_hash": index.manifest.get("kb_hash"), "k": k}
    manifest.update(mode="grounded", retrieval={**retrieval, "config": index.manifest.get("config")})
    manifest.update(max_new_tokens=budget, retries=ts.retries)
    if ts.guided:
        manifest["guided"] = True

    def answer(a: Answerer, path: Path) -> dict[str, dict[str, Any]]:
        gen, bs = cfg.generation, ecfg.batch_size
        return answer_grounded(
            a, questions, index, k, gen, path, bs, budget, ts.retries, req.progress, ts.guided
        )

    done = _open_and_answer(cfg, req, base, header["name"], manifest, [q.id for q in questions], answer)
    metrics = aggregate_grounded(done.answers, questions, set(index.by_id))
    done.timings["total_s"] = round(time.perf_counter() - done.started, 2)
    metrics.update(
        mode="grounded",
        eval_id=done.eval_id,
        out_dir=str(done.out_dir),
        suite={"path": str(ecfg.suite), "n_questions": metrics.pop("n_answered"), **header},
        models={
            a.label: {"spec": a.spec, "kind": a.kind, "device": a.device, **a.info} for a in done.answerers
        },
        retrieval={"index_dir": ts.index_dir, "index": how, **retrieval},
        training=training_info(req.model, ecfg.prices),
        timing=done.timings,
        manifest=manifest,
    )
    path = done.out_dir / "metrics.json"
    path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    write_csv(done.out_dir, metrics)
    write_grounded_report(done.out_dir, metrics, done.answers, questions, ecfg.examples)
    return done.out_dir, metrics


def eval_context(ecfg: Any, model: str) -> tuple[Any, str | None]:
    """The retrieval context both models read: eval.context, else the one the tuned model was trained with."""
    if ecfg.context is not None:
        return ecfg.context, "eval.context"
    if not ecfg.context_from_model:
        return None, None
    from supportbot.retrieval.context import trained_context

    trained = trained_context(model)
    return (trained, "train.context of the tuned model") if trained is not None else (None, None)


def retrieve_contexts(
    ctx_cfg: Any, questions: list[Any]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Retrieved context per question id, and the retrieval's article-level recall@k on the suite's kb_ids."""
    if ctx_cfg is None:
        return None, None
    from supportbot.retrieval.context import ContextRetriever

    found = ContextRetriever(ctx_cfg).retrieve([q.question for q in questions])
    gold = [(set(q.kb_ids), set(c.article_ids)) for q, c in zip(questions, found, strict=True) if q.kb_ids]
    recall = sum(bool(g & r) for g, r in gold) / len(gold) if gold else None
    summary = {
        "index_dir": ctx_cfg.index_dir,
        "k": ctx_cfg.k,
        "questions_with_gold": len(gold),
        "recall_at_k": round(recall, 4) if recall is not None else None,
    }
    return {q.id: c for q, c in zip(questions, found, strict=True)}, summary


def training_overlap(model: str, questions: list[Any], threshold: float = 0.5) -> list[str]:
    """Suite items whose reference answer (or question) is >= `threshold` Jaccard-close to a training example
    of the tuned run, as 'q007 (answer 0.83 ~ qa-0012)'; empty when the model is not a run dir."""
    run_json = parse_spec(model).run_json
    if run_json is None:
        return []
    try:
        data_dir = json.loads(run_json.read_text(encoding="utf-8")).get("data", {}).get("dir")
    except (OSError, json.JSONDecodeError, AttributeError):
        return []
    train = Path(data_dir or "", "train.jsonl")
    if not data_dir or not train.is_file():
        return []
    from supportbot.data.leakage import find_leaks

    records = [
        _as_record(json.loads(line)) for line in train.read_text(encoding="utf-8").splitlines() if line
    ]
    items = [{"id": q.id, "question": q.question, "reference_answer": q.reference_answer} for q in questions]
    leaks = find_leaks(records, items, 0.8, answer_threshold=threshold)
    worst: dict[str, Any] = {}
    for leak in leaks:
        if leak.question_id not in worst or leak.similarity > worst[leak.question_id].similarity:
            worst[leak.question_id] = leak
    return [f"{k} ({v.field} {v.similarity:.2f} ~ {v.record_id})" for k, v in sorted(worst.items())]


def _as_record(row: dict[str, Any]) -> Any:
    """A training row as a Record: an SFT example, or a preference pair read as its chosen answer."""
    from supportbot.data.schema import Record

    if "chosen" in row and "outputs" not in row:
        row = {"id": row["id"], "inputs": row["inputs"], "outputs": {"answer": row["chosen"]}}
        row["inputs"] = {
            k: v for k, v in row["inputs"].items() if k in ("question", "context", "history", "system")
        }
    return Record.model_validate(row)


def rejudge(cfg: Any, src: str | Path, out: str | None = None) -> tuple[Path, dict[str, Any]]:
    """Score the saved answers of a results dir with the current judge and config into a new results dir.

    Nothing is generated: the answers, models, retrieval and training info are those of `src`. With an
    unchanged judge and config the new metrics equal the old ones.
    """
    import shutil

    from supportbot.core.errors import DataError
    from supportbot.core.suites import check_kb_ids, load_kb, load_suite, read_suite
    from supportbot.eval.report import write_outputs
    from supportbot.eval.scoring import judge_and_measure

    src = Path(src)
    for name in ("metrics.json", "answers.jsonl"):
        if not (src / name).is_file():
            raise DataError(f"--rejudge {src}: no {name} there (not a finished results dir)")
    old = json.loads((src / "metrics.json").read_text(encoding="utf-8"))
    ecfg = cfg.eval
    raw = read_suite(old.get("suite", {}).get("path") or ecfg.suite)
    suite = load_suite(raw)
    kb = load_kb(ecfg.kb_dir)
    check_kb_ids(suite, kb)
    rows = read_answers(src / "answers.jsonl")
    labels = [m for m in ("tuned", "base") if m in old.get("models", {})]
    questions = [q for q in suite.questions if all((lbl, q.id) in rows for lbl in labels)]
    if not questions:
        raise DataError(f"--rejudge {src}: answers.jsonl has no answer to any question of {suite.path}")
    specs = {lbl: old["models"][lbl]["spec"] for lbl in labels}
    answerers = [finished_answerer(lbl, spec, rows) for lbl, spec in specs.items()]
    answers = {lbl: {q.id: rows[(lbl, q.id)] for q in questions} for lbl in labels}
    digest = hashlib.sha256(json.dumps(ecfg.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:8]
    out_dir = Path(out) if out else src.parent / f"{src.name}__rejudged-{ecfg.judge}-{digest}"
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / "answers.jsonl").resolve() != (src / "answers.jsonl").resolve():
        shutil.copyfile(src / "answers.jsonl", out_dir / "answers.jsonl")
    req = EvalRequest(
        model=specs["tuned"] if "tuned" in specs else next(iter(specs.values())), progress=False
    )
    metrics = judge_and_measure(cfg, req, suite, questions, kb, answerers, answers, out_dir)
    metrics["models"] = old["models"]
    metrics.update(
        eval_id=out_dir.name,
        out_dir=str(out_dir),
        training=old.get("training", {}),
        retrieval=old.get("retrieval"),
        timing=old.get("timing", {}),
        manifest=old.get("manifest", {}),
        rejudged_from={
            "results_dir": str(src),
            "suite_changed": raw.sha256 != old.get("manifest", {}).get("suite_sha256"),
        },
    )
    if old.get("training_overlap") is not None:
        metrics["training_overlap"] = old["training_overlap"]
    write_outputs(out_dir, metrics, cfg)
    return out_dir, metrics

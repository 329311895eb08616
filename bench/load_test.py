"""Bounded loopback load test: N requests at concurrency C against a real server, batching off then on.

    python bench/load_test.py --model smollm2-135m --requests 200 --concurrency 8 --max-new-tokens 32

Starts `uvicorn api.app:app` on a free 127.0.0.1 port for each mode, reports throughput and p50/p95 latency,
fails if any request is lost or answered with a 5xx, and writes results/bench/load_test-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-load-test-key-0123456789"
PROMPTS = [
    "My video KYC says WINDOW_CLOSED. What should I do?",
    "How do I reset my UPI PIN?",
    "Why was my card payment declined?",
    "When will my refund arrive?",
]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(model: str, batching: bool, max_batch: int, tmp: Path) -> tuple[subprocess.Popen, str]:
    """Start a server for one mode and wait for /readyz."""
    cfg = {
        "model": {"name": model},
        "serve": {
            "batching": {"enabled": batching, "max_wait_ms": 15, "max_batch": max_batch},
            "max_queue": 1024,
            "request_timeout_s": 600,
        },
    }
    path = tmp / f"load-{batching}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    port = free_port()
    env = {**os.environ, "SUPPORTBOT_CONFIG": str(path), "SUPPORTBOT_API_KEYS": KEY, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("server not ready within 300 s")


async def drive(url: str, n: int, concurrency: int, max_new_tokens: int, timeout: float) -> dict:
    """Send n /generate requests, at most `concurrency` in flight; collect statuses and latencies."""
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    tokens = 0

    async def one(i: int, client: httpx.AsyncClient) -> None:
        nonlocal tokens
        async with sem:
            started = time.perf_counter()
            try:
                r = await client.post(
                    "/generate", json={"prompt": PROMPTS[i % len(PROMPTS)], "max_new_tokens": max_new_tokens}
                )
                key = str(r.status_code)
                if r.status_code == 200:
                    tokens += r.json()["tokens_out"]
                    latencies.append(time.perf_counter() - started)
            except httpx.HTTPError as exc:
                key = f"lost:{exc.__class__.__name__}"
            statuses[key] = statuses.get(key, 0) + 1

    headers = {"Authorization": f"Bearer {KEY}"}
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout) as client:
        await asyncio.gather(*(one(i, client) for i in range(n)))
    wall = time.perf_counter() - started
    lat = sorted(latencies)

    def pct(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) if lat else None

    return {
        "requests": n,
        "ok": len(lat),
        "statuses": statuses,
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(lat) / wall, 3),
        "tokens_per_s": round(tokens / wall, 1),
        "p50_s": pct(0.50),
        "p95_s": pct(0.95),
        "mean_s": round(statistics.mean(lat), 3) if lat else None,
    }


def main() -> None:
    """Run both modes and write the JSON report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--max-batch", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=600.0, help="Per-request client timeout (s).")
    ap.add_argument("--out", type=Path, default=REPO / "results" / "bench")
    args = ap.parse_args()
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for batching in (False, True):
            proc, url = start(args.model, batching, args.max_batch, Path(tmp))
            try:
                mode = "batching_on" if batching else "batching_off"
                runs[mode] = asyncio.run(
                    drive(url, args.requests, args.concurrency, args.max_new_tokens, args.timeout)
                )
                print(mode, json.dumps(runs[mode]), flush=True)
            finally:
                proc.terminate()
                proc.wait(30)
    report = {"model": args.model, "concurrency": args.concurrency, "max_new_tokens": args.max_new_tokens,
              "cpu_count": os.cpu_count(), "runs": runs, "command": " ".join(sys.argv)}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"load_test-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"wrote {path}")
    bad = {m: r["statuses"] for m, r in runs.items() if r["ok"] != r["requests"]}
    if bad:
        raise SystemExit(f"requests lost or failed: {bad}")


if __name__ == "__main__":
    main()

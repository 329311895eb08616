"""Overload test (issue 19): open-loop arrivals at 1x, 2x and 4x the server's measured capacity, on loopback.

    python bench/overload.py                       # embedded model, ~6 min on 2 cores
    python bench/overload.py --multiples 1 2 4 8 --duration 60 --threads 2

Starts `uvicorn api.app:app` (configs/serve.yaml, batching on) on a free 127.0.0.1 port, measures capacity
(requests/s answered at concurrency = max_batch, closed loop), then for each multiple sends POST /generate at
that multiple of capacity, evenly spaced, for --duration seconds, without waiting for answers (open loop:
clients arrive whatever the server does). Each request's deadline is serve.max_queue_wait_s +
serve.request_timeout_s. Reports 2xx / 429 / 5xx / other / lost, p50/p95 latency of the answered and of the
429s, the answered requests that arrived after their deadline, and goodput. Exits 1 if any request is lost,
answered 5xx or answered late. Writes bench/results/overload.{json,md}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402
import inference  # noqa: E402

NAME = "overload"


async def measure_capacity(url: str, args: argparse.Namespace) -> tuple[float, dict[str, int]]:
    """Requests/s answered 200 when `max_batch` clients each send their next request as soon as one
    returns, and the pass's statuses. A tight serve.max_queue_wait_s may shed a request even here (one that
    arrives just after a batch started waits a whole batch): that is the server working, so it is counted
    and reported, and capacity is the 200s per second. A lost or 5xx request, or none answered, is fatal."""
    prompts = inference.questions(args.capacity_requests)
    result = await inference.drive(url, prompts, args.max_batch, args.max_new_tokens, args.client_timeout)
    if result["ok"] == 0 or result["lost"] or result["status_5xx"]:
        raise SystemExit(f"capacity pass: requests lost, failed or none answered 200: {result['statuses']}")
    return result["ok"] / result["wall_s"], result["statuses"]


async def open_loop(url: str, rate: float, args: argparse.Namespace) -> dict[str, Any]:
    """Send requests at `rate`/s for args.duration s without waiting; collect every outcome."""
    import httpx

    n = max(1, round(rate * args.duration))
    prompts = inference.questions(n)
    outcomes: list[tuple[str, float, dict[str, str]]] = []

    async def one(prompt: str, client: httpx.AsyncClient) -> None:
        t0 = time.perf_counter()
        try:
            r = await client.post("/generate", json={"prompt": prompt, "max_new_tokens": args.max_new_tokens})
            key = str(r.status_code)
            headers = {k: r.headers[k] for k in ("retry-after", "x-supportbot-deadline") if k in r.headers}
        except httpx.HTTPError as exc:
            key, headers = f"lost:{exc.__class__.__name__}", {}
        outcomes.append((key, time.perf_counter() - t0, headers))

    headers = {"Authorization": f"Bearer {inference.KEY}"}
    limits = httpx.Limits(max_connections=n + 4)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=args.client_timeout, limits=limits
    ) as client:
        started = time.perf_counter()
        tasks = []
        for i, prompt in enumerate(prompts):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(prompt, client)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - started
    return summarise(outcomes, n, rate, wall, args.deadline_s)


def summarise(
    outcomes: list[tuple[str, float, dict[str, str]]], sent: int, rate: float, wall: float, deadline: float
) -> dict[str, Any]:
    """Counts by outcome and latency percentiles of one level."""
    ok = [s for k, s, _ in outcomes if k.startswith("2")]
    shed = [s for k, s, _ in outcomes if k == "429"]
    return {
        "rate_rps": round(rate, 3),
        "sent": sent,
        "answered": len(outcomes),
        "2xx": len(ok),
        "429": len(shed),
        "5xx": sum(k.startswith("5") for k, _, _ in outcomes),
        "other": sum(not (k.startswith(("2", "5", "lost")) or k == "429") for k, _, _ in outcomes),
        "lost": sum(k.startswith("lost") for k, _, _ in outcomes) + (sent - len(outcomes)),
        "late_2xx": sum(s > deadline for s in ok),
        "deadline_cut_2xx": sum("x-supportbot-deadline" in h for k, _, h in outcomes if k.startswith("2")),
        "p50_2xx_s": _r(bl.percentile(ok, 50)),
        "p95_2xx_s": _r(bl.percentile(ok, 95)),
        "max_2xx_s": _r(max(ok) if ok else None),
        "p50_429_s": _r(bl.percentile(shed, 50)),
        "p95_429_s": _r(bl.percentile(shed, 95)),
        "goodput_rps": round(len(ok) / wall, 3) if wall else None,
        "wall_s": round(wall, 1),
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


async def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """Warm up, measure capacity, then each multiple in turn (each level drains before the next)."""
    await inference.drive(url, inference.questions(args.max_batch), args.max_batch, args.max_new_tokens, 600)
    capacity, statuses = await measure_capacity(url, args)
    print(f"  capacity {capacity:.3f} req/s at concurrency {args.max_batch} ({statuses})", flush=True)
    levels = {}
    for m in args.multiples:
        print(f"[{time.strftime('%H:%M:%S')}] {m:g}x capacity for {args.duration:g}s ...", flush=True)
        levels[f"{m:g}x"] = await open_loop(url, m * capacity, args)
        print(f"  {json.dumps(levels[f'{m:g}x'])}", flush=True)
    return {"capacity_rps": round(capacity, 3), "capacity_statuses": statuses, "levels": levels}


def markdown(report: dict[str, Any]) -> str:
    """The results file a person reads."""
    a = report["args"]
    rows = [
        [
            level,
            r["rate_rps"],
            r["sent"],
            r["2xx"],
            r["429"],
            r["5xx"],
            r["lost"],
            r["late_2xx"],
            r["deadline_cut_2xx"],
            r["p50_2xx_s"],
            r["p95_2xx_s"],
            r["max_2xx_s"],
            r["p95_429_s"],
            r["goodput_rps"],
        ]
        for level, r in report["levels"].items()
    ]
    header = ["load", "req/s", "sent", "2xx", "429", "5xx", "lost", "late 2xx", "cut at deadline"]
    header += ["p50 2xx s", "p95 2xx s", "max 2xx s", "p95 429 s", "goodput req/s"]
    return "\n".join(
        [
            "# Overload: open-loop arrivals at multiples of capacity",
            "",
            f"`{report['command']}`",
            "",
            f"Model {a['model']}, batching on (max_batch {a['max_batch']}), {a['max_new_tokens']} new tokens, "
            f"serve.max_queue_wait_s {a['max_queue_wait']:g} + serve.request_timeout_s {a['request_timeout']:g}"
            f" = deadline {a['deadline_s']:g} s. Capacity (closed loop, concurrency {a['max_batch']}): "
            f"{report['capacity_rps']} req/s answered 200 (statuses {report['capacity_statuses']}). "
            f"{a['duration']:g} s per level.",
            "",
            bl.md_table(header, rows),
            "",
            f"Verdict: {'PASS' if report['passed'] else 'FAIL'} (0 lost, 0 x 5xx, 0 answered after the deadline "
            "at every level).",
            "",
            bl.machine_line(report["machine"], report.get("load_after")),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse flags, run the levels against one server, write the results, exit 1 on a failed level."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--multiples", type=float, nargs="+", default=[1.0, 2.0, 4.0])
    ap.add_argument("--duration", type=float, default=40.0, help="Seconds of arrivals per level.")
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--max-batch", type=int, default=8)
    ap.add_argument("--capacity-requests", type=int, default=24)
    ap.add_argument("--max-queue-wait", type=float, default=10.0, help="serve.max_queue_wait_s")
    ap.add_argument("--request-timeout", type=float, default=20.0, help="serve.request_timeout_s")
    ap.add_argument("--threads", type=int, help="torch threads in the server (default: torch's).")
    ap.add_argument("--server-config", type=Path, default=bl.REPO / "configs" / "serve.yaml")
    ap.add_argument("--server-set", action="append", default=[], help="More serve --set overrides.")
    ap.add_argument("--start-timeout", type=float, default=300.0)
    ap.add_argument("--out", type=Path, default=bl.RESULTS)
    args = ap.parse_args(argv)
    args.deadline_s = args.max_queue_wait + args.request_timeout
    args.client_timeout = args.deadline_s + 60  # a request not answered by then counts as lost
    args.server_set = [f"serve.max_queue_wait_s={args.max_queue_wait}", *args.server_set]
    proc, url = inference.start_server(args, batching=True)
    try:
        result = asyncio.run(run(args, url))
    finally:
        bl.stop_server(proc)
    passed = all(r["lost"] == 0 and r["5xx"] == 0 and r["late_2xx"] == 0 for r in result["levels"].values())
    report = {
        "command": bl.command_line(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        **result,
        "passed": passed,
        "machine": bl.machine(),
        "load_after": bl.load_average(),
    }
    json_path, md_path = bl.write_results(args.out, NAME, report, markdown(report))
    print(markdown(report))
    print(f"wrote {json_path} and {md_path}")
    if not passed:
        raise SystemExit(1)
    return report


if __name__ == "__main__":
    main()

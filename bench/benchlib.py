"""Shared bits of the benchmarks: where results go, what machine (and load) they ran on, percentiles, files."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


# Bench cadence of a `supportbot train` run: one epoch, log every step, no mid-run evals, samples or TensorBoard
# (a bench adds its own max_steps, eval/save steps or run name after these: later overrides win).
BENCH_RUN_OVERRIDES = [
    "train.epochs=1",
    "train.max_steps=-1",
    "train.logging_steps=1",
    "train.eval_steps=1000000",
    "train.save_steps=1000000",
    "train.eval_base=false",
    "train.num_samples=0",
    "train.tensorboard=false",
    "train.early_stopping_patience=null",
    "train.max_val_examples=4",
    "train.run_name=bench",
]


SHIPPED_DATA = REPO / "data" / "processed"


def prepared_data(data_dir: Path | None = None) -> Path:
    """The prepared splits a bench trains on; the shipped data is prepared first when it is not there yet.

    `data/processed/` is a build output (git-ignored), so a fresh clone or a lent machine has none. A folder
    the user named must already exist: it is never written over.
    """
    data_dir = Path(data_dir) if data_dir is not None else SHIPPED_DATA
    if not data_dir.is_absolute() and not data_dir.exists():
        data_dir = REPO / data_dir
    if (data_dir / "train.jsonl").is_file():
        return data_dir
    if data_dir.resolve() != SHIPPED_DATA.resolve():
        raise SystemExit(
            f"--data-dir {data_dir}: no train.jsonl there (run `supportbot prepare --out {data_dir}`)"
        )
    from supportbot.config import load_config
    from supportbot.data.pipeline import prepare

    prep = load_config(REPO / "configs" / "prepare.yaml", []).prepare
    update = {"out": str(SHIPPED_DATA), "input": str(REPO / prep.input)}
    if prep.eval_suite:
        update["eval_suite"] = str(REPO / prep.eval_suite)
    prepare(prep.model_copy(update=update))
    return SHIPPED_DATA


def load_average() -> list[float] | None:
    """1/5/15-minute load averages (what `uptime` shows), or None where the OS has none."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _git_commit() -> str | None:
    """Short HEAD commit, "+dirty" when the tracked tree had changes (the run dir's provenance helper)."""
    from supportbot.train.rundir import git_commit

    git = git_commit(REPO)
    return git["commit"][:7] + ("+dirty" if git["dirty"] else "") if git["commit"] else None


def machine() -> dict[str, Any]:
    """The machine a benchmark ran on: CPU, core count, load average now, library versions, git commit."""
    import torch
    import transformers

    from supportbot.train.rundir import cpu_model

    info: dict[str, Any] = {
        "when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15": load_average(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "git": _git_commit(),
    }
    try:
        import peft

        info["peft"] = peft.__version__
    except ImportError:
        pass
    return info


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (linear interpolation, as numpy's default), or None for no values."""
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def command_line() -> str:
    """How this benchmark was started, as a shell command from the repo root."""
    script = Path(sys.argv[0])
    with contextlib.suppress(ValueError):
        script = script.resolve().relative_to(REPO)
    return " ".join(["python", str(script), *sys.argv[1:]])


def write_results(out_dir: Path, name: str, report: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """Write <name>.json and <name>.md under out_dir; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    js, md = out_dir / f"{name}.json", out_dir / f"{name}.md"
    js.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    md.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return js, md


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join("" if c is None else str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(m: dict[str, Any], load_after: list[float] | None = None) -> str:
    """One line naming the machine and its load (before → after) for a results file."""
    load = m.get("load_average_1_5_15")
    after = f" → {load_after}" if load_after else ""
    return (
        f"{m['cpu_count']}× {m['cpu']}, load average (1/5/15 min) {load}{after}, "
        f"torch {m['torch']}, transformers {m['transformers']}, git {m.get('git')}, {m['when_utc']}"
    )


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_server(proc: subprocess.Popen) -> None:
    """Terminate a server process (kill it if it does not exit in 30 s)."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def start_server(
    cmd: list[str],
    env: dict[str, str],
    ready_path: str,
    timeout: float,
    log: Path | None = None,
    key: str = "",
) -> tuple[subprocess.Popen, str]:
    """Start a server process on a free loopback port (`cmd` gets `--port N` appended), poll `ready_path` until it
    answers 200, and return (process, base URL). Output goes to `log` when given (its tail is in the errors)."""
    import httpx

    port = free_port()
    out = log.open("w") if log else None
    try:
        proc = subprocess.Popen(
            [*cmd, "--port", str(port)], cwd=REPO, env=env, stdout=out, stderr=out and subprocess.STDOUT
        )
    finally:
        if out:
            out.close()
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"} if key else {}

    def tail() -> str:
        return ":\n" + log.read_text()[-3000:] if log else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"{' '.join(cmd[:4])} exited with code {proc.returncode} before it was ready{tail()}"
            )
        try:
            if httpx.get(url + ready_path, timeout=2, headers=headers).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit(f"{' '.join(cmd[:4])} not ready within {timeout:g}s{tail()}")

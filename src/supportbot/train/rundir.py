"""Run directories: ids, provenance (git, versions, hardware), run.json, the log file, `runs/last`."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core.artifacts import RUN_ADAPTER_DIR, RUN_CONFIG, RUN_MANIFEST, RUN_METRICS
from supportbot.core.errors import ConfigError

LAST = "last"
CHECKPOINTS = "checkpoints"


@dataclass(frozen=True)
class RunDir:
    """The files of one run."""

    root: Path

    @property
    def id(self) -> str:
        """The run id (directory name)."""
        return self.root.name

    config = property(lambda self: self.root / RUN_CONFIG)
    manifest = property(lambda self: self.root / RUN_MANIFEST)
    log = property(lambda self: self.root / "train.log")
    metrics = property(lambda self: self.root / RUN_METRICS)
    samples = property(lambda self: self.root / "samples.jsonl")
    tensorboard = property(lambda self: self.root / "tb")
    checkpoints = property(lambda self: self.root / CHECKPOINTS)
    adapter = property(lambda self: self.root / RUN_ADAPTER_DIR)

    def read_manifest(self) -> dict[str, Any]:
        """run.json as a dict ({} before it exists)."""
        return json.loads(self.manifest.read_text()) if self.manifest.is_file() else {}

    def update_manifest(self, **fields: Any) -> dict[str, Any]:
        """Merge fields into run.json (written atomically)."""
        data = {**self.read_manifest(), **fields}
        tmp = self.manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
        tmp.replace(self.manifest)
        return data

    def say(self, message: str, console: bool = True) -> None:
        """Print a line and append it (timestamped) to train.log."""
        if console:
            print(message, flush=True)
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(f"{dt.datetime.now().isoformat(timespec='seconds')} {message}\n")


def new_run_id(name: str) -> str:
    """A sortable, readable id: 20250101-120000-sft."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name) or "run"
    return f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{safe}"


def create_run_dir(output_dir: Path, name: str) -> RunDir:
    """Create a fresh runs/<id>/ (never reusing an existing one)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    base = new_run_id(name)
    run_id, n = base, 1
    while True:
        try:
            (output_dir / run_id).mkdir()
            return RunDir(output_dir / run_id)
        except FileExistsError:
            n += 1
            run_id = f"{base}-{n}"


def point_last(run: RunDir) -> Path:
    """Make runs/last a relative symlink to this run."""
    link = run.root.parent / LAST
    tmp = run.root.parent / f".{LAST}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run.root.name)
    tmp.replace(link)
    return link


def resolve_run_dir(path: str | Path) -> RunDir:
    """A run dir given as a path or as runs/last; errors name the path."""
    p = Path(path).expanduser()
    if not (p / RUN_MANIFEST).is_file():
        raise ConfigError(f"not a run directory (no {RUN_MANIFEST}): {path}")
    return RunDir(p.resolve())


RESUME_NEWEST = "newest"  # what `--resume` with no value means: the newest unfinished run


def newest_unfinished_run(output_dir: str | Path) -> RunDir:
    """The newest run under `output_dir` that did not complete and has a checkpoint (`--resume` alone).

    Run ids start with their creation time, so name order is age order.
    """
    root = Path(output_dir)
    for d in sorted(root.glob("*"), reverse=True) if root.is_dir() else []:
        if d.is_symlink() or not (d / RUN_MANIFEST).is_file():
            continue
        run = RunDir(d.resolve())
        if run.read_manifest().get("status") != "completed" and latest_checkpoint(run) is not None:
            return run
    raise ConfigError(
        f"--resume: no unfinished run with a checkpoint under {root}/; name one: --resume RUN_DIR"
    )


def latest_checkpoint(run: RunDir, warn: Callable[[str], None] = print) -> Path | None:
    """The newest complete checkpoint (trainer_state.json, written last, parses) that passes its checksums."""
    if not run.checkpoints.is_dir():
        return None
    from supportbot.train.checkpoints import checksum_problem

    found = []
    for d in run.checkpoints.glob("checkpoint-*"):
        state = d / "trainer_state.json"
        try:
            json.loads(state.read_text())
            found.append((int(d.name.split("-")[-1]), d))
        except (OSError, ValueError):
            continue  # half-written when the process was killed
    for _, d in sorted(found, reverse=True):
        problem = checksum_problem(d)
        if problem is None:
            return d
        warn(f"warning: skipping {d.name}: {problem}")
    return None


def git_commit(cwd: Path | None = None) -> dict[str, Any]:
    """HEAD commit and whether the tree had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return {"commit": head, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries that decide the numbers."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("torch", "transformers", "peft", "trl", "accelerate", "datasets", "numpy", "bitsandbytes"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _cpuinfo(key: str) -> str | None:
    """The first `key : value` of /proc/cpuinfo (None off Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.split(":", 1)[0].strip() == key:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    """The CPU's model name ("Intel(R) Xeon(R) Processor"), else what `platform` knows."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def cpu_flag_set() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty when unknown)."""
    return set((_cpuinfo("flags") or "").split())


def hardware() -> dict[str, Any]:
    """CPU/GPU description of this machine."""
    import torch

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    try:
        with open("/proc/meminfo") as fh:
            info["ram_gib"] = round(int(fh.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info

"""`supportbot train --sweep`: run a small grid one run after another, then compare them (Markdown + CSV)."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

from supportbot.core.config import StrictModel, load_recipe, read_yaml
from supportbot.core.errors import ConfigError, SupportbotError

COLUMNS = [
    "run_id",
    "params",
    "status",
    "final_val_loss",
    "best_val_perplexity",
    "train_seconds",
    "peak_memory_mb",
]


def read_sweep(path: Path) -> tuple[Path, list[str], dict[str, list[Any]]]:
    """(base recipe, common overrides, grid of dotted key -> values) from a sweep YAML."""
    data = read_yaml(path)
    unknown = set(data) - {"base", "set", "grid"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}; expected base, set, grid")
    if "base" not in data:
        raise ConfigError(f"{path}: missing key 'base' (the recipe each run starts from)")
    base = Path(data["base"])
    if not base.is_absolute() and not base.is_file():
        base = path.parent / base
    grid = data.get("grid") or {}
    if not isinstance(grid, dict) or not grid or not all(isinstance(v, list) and v for v in grid.values()):
        raise ConfigError(
            f"{path}: 'grid' must map dotted keys to non-empty lists, e.g. train.lr: [1e-3, 2e-3]"
        )
    common = [f"{k}={_value(v)}" for k, v in (data.get("set") or {}).items()]
    return base, common, grid


def _value(v: Any) -> str:
    """A YAML value as --set text (None -> null, so 'null' in the sweep file stays null)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


def grid_points(grid: dict[str, list[Any]]) -> list[list[str]]:
    """Every combination as --set overrides, in a stable order."""
    keys = list(grid)
    return [
        [f"{k}={_value(v)}" for k, v in zip(keys, combo, strict=True)]
        for combo in itertools.product(*grid.values())
    ]


def run_sweep(
    path: Path,
    schema: type[StrictModel],
    overrides: list[str] | None = None,
    allow_fallback: bool = False,
) -> list[dict[str, Any]]:
    """Train every grid point (each config validated against `schema` first), then write sweep.md and sweep.csv."""
    from supportbot.train.run import train
    from supportbot.train.rundir import create_run_dir

    base, common, grid = read_sweep(Path(path))
    points = grid_points(grid)
    for p in points:  # fail before the first run, not after an hour
        load_recipe(schema, base, [*common, *(overrides or []), *p])
    cfg = load_recipe(schema, base, [*common, *(overrides or [])]).config
    sweep_dir = create_run_dir(Path(cfg.train.output_dir) / "sweeps", Path(path).stem).root
    print(f"sweep {sweep_dir.name}: {len(points)} runs from {base}", flush=True)
    rows = []
    for i, p in enumerate(points, 1):
        label = " ".join(p)
        print(f"[{i}/{len(points)}] {label}", flush=True)
        extra = [*common, *(overrides or []), *p, f"train.run_name={Path(path).stem}-{i}"]
        try:
            s = train(load_recipe(schema, base, extra), allow_fallback=allow_fallback)
            rows.append({"run_id": s.run.id, "params": label, **s.summary})
        except SupportbotError as exc:  # a diverged point is a result, not the end of the sweep
            rows.append({"run_id": None, "params": label, "status": f"failed: {exc}"})
        write_table(rows, sweep_dir)
    md, _ = write_table(rows, sweep_dir)
    print(md.read_text(), flush=True)
    print(f"comparison: {md} and {md.with_suffix('.csv')}", flush=True)
    return rows


def write_table(rows: list[dict[str, Any]], out_dir: Path) -> tuple[Path, Path]:
    """sweep.md and sweep.csv with one row per run."""
    table = [{c: r.get(c) for c in COLUMNS} for r in rows]
    csv_path = out_dir / "sweep.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(table)

    def cell(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else ("" if v is None else str(v))

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(r[c]) for c in COLUMNS) + " |" for r in table]
    md_path = out_dir / "sweep.md"
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return md_path, csv_path

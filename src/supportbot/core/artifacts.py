"""The files stages hand each other: run dirs, adapter dirs and their metadata, registry versions.

File names are constants here; the readers of run and adapter dirs, the one rule for "is this model spec a
path", content hashes, and the read side of the registry index (resolving `registry:NAME@V`) live here, so
every stage reads them the same way. Writing the registry is `ship/`'s job.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportbot.core.errors import SupportbotError

RUN_MANIFEST = "run.json"  # runs/<id>/run.json: base model, git, versions, hardware, data hash, summary
RUN_CONFIG = "config.yaml"  # runs/<id>/config.yaml: the resolved recipe
RUN_METRICS = "metrics.jsonl"  # runs/<id>/metrics.jsonl: one line per logged step
RUN_ADAPTER_DIR = "adapter"  # runs/<id>/adapter/: the best checkpoint as a PEFT dir
ADAPTER_META = "supportbot.json"  # inside an adapter dir: base model and the train.context it was trained on
ADAPTER_CONFIG = "adapter_config.json"  # PEFT's own file: marks an adapter dir
INDEX_FILE = "index.json"  # registry/index.json
REGISTRY_PREFIX = "registry:"
REFERENCE = re.compile(r"^registry:(?P<name>[\w.-]+)(@(?P<version>[\w.-]+))?$")
PATHLIKE = re.compile(r"^(\.|/|~)")
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def first_mismatch(root: Path, recorded: dict[str, str]) -> str | None:
    """The first file under `root` that is missing or whose sha256 differs from `recorded` (None: all match)."""
    for rel, digest in recorded.items():
        f = root / rel
        if not f.is_file():
            return f"{f}: missing (its sha256 was recorded)"
        if sha256_file(f) != digest:
            return f"{f}: sha256 does not match the one recorded (modified or corrupted)"
    return None


def sha256_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under `root`, by POSIX path relative to it."""
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


class RegistryError(SupportbotError):
    """A registry operation cannot be done as asked (unknown name/version, version exists, ...)."""


@dataclass
class RegistryEntry:
    """One exported version of a named adapter."""

    name: str
    version: str
    created: str
    base_model: str
    git_commit: str | None
    data_hash: str | None
    metrics: dict[str, Any]
    path: str  # relative to the registry root
    source_run: str
    merged_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def default_root() -> Path:
    """Registry root: SUPPORTBOT_REGISTRY, else ./registry."""
    return Path(os.environ.get("SUPPORTBOT_REGISTRY", "registry"))


class RegistryIndex:
    """The read side of a registry dir: `index.json` (versions, production pointer) and verified versions."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    def version_dir(self, entry: RegistryEntry) -> Path:
        """The entry's directory, checked to lie inside the registry root."""
        path = (self.root / entry.path).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise RegistryError(
                f"'{entry.name}@{entry.version}': path {entry.path!r} lies outside {self.root}"
            )
        return path

    def verify(self, entry: RegistryEntry) -> Path:
        """The entry's directory after checking every file against the sha256 recorded at export."""
        path = self.version_dir(entry)
        # an entry exported before hashes were recorded has none to check
        problem = first_mismatch(path, entry.extra.get("sha256") or {})
        if problem:
            raise RegistryError(f"{problem} in {entry.name}@{entry.version}; re-export it")
        return path

    # -- index -----------------------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        path = self.root / INDEX_FILE
        if not path.is_file():
            return {"models": {}}
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc

    def _model(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        if name not in data["models"]:
            known = ", ".join(sorted(data["models"])) or "none"
            raise RegistryError(f"no model '{name}' in registry {self.root} (known: {known})")
        return data["models"][name]

    # -- queries ---------------------------------------------------------------------------------------
    def entries(self, name: str | None = None) -> list[RegistryEntry]:
        """All versions, oldest first (optionally of one name)."""
        data = self._read()
        names = [name] if name else sorted(data["models"])
        out = []
        for n in names:
            out += [RegistryEntry(**v) for v in self._model(data, n)["versions"]]
        return out

    def production(self, name: str) -> str | None:
        """The version currently promoted to production, if any."""
        return self._model(self._read(), name).get("production")

    def get(self, name: str, version: str | None = None) -> RegistryEntry:
        """An entry by version; None or 'production' gives production (else latest), 'latest' the newest."""
        data = self._read()
        model = self._model(data, name)
        if version in (None, "production"):
            version = model.get("production") or (None if version == "production" else "latest")
            if version is None:
                raise RegistryError(f"'{name}' has no production version; promote one first")
        versions = model["versions"]
        if version == "latest":
            return RegistryEntry(**versions[-1])
        for v in versions:
            if v["version"] == version:
                return RegistryEntry(**v)
        have = ", ".join(v["version"] for v in versions)
        raise RegistryError(f"'{name}' has no version '{version}' (have: {have})")


def resolve_reference(ref: str, root: str | Path | None = None) -> Path:
    """`registry:name@version` (version optional: production, else latest) → the exported adapter dir."""
    m = REFERENCE.match(ref)
    if not m:
        raise RegistryError(
            f"bad registry reference {ref!r}: use registry:NAME@VERSION, e.g. registry:supportbot@v1.0"
        )
    registry = RegistryIndex(root)
    entry = registry.get(m["name"], m["version"])
    return registry.verify(entry)


def looks_like_path(spec: str) -> bool:
    """The one rule for "this model spec is a local path" (not a preset name or a hub id)."""
    if PATHLIKE.match(spec) or Path(spec).exists():
        return True
    # "runs/last" when runs/ exists locally is a path the user mistyped, not a hub id.
    return "/" in spec and Path(spec.split("/")[0]).is_dir()


def resolve_adapter_dir(path: str | Path) -> Path | None:
    """Return the PEFT adapter dir for an adapter dir or a run dir, else None."""
    p = Path(path).expanduser()
    if (p / ADAPTER_CONFIG).is_file():
        return p
    if (p / RUN_MANIFEST).is_file() and (p / RUN_ADAPTER_DIR / ADAPTER_CONFIG).is_file():
        return p / RUN_ADAPTER_DIR
    return None


def run_dir_of(adapter_dir: Path) -> Path | None:
    """The run dir an adapter dir belongs to: `runs/<id>/adapter` or `runs/<id>/checkpoints/checkpoint-N`."""
    for parent in (adapter_dir.parent, adapter_dir.parent.parent):
        if (parent / RUN_MANIFEST).is_file():
            return parent
    return None


def adapter_base_model(adapter_dir: Path) -> str:
    """The base model an adapter was trained on: our metadata first, the run's, else PEFT's own record."""
    meta = adapter_dir / ADAPTER_META
    if meta.is_file():
        return json.loads(meta.read_text())["base_model"]
    run = run_dir_of(adapter_dir)
    if run is not None:
        return json.loads((run / RUN_MANIFEST).read_text())["base_model"]
    return json.loads((adapter_dir / ADAPTER_CONFIG).read_text())["base_model_name_or_path"]


def adapter_context(adapter_dir: Path) -> dict[str, Any] | None:
    """The retrieval context (train.context) an adapter dir was trained with, else None.

    Read from the adapter's supportbot.json, or for older runs from the run dir's config.yaml.
    """
    meta = adapter_dir / ADAPTER_META
    if meta.is_file():
        ctx = json.loads(meta.read_text()).get("context")
        if ctx is not None:
            return ctx
    run = run_dir_of(adapter_dir)
    run_cfg = run / RUN_CONFIG if run is not None else None
    if run_cfg is not None and run_cfg.is_file():
        import yaml

        return ((yaml.safe_load(run_cfg.read_text()) or {}).get("train") or {}).get("context")
    return None

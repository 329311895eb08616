"""The adapter registry's write side: add, promote, rollback and prune versions under a lock on index.json
(the read side, resolving `registry:NAME@V`, is core/artifacts.py)."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from supportbot.core.artifacts import (
    INDEX_FILE,
    RegistryEntry,
    RegistryError,
    RegistryIndex,
)

_VERSION = re.compile(r"^v?\d+(\.\d+)*([-.\w]*)$")
_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")  # one path component: no separators, no "..", not absolute
LOCK_FILE = ".index.lock"


def check_name(name: str, flag: str = "--name") -> str:
    """A registry model name that is one safe path component, else a RegistryError naming the flag."""
    if not _NAME.match(name) or ".." in name:
        raise RegistryError(
            f"{flag} {name!r}: use letters, digits, '.', '_' and '-' only (no '/', '..' or absolute paths)"
        )
    return name


def check_version(version: str) -> str:
    """A version like v1.0 or 1.2.3 (one safe path component), else a RegistryError."""
    if not _VERSION.match(version) or ".." in version:
        raise RegistryError(f"--version {version!r}: use a version like v1.0 or 1.2.3")
    return version


class Registry(RegistryIndex):
    """The registry with its write side: add, promote, rollback and prune, each under a lock on the index."""

    def __init__(self, root: str | Path | None = None) -> None:
        super().__init__(root)
        self._lock_depth = 0
        self._lock_fh: Any = None

    @contextlib.contextmanager
    def locked(self) -> Any:
        """Hold an exclusive lock on the index (re-entrant in one Registry object, across processes)."""
        import fcntl

        if self._lock_depth == 0:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock_fh = (self.root / LOCK_FILE).open("a")
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX)
        self._lock_depth += 1
        try:
            yield self
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
                self._lock_fh.close()
                self._lock_fh = None

    def _write(self, data: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / (INDEX_FILE + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.root / INDEX_FILE)

    # -- changes ---------------------------------------------------------------------------------------
    def add(self, entry: RegistryEntry, keep_last: int | None = None) -> None:
        """Record a new version (refusing duplicates), then prune to the last `keep_last` versions."""
        with self.locked():
            self._add(entry, keep_last)

    def _add(self, entry: RegistryEntry, keep_last: int | None) -> None:
        check_name(entry.name)
        data = self._read()
        model = data["models"].setdefault(entry.name, {"versions": [], "production": None, "history": []})
        if any(v["version"] == entry.version for v in model["versions"]):
            raise RegistryError(
                f"'{entry.name}@{entry.version}' already exists in {self.root}; pick a new --version"
            )
        model["versions"].append(asdict(entry))
        self._write(data)
        if keep_last:
            self.prune(entry.name, keep_last)

    def promote(self, name: str, version: str) -> RegistryEntry:
        """Make `version` the production version (the previous one is remembered for rollback)."""
        with self.locked():
            return self._promote(name, version)

    def _promote(self, name: str, version: str) -> RegistryEntry:
        entry = self.get(name, version)
        data = self._read()
        model = self._model(data, name)
        if model.get("production") != entry.version:
            if model.get("production"):
                model["history"].append(model["production"])
            model["production"] = entry.version
        self._write(data)
        return entry

    def rollback(self, name: str) -> RegistryEntry:
        """Restore the previous production version."""
        with self.locked():
            return self._rollback(name)

    def _rollback(self, name: str) -> RegistryEntry:
        data = self._read()
        model = self._model(data, name)
        existing = {v["version"] for v in model["versions"]}
        history = [v for v in model["history"] if v in existing]
        if not history:
            raise RegistryError(f"'{name}' has no earlier production version to roll back to")
        model["production"] = history.pop()
        model["history"] = history
        self._write(data)
        return self.get(name, model["production"])

    def prune(self, name: str, keep_last: int) -> list[str]:
        """Delete all but the newest `keep_last` versions, never the production one; returns removed versions.

        Only directories inside the registry root are ever deleted.
        """
        with self.locked():
            return self._prune(name, keep_last)

    def _prune(self, name: str, keep_last: int) -> list[str]:
        data = self._read()
        model = self._model(data, name)
        keep = {v["version"] for v in model["versions"][-keep_last:]} | {model.get("production")}
        removed = [v for v in model["versions"] if v["version"] not in keep]
        for v in removed:
            path = self.version_dir(RegistryEntry(**v))
            if path == self.root.resolve():
                raise RegistryError(f"'{name}@{v['version']}': refusing to delete the registry root")
            shutil.rmtree(path, ignore_errors=True)
        model["versions"] = [v for v in model["versions"] if v["version"] in keep]
        self._write(data)
        return [v["version"] for v in removed]

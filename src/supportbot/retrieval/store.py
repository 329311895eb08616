"""Vector stores: the `VectorStore` interface and the default on-disk numpy store.

Plugging in another backend (Qdrant, LanceDB, ...): write a class with the same five methods and register
it in `STORES` under a name, then select it with `retrieval.store: <name>`.

* Qdrant: `add` → `client.upsert(collection, points=[PointStruct(id=i, vector=v, payload={"chunk_id": c})])`,
  `search` → `client.query_points(collection, query=v, limit=k)` mapping payload `chunk_id` back,
  `save` writes only a small JSON with the URL/collection name, `load` reconnects.
* LanceDB: `add` → `table.add([{"chunk_id": c, "vector": v}])`, `search` →
  `table.search(v).metric("cosine").limit(k).to_list()` (score = 1 - `_distance`); `save`/`load` use the
  LanceDB directory inside the index folder.

Vectors are L2-normalised, so every backend must rank by cosine similarity (or inner product).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from supportbot.core.errors import ConfigError, DataError


@runtime_checkable
class VectorStore(Protocol):
    """What the hybrid index needs from a vector store."""

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        """Add one vector per id (ids must be new)."""

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k nearest ids with their cosine similarity, best first."""

    def save(self, directory: Path) -> None:
        """Persist into `directory` (created if missing)."""

    @classmethod
    def load(cls, directory: Path) -> VectorStore:
        """Read a store written by `save`."""

    def __len__(self) -> int:
        """Number of stored vectors."""


class NumpyVectorStore:
    """Exact inner-product search over a float32 matrix; saved as `vectors.npy` + `ids.json`."""

    VECTORS = "vectors.npy"
    IDS = "ids.json"

    def __init__(self, dim: int | None = None) -> None:
        self.ids: list[str] = []
        self.vectors = np.zeros((0, dim or 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        """Append vectors; their count and dimension must match."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(ids):
            raise DataError(f"vector store: got {len(ids)} ids but vectors of shape {vectors.shape}")
        if self.ids and vectors.shape[1] != self.vectors.shape[1]:
            raise DataError(
                f"vector store: dimension {vectors.shape[1]} does not match stored {self.vectors.shape[1]}"
            )
        dup = set(ids) & set(self.ids) or {i for i in ids if ids.count(i) > 1}
        if dup:
            raise DataError(f"vector store: duplicate ids {sorted(dup)[:3]}")
        self.vectors = vectors if not self.ids else np.vstack([self.vectors, vectors])
        self.ids.extend(ids)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Top-k ids by inner product (= cosine for unit vectors)."""
        if not self.ids:
            return []
        scores = self.vectors @ np.asarray(vector, dtype=np.float32).reshape(-1)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[i], float(scores[i])) for i in order]

    def save(self, directory: Path) -> None:
        """Write `vectors.npy` and `ids.json`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / self.VECTORS, self.vectors)
        (directory / self.IDS).write_text(json.dumps(self.ids), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> NumpyVectorStore:
        """Read a saved store; the error names the missing or inconsistent file."""
        directory = Path(directory)
        for name in (cls.VECTORS, cls.IDS):
            if not (directory / name).is_file():
                raise DataError(f"vector store: missing {directory / name}")
        store = cls()
        store.vectors = np.load(directory / cls.VECTORS).astype(np.float32)
        store.ids = json.loads((directory / cls.IDS).read_text(encoding="utf-8"))
        if len(store.ids) != store.vectors.shape[0]:
            raise DataError(
                f"vector store: {directory} has {len(store.ids)} ids but {store.vectors.shape[0]} vectors"
            )
        return store


STORES: dict[str, type] = {"numpy": NumpyVectorStore}


def store_class(name: str) -> type:
    """The store class registered under `name`."""
    if name not in STORES:
        raise ConfigError(f"retrieval.store: unknown store {name!r} (known: {', '.join(STORES)})")
    return STORES[name]

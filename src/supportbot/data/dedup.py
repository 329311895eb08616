"""Near-duplicate detection with datasketch MinHash/LSH: keep-first deduplication and similarity groups."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from supportbot.data.config import DedupConfig

_WORD = re.compile(r"\w+")
# LSH only proposes candidates; each is then confirmed with the exact Jaccard of the shingle sets.
# Querying below the confirmation threshold keeps LSH's misses near the threshold rare.
CANDIDATE_SLACK = 0.8


def shingles(text: str, size: int = 3) -> frozenset[str]:
    """Lower-case word n-gram shingles; a text shorter than `size` words is one shingle."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Exact Jaccard similarity of two shingle sets."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


class ShingleIndex:
    """An LSH index over shingle sets that answers "which earlier sets are at least `threshold` similar"."""

    def __init__(self, threshold: float, num_perm: int = 128, seed: int = 1) -> None:
        self.threshold = threshold
        self.num_perm, self.seed = num_perm, seed
        self._lsh = MinHashLSH(threshold=max(0.05, threshold * CANDIDATE_SLACK), num_perm=num_perm)
        self._sets: dict[str, frozenset[str]] = {}
        self._perm = MinHash(num_perm=num_perm, seed=seed).permutations

    def minhash(self, shingle_set: Iterable[str]) -> MinHash:
        """The MinHash signature of a shingle set (fixed seed, so runs are deterministic)."""
        m = MinHash(num_perm=self.num_perm, seed=self.seed, permutations=self._perm)
        m.update_batch([s.encode("utf-8") for s in shingle_set])
        return m

    def add(self, key: str, shingle_set: frozenset[str], signature: MinHash | None = None) -> None:
        """Index a shingle set under `key`."""
        if shingle_set:
            self._lsh.insert(key, signature or self.minhash(shingle_set))
            self._sets[key] = shingle_set

    def matches(
        self, shingle_set: frozenset[str], signature: MinHash | None = None
    ) -> list[tuple[str, float]]:
        """Indexed keys whose exact Jaccard with `shingle_set` is >= threshold, most similar first."""
        if not shingle_set or not self._sets:
            return []
        found = []
        for key in self._lsh.query(signature or self.minhash(shingle_set)):
            sim = jaccard(shingle_set, self._sets[key])
            if sim >= self.threshold:
                found.append((key, sim))
        return sorted(found, key=lambda kv: (-kv[1], kv[0]))


@dataclass(frozen=True)
class Duplicate:
    """Item `index` duplicates the earlier kept item `of` (exact match or near, with its similarity)."""

    index: int
    of: int
    kind: str  # "exact" | "near"
    similarity: float


def exact_key(text: str) -> str:
    """The exact-duplicate key: lower-case words joined by single spaces."""
    return " ".join(_WORD.findall(text.lower()))


def find_duplicates(texts: Sequence[str], cfg: DedupConfig) -> list[Duplicate]:
    """Exact and near duplicates of earlier items, keeping the first occurrence of each."""
    index = ShingleIndex(cfg.near_threshold, cfg.num_perm, cfg.seed)
    seen: dict[str, int] = {}
    dups = []
    for i, text in enumerate(texts):
        key = exact_key(text)
        if key in seen:
            dups.append(Duplicate(i, seen[key], "exact", 1.0))
            continue
        shingle_set = shingles(text, cfg.shingle_size)
        signature = index.minhash(shingle_set)
        hits = index.matches(shingle_set, signature)
        if hits:
            dups.append(Duplicate(i, int(hits[0][0]), "near", hits[0][1]))
            continue
        seen[key] = i
        index.add(str(i), shingle_set, signature)
    return dups


def similarity_groups(texts: Sequence[str], preset: Sequence[str | None], cfg: DedupConfig) -> list[int]:
    """Cluster items: similar (>= group_threshold) or same preset group → same cluster; returns its first index."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first_of: dict[str, int] = {}
    for i, group in enumerate(preset):
        if group is not None:
            union(i, first_of.setdefault(group, i))
    index = ShingleIndex(cfg.group_threshold, cfg.num_perm, cfg.seed)
    for i, text in enumerate(texts):
        shingle_set = shingles(text, cfg.shingle_size)
        signature = index.minhash(shingle_set)
        for key, _ in index.matches(shingle_set, signature):
            union(i, int(key))
        index.add(str(i), shingle_set, signature)
    return [find(i) for i in range(len(texts))]

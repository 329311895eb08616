"""Seeded, group-aware, stratified train/val/test split."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from supportbot.data.config import SplitConfig
from supportbot.data.schema import Record

SPLITS = ("train", "val", "test")


def stratum(record: Record, keys: Sequence[str]) -> str:
    """The stratum of a record: e.g. `source|first-tag`."""
    parts = []
    for key in keys:
        if key == "source":
            parts.append(record.meta.source or "-")
        elif key == "tag":
            parts.append(record.meta.tags[0] if record.meta.tags else "-")
        elif key == "language":
            parts.append(record.meta.language or "-")
    return "|".join(parts)


def split_records(records: Sequence[Record], cfg: SplitConfig) -> dict[str, list[Record]]:
    """Assign whole `meta.group`s to splits, spreading every stratum over the splits in proportion.

    Groups are ordered by stratum (sorted) and shuffled within it with the seed; each group then goes
    to the split furthest below its target share (systematic sampling), so each stratum is spread
    roughly 80/10/10 and a group is never divided. Records keep their input order inside a split.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        groups[record.meta.group or record.id].append(i)
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for name, members in groups.items():
        by_stratum[stratum(records[members[0]], cfg.stratify_by)].append(name)
    rng = random.Random(cfg.seed)
    ordered = []
    for key in sorted(by_stratum):
        names = sorted(by_stratum[key])
        rng.shuffle(names)
        ordered += names
    target = {"train": cfg.train, "val": cfg.val, "test": cfg.test}
    counts = dict.fromkeys(SPLITS, 0)
    assignment: dict[int, str] = {}
    for name in ordered:
        size = len(groups[name])
        total = sum(counts.values()) + size
        split = max(SPLITS, key=lambda s: (target[s] * total - counts[s], -SPLITS.index(s)))
        counts[split] += size
        for i in groups[name]:
            assignment[i] = split
    return {s: [r for i, r in enumerate(records) if assignment[i] == s] for s in SPLITS}

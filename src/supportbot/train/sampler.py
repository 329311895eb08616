"""Training-order samplers that depend only on (seed, epoch), so a resumed run sees the data in the same order.

accelerate's `skip_first_batches` (used by the Trainer on a mid-epoch resume) builds a fresh loader that resets
the sampler to epoch 0, which would replay epoch 0's order inside a later epoch; the epoch here therefore never
goes backwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

# Rows sorted together for length grouping, in micro-batches: big enough to find similar lengths, small enough
# that the order stays random across the epoch.
GROUP_WINDOW_BATCHES = 16


class EpochSeededSampler(torch.utils.data.Sampler[int]):
    """A shuffle of `n` rows seeded by (seed, epoch)."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed, self.epoch = n, seed, 0

    def set_epoch(self, epoch: int) -> None:
        """Move to `epoch` (ignored when it would go back)."""
        self.epoch = max(self.epoch, epoch)

    def _generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed + self.epoch)

    def __iter__(self) -> Iterator[int]:
        yield from torch.randperm(self.n, generator=self._generator()).tolist()

    def __len__(self) -> int:
        return self.n


class LengthGroupedEpochSampler(EpochSeededSampler):
    """Micro-batches of similar-length rows in a random order: less padding, still a shuffle.

    Each epoch: shuffle, cut into windows of `GROUP_WINDOW_BATCHES` micro-batches, sort each window by length,
    cut it into micro-batches, then shuffle the micro-batches. Unlike transformers' LengthGroupedSampler, long
    rows do not all come first, and the order survives a resume.
    """

    def __init__(self, lengths: list[int], micro_batch_size: int, seed: int) -> None:
        super().__init__(len(lengths), seed)
        self.lengths, self.micro = lengths, micro_batch_size

    def __iter__(self) -> Iterator[int]:
        gen = self._generator()
        perm = torch.randperm(self.n, generator=gen).tolist()
        window = self.micro * GROUP_WINDOW_BATCHES
        batches: list[list[int]] = []
        for start in range(0, self.n, window):
            rows = sorted(perm[start : start + window], key=lambda i: -self.lengths[i])
            batches.extend(rows[b : b + self.micro] for b in range(0, len(rows), self.micro))
        for b in torch.randperm(len(batches), generator=gen).tolist():
            yield from batches[b]

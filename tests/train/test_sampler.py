"""Training order: a seeded shuffle per epoch, optionally in micro-batches of similar length."""

from __future__ import annotations

import random

from supportbot.train.sampler import GROUP_WINDOW_BATCHES, EpochSeededSampler, LengthGroupedEpochSampler


def _padding(order: list[int], lengths: list[int], micro: int) -> int:
    batches = [order[b : b + micro] for b in range(0, len(order), micro)]
    return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)


def test_epoch_seeded_order_is_a_permutation_fixed_by_seed_and_epoch():
    s = EpochSeededSampler(50, seed=3)
    first = list(s)
    assert sorted(first) == list(range(50)) and list(EpochSeededSampler(50, seed=3)) == first
    s.set_epoch(1)
    second = list(s)
    assert second != first
    s.set_epoch(0)  # a resumed loader resets to epoch 0: the epoch does not go back
    assert list(s) == second


def test_length_grouping_cuts_padding_and_keeps_a_shuffled_permutation():
    rng = random.Random(0)
    lengths = [rng.randint(50, 512) for _ in range(300)]
    grouped = LengthGroupedEpochSampler(lengths, micro_batch_size=4, seed=1)
    order = list(grouped)
    assert sorted(order) == list(range(300)) and len(grouped) == 300
    shuffled = list(EpochSeededSampler(300, seed=1))
    assert _padding(order, lengths, 4) < 0.3 * _padding(shuffled, lengths, 4)
    # not longest-first: the first micro-batches are not the longest rows
    first = [lengths[i] for i in order[: 4 * GROUP_WINDOW_BATCHES]]
    assert sorted(first, reverse=True) != first
    assert list(LengthGroupedEpochSampler(lengths, 4, seed=1)) == order
    grouped.set_epoch(1)
    assert list(grouped) != order

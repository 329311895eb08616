"""The batching wait: max_wait_ms, or a capped share of the recent batch time when batches are slow."""

from __future__ import annotations

import pytest

from supportbot.core.config import GenerationConfig, ModelConfig
from supportbot.serve.config import BatchingConfig, ServeConfig
from supportbot.serve.engine import HFEngine


@pytest.fixture(scope="module")
def engine():
    cfg = ServeConfig(batching=BatchingConfig(max_wait_ms=10, wait_fraction=0.02, max_adaptive_wait_ms=250))
    eng = HFEngine.load(ModelConfig(name="tiny-random"), GenerationConfig(), cfg)
    yield eng
    eng.close()


def test_fast_batches_wait_max_wait_ms(engine):
    engine._batch_seconds = 0.1
    assert engine.batch_wait_s() == pytest.approx(0.010)


def test_slow_batches_wait_a_share_of_their_time_up_to_the_cap(engine):
    engine._batch_seconds = 7.0
    assert engine.batch_wait_s() == pytest.approx(0.14)
    engine._batch_seconds = 60.0
    assert engine.batch_wait_s() == pytest.approx(0.25)

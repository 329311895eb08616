"""The typed root config, assembled above the stages: `model`, `generation` and one section per stage.

Stage code never imports this module; the CLI (`supportbot.cli`) and `api/app.py` load a recipe here and
hand each stage its typed sections.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from supportbot.core.config import GenerationConfig, ModelConfig, Recipe, StrictModel
from supportbot.core.config import load_recipe as core_load_recipe
from supportbot.data.config import PrepareConfig
from supportbot.eval.config import EvalConfig
from supportbot.grounded.config import GroundedConfig
from supportbot.retrieval.config import RetrievalConfig
from supportbot.review.config import PreferencesConfig, ReviewConfig
from supportbot.serve.config import ServeConfig
from supportbot.train.config import TrainConfig


class SupportbotConfig(StrictModel):
    """A whole recipe: every section has defaults, unknown keys are errors."""

    model: ModelConfig = Field(default_factory=ModelConfig)
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    prepare: PrepareConfig = Field(default_factory=PrepareConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    grounded: GroundedConfig = Field(default_factory=GroundedConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    preferences: PreferencesConfig = Field(default_factory=PreferencesConfig)


def load_recipe(path: str | Path | None = None, overrides: list[str] | None = None) -> Recipe:
    """A whole recipe (YAML file + `--set` overrides) with its provenance; errors name the file and key."""
    return core_load_recipe(SupportbotConfig, path, overrides)


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> SupportbotConfig:
    """The validated config of a recipe (YAML file + `--set` overrides)."""
    return load_recipe(path, overrides).config


def config_from_env() -> SupportbotConfig:
    """The config from SUPPORTBOT_CONFIG (YAML), SUPPORTBOT_MODEL and SUPPORTBOT_SET ("a=1;b=2"), for `api/app.py`."""
    overrides = [s for s in os.environ.get("SUPPORTBOT_SET", "").split(";") if s.strip()]
    if os.environ.get("SUPPORTBOT_MODEL"):
        overrides.append(f"model.name={os.environ['SUPPORTBOT_MODEL']}")
    return load_config(os.environ.get("SUPPORTBOT_CONFIG") or None, overrides)

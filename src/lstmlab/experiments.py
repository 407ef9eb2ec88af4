"""The tutorial's six experiments, each at the tutorial's own settings.

This module is the one place those settings are written down.
"""

from dataclasses import dataclass

from lstmlab.config import Config
from lstmlab.errors import ConfigError


@dataclass(frozen=True)
class Experiment:
    name: str
    summary: str
    config: Config
    tutorial_accuracy: float  # percent, as the tutorial printed it
    tutorial_note: str = ""
    random_sample: bool = False  # the tutorial also shows 20 patterns drawn at random


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in [
        Experiment(
            "naive",
            "one letter in, the next letter out",
            Config(experiment="naive", seq_length=1, framing="timesteps"),
            84.00,
        ),
        Experiment(
            "features",
            "a three-letter window as three features of one time step",
            Config(experiment="features", seq_length=3, framing="features"),
            86.96,
        ),
        Experiment(
            "timesteps",
            "a three-letter window as three time steps of one feature",
            Config(experiment="timesteps", seq_length=3, framing="timesteps"),
            100.00,
        ),
        Experiment(
            "batch-state",
            "one letter in; all 25 pairs in one unshuffled batch",
            Config(
                experiment="batch-state",
                seq_length=1,
                units=16,
                epochs=5000,
                batch_size=None,
                shuffle=False,
            ),
            100.00,
            "20 random patterns, all right",
            random_sample=True,
        ),
        Experiment(
            "stateful",
            "one letter in; state carried from each letter to the next, reset every epoch",
            Config(
                experiment="stateful",
                seq_length=1,
                units=50,
                epochs=300,
                batch_size=1,
                shuffle=False,
                stateful=True,
            ),
            100.00,
            "from A spells A..Z; from K after a reset: K->B",
        ),
        Experiment(
            "variable-length",
            "runs of 1 to 5 consecutive letters, pre-padded to 5 time steps",
            Config(experiment="variable-length", data="runs", seq_length=5),
            98.90,
            "20 random patterns, 19 right (a later rerun: 98.40%)",
            random_sample=True,
        ),
    ]
}


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ConfigError(f"unknown experiment {name!r}; choose one of: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def load_config(name: str, **overrides) -> Config:
    """The experiment's tutorial settings with `overrides` applied and checked."""
    return get_experiment(name).config.replace(**overrides)

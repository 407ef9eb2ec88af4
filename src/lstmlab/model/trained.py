"""A trained model as one object: its settings, weights and seed, and what it can be asked.

The methods are thin calls into `prediction`, `generation` and `inspection`, which work on
(params, config) and return documents.
"""

from dataclasses import dataclass

import jax
import numpy as np

from lstmlab.model.generation import Generation, generate
from lstmlab.model.inspection import Inspection, inspect
from lstmlab.model.prediction import Prediction, predict
from lstmlab.settings.config import Config


@dataclass(frozen=True)
class Model:
    """A trained network and the settings that made it; `lstmlab.load(DIR)` gives one."""

    config: Config
    params: dict  # {cell name: {kernel, recurrent_kernel, bias}, "dense": {kernel, bias}}, numpy arrays
    seed: int | None = None  # the seed that trained these weights
    run_seeds: tuple[int, ...] = ()  # every seed trained in the same run

    def predict(self, text: str, top: int = 3) -> Prediction:
        """The next symbol after `text` with its probability, and the `top` alternatives."""
        return predict(self.params, self.config, text, top)

    def generate(self, start: str, steps: int, warmup: str = "") -> Generation:
        """Feed the model its own predictions `steps` times after `warmup + start`."""
        return generate(self.params, self.config, start, steps, warmup=warmup)

    def inspect(self, text: str) -> Inspection:
        """The cell's gates and states at every step of reading `text`."""
        return inspect(self.params, self.config, text)


def models_of(result) -> list[Model]:
    """One Model per seed of a `runner.RunResult`."""
    return [
        Model(result.config, jax.tree_util.tree_map(np.asarray, result.params(index)), seed, tuple(result.seeds))
        for index, seed in enumerate(result.seeds)
    ]

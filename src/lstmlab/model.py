"""A trained model as one object: its settings, weights and seed, and what it can be asked.

The methods are thin calls into `generate` (next symbol, fed-back sequences) and
`inspection` (gates per step), which work on (params, config) and are pure.
"""

from dataclasses import dataclass

import jax
import numpy as np

from lstmlab.config import Config
from lstmlab.errors import DataError
from lstmlab.generation import Step, generate, next_probabilities
from lstmlab.inspection import Inspection, inspect


@dataclass(frozen=True)
class Prediction:
    text: str
    predicted: str  # the most probable next symbol
    probability: float
    top: list[tuple[str, float]]  # the most probable symbols, most probable first

    def to_dict(self, digits: int = 6) -> dict:
        return {
            "text": self.text,
            "predicted": self.predicted,
            "probability": round(self.probability, digits),
            "top": [{"symbol": s, "probability": round(p, digits)} for s, p in self.top],
        }


def predict(params: dict, config: Config, text: str, top: int = 3) -> Prediction:
    """The symbol after `text`, its probability, and the `top` most probable symbols
    (at most the alphabet's size)."""
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise DataError(f"top must be a positive whole number, got {top!r}")
    probs = next_probabilities(params, config, text)
    order = np.argsort(-probs, kind="stable")[:top]
    ranked = [(config.alphabet[k], float(probs[k])) for k in order]
    return Prediction(text, ranked[0][0], ranked[0][1], ranked)


@dataclass(frozen=True)
class Model:
    """A trained network and the settings that made it; `lstmlab.load(DIR)` gives one."""

    config: Config
    params: dict  # {"lstm": {kernel, recurrent_kernel, bias}, "dense": {kernel, bias}}, numpy arrays
    seed: int | None = None  # the seed that trained these weights
    run_seeds: tuple[int, ...] = ()  # every seed trained in the same run

    def predict(self, text: str, top: int = 3) -> Prediction:
        """The next symbol after `text` with its probability, and the `top` alternatives."""
        return predict(self.params, self.config, text, top)

    def generate(self, start: str, steps: int, warmup: str = "") -> list[Step]:
        """Feed the model its own predictions `steps` times after `warmup + start`."""
        return generate(self.params, self.config, start, steps, warmup=warmup)

    def inspect(self, text: str) -> Inspection:
        """Gates, cell state and hidden state at every step of reading `text`."""
        return inspect(self.params, self.config, text)


def models_of(result) -> list[Model]:
    """One Model per seed of a `runner.RunResult`."""
    return [
        Model(result.config, jax.tree_util.tree_map(np.asarray, result.params(index)), seed, tuple(result.seeds))
        for index, seed in enumerate(result.seeds)
    ]

"""Predictions on patterns, accuracy, and the per-pattern table."""

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from lstmlab.cell import zero_state
from lstmlab.config import Config
from lstmlab.data import Patterns, encode_inputs
from lstmlab.network import forward
from lstmlab.training import batch_size_of


@partial(jax.jit, static_argnames=("config",))
def _probabilities(params: dict, x: jax.Array, mask: jax.Array, *, config: Config) -> jax.Array:
    activation = config.recurrent_activation
    if not config.stateful:
        logits, _ = forward(params, x, mask, zero_state((x.shape[0],), config.units), recurrent_activation=activation)
        return jax.nn.softmax(logits)

    # A stateful model is evaluated as Keras does after reset_states(): in order, one batch
    # after another, each row starting from the state the same row of the previous batch left.
    # A short last batch is padded with repeats of the last sample, whose answers are dropped.
    samples = x.shape[0]
    batch = batch_size_of(config, samples)
    padded = -(-samples // batch) * batch
    order = jnp.minimum(jnp.arange(padded), samples - 1)

    def step(state, inputs):
        x_b, mask_b = inputs
        logits, state = forward(params, x_b, mask_b, state, recurrent_activation=activation)
        return state, jax.nn.softmax(logits)

    shaped = (x[order].reshape(-1, batch, *x.shape[1:]), mask[order].reshape(-1, batch, *mask.shape[1:]))
    _, probs = jax.lax.scan(step, zero_state((batch,), config.units), shaped)
    return probs.reshape(padded, -1)[:samples]


def probabilities_many(params: dict, config: Config, patterns: Patterns) -> np.ndarray:
    """(seeds, samples, symbols) for params stacked over seeds."""
    x, mask = encode_inputs(patterns, config)
    run = jax.vmap(partial(_probabilities, config=config), in_axes=(0, None, None))
    return np.asarray(run(params, jnp.asarray(x), jnp.asarray(mask)))


@dataclass(frozen=True)
class PredictionRow:
    inputs: list[str]
    target: str
    predicted: str
    probability: float  # of the predicted symbol

    @property
    def correct(self) -> bool:
        return self.predicted == self.target

    def line(self) -> str:
        """The notebook's line, `['A', 'B', 'C'] -> D`, with a wrong answer marked."""
        text = f"{self.inputs} -> {self.predicted}"
        return text if self.correct else f"{text}   ✗ expected {self.target}"

    def to_dict(self) -> dict:
        return {
            "input": "".join(self.inputs),
            "target": self.target,
            "predicted": self.predicted,
            "probability": round(self.probability, 6),
            "correct": self.correct,
        }


def prediction_rows(patterns: Patterns, probs: np.ndarray, alphabet: str, indices=None) -> list[PredictionRow]:
    indices = range(len(patterns)) if indices is None else indices
    rows = []
    for index in indices:
        best = int(np.argmax(probs[index]))
        rows.append(
            PredictionRow(
                inputs=patterns.input_text(index, alphabet),
                target=alphabet[patterns.targets[index]],
                predicted=alphabet[best],
                probability=float(probs[index, best]),
            )
        )
    return rows

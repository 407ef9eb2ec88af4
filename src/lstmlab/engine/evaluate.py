"""Evaluation: every model's probabilities for every pattern, as Keras's predict gives them."""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from lstmlab.engine import programs
from lstmlab.engine.cell import zero_state
from lstmlab.engine.data import Patterns, encode_inputs
from lstmlab.engine.network import cell_options, forward
from lstmlab.settings.config import Config, batch_size_of


def _probabilities(params: dict, x: jax.Array, mask: jax.Array, *, config: Config) -> jax.Array:
    how = cell_options(config)
    if not config.stateful:
        logits, _ = forward(params, x, mask, zero_state((x.shape[0],), config.units), **how)
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
        logits, state = forward(params, x_b, mask_b, state, **how)
        return state, jax.nn.softmax(logits)

    shaped = (x[order].reshape(-1, batch, *x.shape[1:]), mask[order].reshape(-1, batch, *mask.shape[1:]))
    _, probs = jax.lax.scan(step, zero_state((batch,), config.units), shaped)
    return probs.reshape(padded, -1)[:samples]


EVAL_GROUP_SEEDS = 64  # seeds per compiled evaluation call: memory stays bounded for any number


@dataclass(frozen=True)
class Answers:
    """Each model's answer to each pattern: what a run keeps, (seeds, samples) each."""

    predicted: np.ndarray  # int32 code of the most probable symbol
    probability: np.ndarray  # float32, of that symbol


def group_probabilities(params: dict, config: Config, patterns: Patterns, group: int = EVAL_GROUP_SEEDS):
    """(seeds in the group, samples, symbols) probabilities for params stacked over seeds,
    `group` seeds per call (the last group padded with repeats, so one compiled program
    serves every group); yielded group by group, so memory stays bounded for any number."""
    x, mask = (jnp.asarray(a) for a in encode_inputs(patterns, config))
    leaves, tree = jax.tree_util.tree_flatten(params)
    seeds = len(leaves[0])
    size = min(group, seeds)

    def probabilities(args):  # flat arguments, so that `programs` can keep it exported
        group_leaves, x, mask = args
        group_params = jax.tree_util.tree_unflatten(tree, group_leaves)
        return jax.vmap(lambda p: _probabilities(p, x, mask, config=config))(group_params)

    def group_of(first: int) -> list:
        index = np.minimum(np.arange(first, first + size), seeds - 1)
        return [leaf[index] for leaf in leaves]

    run = programs.cached("evaluate", probabilities, ((group_of(0), x, mask),), {"config": config.to_dict()})
    for first in range(0, seeds, size):
        yield np.asarray(run((group_of(first), x, mask)))[: seeds - first]


def probabilities_many(params: dict, config: Config, patterns: Patterns, group: int = EVAL_GROUP_SEEDS) -> np.ndarray:
    """(seeds, samples, symbols): every model's probabilities for every pattern."""
    return np.concatenate(list(group_probabilities(params, config, patterns, group)))


def answers_many(params: dict, config: Config, patterns: Patterns, group: int = EVAL_GROUP_SEEDS) -> Answers:
    """Every model's answers, without keeping every probability of every symbol."""
    predicted, probability = [], []
    for probs in group_probabilities(params, config, patterns, group):
        best = np.argmax(probs, axis=-1)
        predicted.append(best.astype(np.int32))
        probability.append(np.take_along_axis(probs, best[..., None], axis=-1)[..., 0])
    return Answers(np.concatenate(predicted), np.concatenate(probability))

"""Evaluation: every model's probabilities for every pattern, as Keras's predict gives them."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from lstmlab.cell import zero_state
from lstmlab.config import Config, batch_size_of
from lstmlab.data import Patterns, encode_inputs
from lstmlab.network import forward


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


@partial(jax.jit, static_argnames=("config",))
def _probabilities_group(params: dict, x: jax.Array, mask: jax.Array, *, config: Config) -> jax.Array:
    return jax.vmap(lambda p: _probabilities(p, x, mask, config=config))(params)


EVAL_GROUP_SEEDS = 64  # seeds per compiled evaluation call: memory stays bounded for any number


def probabilities_many(params: dict, config: Config, patterns: Patterns, group: int = EVAL_GROUP_SEEDS) -> np.ndarray:
    """(seeds, samples, symbols) for params stacked over seeds, `group` seeds per call (the
    last group padded with repeats, so one compiled program serves every group)."""
    x, mask = (jnp.asarray(a) for a in encode_inputs(patterns, config))
    seeds = len(jax.tree_util.tree_leaves(params)[0])
    size = min(group, seeds)
    out = []
    for first in range(0, seeds, size):
        index = np.minimum(np.arange(first, first + size), seeds - 1)
        group_params = jax.tree_util.tree_map(lambda leaf, index=index: leaf[index], params)
        out.append(np.asarray(_probabilities_group(group_params, x, mask, config=config))[: seeds - first])
    return np.concatenate(out)

"""The network: one recurrent layer (an LSTM, or another cell of `lstmlab.engine.cell`) read over
time, then a dense softmax layer over the symbols."""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmlab.engine.cell import CellState, cell_step, glorot_uniform, init_cell, layer_name
from lstmlab.engine.data import input_features
from lstmlab.settings.config import Config


class Trace(NamedTuple):
    """What the cell did at every time step, each (time, ..., units)."""

    gates: dict  # name -> values, the cell's own gates (`cell.GATES`)
    state: CellState


def init_params(
    key: jax.Array, features: int, units: int, classes: int, cell: str = "lstm", forget_bias: float = 1.0
) -> dict:
    cell_key, dense_key = jax.random.split(key)
    return {
        layer_name(cell): init_cell(cell_key, cell, features, units, forget_bias),
        "dense": {
            "kernel": glorot_uniform(dense_key, (units, classes)),
            "bias": jnp.zeros((classes,), jnp.float32),
        },
    }


def init_model(key: jax.Array, config: Config) -> dict:
    """The weights a model with these settings starts from."""
    features, classes = input_features(config), len(config.alphabet)
    return init_params(key, features, config.units, classes, config.cell, config.forget_bias)


def cell_options(config: Config) -> dict:
    """The keyword arguments of `forward` and `run_cell` that say how this model reads."""
    return {"cell": config.cell, "recurrent_activation": config.recurrent_activation}


def recurrent_params(params: dict) -> dict:
    """The recurrent layer's weights, whichever cell it is."""
    (name,) = (name for name in params if name != "dense")
    return params[name]


# Sequences up to this long are unrolled: the tutorial's windows are a handful of steps, and
# unrolling lets XLA fuse across them. Longer ones (the long-time-lag tasks) loop, which keeps
# compile time and program size flat in the length.
UNROLL_UP_TO = 16


def run_cell(
    layer_params: dict,
    x: jax.Array,
    mask: jax.Array,
    state: CellState,
    *,
    cell: str = "lstm",
    recurrent_activation: str = "sigmoid",
    nudges: jax.Array | None = None,
) -> tuple[CellState, Trace]:
    """Read x (batch, time, features) from `state`; steps where mask (batch, time) is False
    leave the state untouched, as Keras's masking does. `nudges` (batch, time, units), when
    given, is added to each step's hidden state: zero, it changes nothing, and the gradient
    with respect to it is the gradient with respect to h_t (results.gradient_flow).

    Returns the final state and the per-step trace (time-major).
    """

    def step(carry: CellState, inputs):
        x_t, keep_t, nudge_t = inputs
        new, gates = cell_step(layer_params, carry, x_t, cell=cell, recurrent_activation=recurrent_activation)
        keep = keep_t[..., None]
        h = jnp.where(keep, new.h, carry.h)
        new = CellState(h=h if nudge_t is None else h + nudge_t, c=jnp.where(keep, new.c, carry.c))
        return new, Trace(gates=gates, state=new)

    time_major = tuple(None if a is None else jnp.swapaxes(a, 0, 1) for a in (x, mask, nudges))
    return jax.lax.scan(step, state, time_major, unroll=x.shape[1] <= UNROLL_UP_TO)


def run_lstm(layer_params, x, mask, state, *, recurrent_activation: str = "sigmoid"):
    """`run_cell` for Keras's LSTM."""
    return run_cell(layer_params, x, mask, state, cell="lstm", recurrent_activation=recurrent_activation)


def forward(
    params: dict,
    x: jax.Array,
    mask: jax.Array,
    state: CellState,
    *,
    cell: str = "lstm",
    recurrent_activation: str = "sigmoid",
) -> tuple[jax.Array, CellState]:
    """Logits (batch, classes) from the last hidden state, and the final state."""
    final, _ = run_cell(recurrent_params(params), x, mask, state, cell=cell, recurrent_activation=recurrent_activation)
    return readout(params, final.h), final


def readout(params: dict, h: jax.Array) -> jax.Array:
    """The dense layer: logits (..., classes) from hidden states (..., units)."""
    return h @ params["dense"]["kernel"] + params["dense"]["bias"]

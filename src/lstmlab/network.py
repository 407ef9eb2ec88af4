"""The network: one LSTM layer read over time, then a dense softmax layer over the symbols."""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmlab.cell import Gates, LSTMState, glorot_uniform, init_lstm, lstm_step


class Trace(NamedTuple):
    """What the cell did at every time step, each (time, ..., units)."""

    gates: Gates
    state: LSTMState


def init_params(key: jax.Array, features: int, units: int, classes: int) -> dict:
    lstm_key, dense_key = jax.random.split(key)
    return {
        "lstm": init_lstm(lstm_key, features, units),
        "dense": {
            "kernel": glorot_uniform(dense_key, (units, classes)),
            "bias": jnp.zeros((classes,), jnp.float32),
        },
    }


def run_lstm(
    lstm_params: dict,
    x: jax.Array,
    mask: jax.Array,
    state: LSTMState,
    *,
    recurrent_activation: str = "sigmoid",
) -> tuple[LSTMState, Trace]:
    """Read x (batch, time, features) from `state`; steps where mask (batch, time) is False
    leave the state untouched, as Keras's masking does.

    Returns the final state and the per-step trace (time-major).
    """

    def step(carry: LSTMState, inputs):
        x_t, keep_t = inputs
        new, gates = lstm_step(lstm_params, carry, x_t, recurrent_activation=recurrent_activation)
        keep = keep_t[..., None]
        new = LSTMState(h=jnp.where(keep, new.h, carry.h), c=jnp.where(keep, new.c, carry.c))
        return new, Trace(gates=gates, state=new)

    time_major = (jnp.swapaxes(x, 0, 1), jnp.swapaxes(mask, 0, 1))
    # The windows are a handful of steps long: unrolling lets XLA fuse across them.
    return jax.lax.scan(step, state, time_major, unroll=True)


def forward(
    params: dict,
    x: jax.Array,
    mask: jax.Array,
    state: LSTMState,
    *,
    recurrent_activation: str = "sigmoid",
) -> tuple[jax.Array, LSTMState]:
    """Logits (batch, classes) from the last hidden state, and the final LSTM state."""
    final, _ = run_lstm(params["lstm"], x, mask, state, recurrent_activation=recurrent_activation)
    return readout(params, final.h), final


def readout(params: dict, h: jax.Array) -> jax.Array:
    """The dense layer: logits (..., classes) from hidden states (..., units)."""
    return h @ params["dense"]["kernel"] + params["dense"]["bias"]

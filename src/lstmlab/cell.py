"""The LSTM cell: one step, its gates spelled out, and Keras's default initialisation.

Gate order in the packed weights is Keras's: input i, forget f, candidate g, output o.
Training, evaluation and `inspect` all use `lstm_step`; there is no second copy of these
equations anywhere in the package.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp


class LSTMState(NamedTuple):
    h: jax.Array  # hidden state, (..., units)
    c: jax.Array  # memory cell, (..., units)


class Gates(NamedTuple):
    i: jax.Array  # input gate: how much of the candidate enters the cell
    f: jax.Array  # forget gate: how much of the old cell stays
    g: jax.Array  # candidate values, tanh
    o: jax.Array  # output gate: how much of tanh(c) leaves as h


def hard_sigmoid(x: jax.Array) -> jax.Array:
    """Keras-2-era piecewise-linear sigmoid: clip(0.2 x + 0.5, 0, 1)."""
    return jnp.clip(0.2 * x + 0.5, 0.0, 1.0)


def recurrent_activation_fn(name: str):
    return {"sigmoid": jax.nn.sigmoid, "hard_sigmoid": hard_sigmoid}[name]


def lstm_step(
    params: dict, state: LSTMState, x: jax.Array, *, recurrent_activation: str = "sigmoid"
) -> tuple[LSTMState, Gates]:
    """One time step.

    params: kernel (features, 4*units), recurrent_kernel (units, 4*units), bias (4*units,)
    state:  h, c each (..., units);  x: (..., features)
    Returns the new state and the gates that made it, each (..., units).
    """
    sigma = recurrent_activation_fn(recurrent_activation)
    z = x @ params["kernel"] + state.h @ params["recurrent_kernel"] + params["bias"]
    z_i, z_f, z_g, z_o = jnp.split(z, 4, axis=-1)
    i, f, g, o = sigma(z_i), sigma(z_f), jnp.tanh(z_g), sigma(z_o)
    c = f * state.c + i * g
    h = o * jnp.tanh(c)
    return LSTMState(h=h, c=c), Gates(i=i, f=f, g=g, o=o)


def zero_state(batch_shape: tuple[int, ...], units: int) -> LSTMState:
    zeros = jnp.zeros((*batch_shape, units), jnp.float32)
    return LSTMState(h=zeros, c=zeros)


# --- Keras's default initialisers -------------------------------------------------------


def glorot_uniform(key: jax.Array, shape: tuple[int, int]) -> jax.Array:
    """U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)), as keras GlorotUniform."""
    fan_in, fan_out = shape
    limit = jnp.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, shape, jnp.float32, -limit, limit)


def orthogonal(key: jax.Array, shape: tuple[int, int]) -> jax.Array:
    """As keras Orthogonal(gain=1): the Q of a normal matrix's QR, signs fixed so that
    diag(R) > 0 — the one Q with that property, so Gram-Schmidt gives it too.

    For a wide (units, 4*units) recurrent kernel the rows come out orthonormal.
    """
    rows, cols = shape
    flat = jax.random.normal(key, (max(rows, cols), min(rows, cols)), jnp.float32)
    q = orthonormal_columns(flat)
    return q.T if rows < cols else q


@jax.custom_batching.custom_vmap
def orthonormal_columns(a: jax.Array) -> jax.Array:
    """Q of a = QR with diag(R) > 0, by classical Gram-Schmidt applied twice per column
    ("CGS2", orthogonal to float precision). Plain array operations, not LAPACK's QR: the
    program then needs no LAPACK kernels, whose loading costs every run about 0.3 s."""

    def column(j, q):
        v = a[:, j]
        for _ in range(2):  # the second pass removes what rounding left of the first
            # q's columns j.. are still zero. Products and sums, not a matrix product: a
            # matmul may take another kernel for another number of seeds, and seed k must
            # get the same bits alone as beside others.
            v = v - jnp.sum(q * jnp.sum(q * v[:, None], axis=0), axis=1)
        return q.at[:, j].set(v / jnp.sqrt(jnp.sum(v * v)))

    return jax.lax.fori_loop(0, a.shape[1], column, jnp.zeros_like(a))


@orthonormal_columns.def_vmap
def _one_matrix_at_a_time(axis_size, in_batched, a):
    # Seed k must get the same bits alone as beside others; a batched program may sum in
    # another order, so many matrices are done one after another by the one-matrix program.
    (batched,) = in_batched
    if not batched:
        return orthonormal_columns(a), False
    return jax.lax.map(orthonormal_columns, a), True


def init_lstm(key: jax.Array, features: int, units: int) -> dict:
    """Kernel glorot-uniform, recurrent kernel orthogonal, bias 0 with forget bias 1."""
    kernel_key, recurrent_key = jax.random.split(key)
    bias = jnp.zeros((4 * units,), jnp.float32).at[units : 2 * units].set(1.0)  # unit_forget_bias
    return {
        "kernel": glorot_uniform(kernel_key, (features, 4 * units)),
        "recurrent_kernel": orthogonal(recurrent_key, (units, 4 * units)),
        "bias": bias,
    }

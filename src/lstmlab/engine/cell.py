"""The recurrent cells: one step each, their gates spelled out, and Keras's default
initialisation.

- "lstm": Keras's LSTM. Gate order in the packed weights is Keras's: input i, forget f,
  candidate g, output o; the forget gate's bias starts at `forget_bias` (Keras: 1).
- "lstm-1997": the cell of Hochreiter & Schmidhuber (1997): no forget gate, so the cell state
  is carried on unchanged (the "constant error carousel") and only added to: c = c + i*g.
  Packed order i, g, o. (The paper squashed g and the output with scaled sigmoids; here they
  are tanh, as in every LSTM since.)
- "gru": Keras 3's GRU (reset_after=True): update gate z, reset gate r, candidate g;
  h = z*h + (1-z)*g. Packed order z, r, g; two bias rows, for the input and the recurrent
  part, as Keras stores them.
- "rnn": Keras's SimpleRNN: h = tanh(x W + h U + b). No gates.

Every cell carries the same state (h, c); the cells without a memory cell leave c at zero,
so training, masking and stateful reading treat all cells alike. Training, evaluation and
`inspect` all use `cell_step`; there is no second copy of these equations in the package.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from lstmlab.i18n import N_

CELLS = ("lstm", "lstm-1997", "gru", "rnn")
GATES = {"lstm": ("i", "f", "g", "o"), "lstm-1997": ("i", "g", "o"), "gru": ("z", "r", "g"), "rnn": ()}
STATES = {"lstm": ("c", "h"), "lstm-1997": ("c", "h"), "gru": ("h",), "rnn": ("h",)}
PACKED = {"lstm": 4, "lstm-1997": 3, "gru": 3, "rnn": 1}  # blocks of `units` columns in the kernels
PANEL_NAMES = {  # marked for the catalog; a picture shows them translated (`_`)
    "i": N_("input gate i"),
    "f": N_("forget gate f"),
    "g": N_("candidate g"),
    "o": N_("output gate o"),
    "z": N_("update gate z"),
    "r": N_("reset gate r"),
    "c": N_("cell state c"),
    "h": N_("hidden state h"),
}


class CellState(NamedTuple):
    """Every cell's state; c stays zero in the cells that have no memory cell (gru, rnn)."""

    h: jax.Array  # hidden state, (..., units)
    c: jax.Array  # memory cell, (..., units)


def panels(cell: str) -> tuple[str, ...]:
    """What `inspect` shows of a cell at each step: its gates, then its states."""
    return GATES[cell] + STATES[cell]


def layer_name(cell: str) -> str:
    """The recurrent layer's key in the parameter tree (and in saved tensor names)."""
    return cell


def hard_sigmoid(x: jax.Array) -> jax.Array:
    """Keras-2-era piecewise-linear sigmoid: clip(0.2 x + 0.5, 0, 1)."""
    return jnp.clip(0.2 * x + 0.5, 0.0, 1.0)


def recurrent_activation_fn(name: str):
    return {"sigmoid": jax.nn.sigmoid, "hard_sigmoid": hard_sigmoid}[name]


def lstm_step(
    params: dict, state: CellState, x: jax.Array, *, recurrent_activation: str = "sigmoid"
) -> tuple[CellState, dict]:
    """One time step of Keras's LSTM.

    params: kernel (features, 4*units), recurrent_kernel (units, 4*units), bias (4*units,)
    state:  h, c each (..., units);  x: (..., features)
    Returns the new state and the gates that made it, {name: (..., units)}.
    """
    sigma = recurrent_activation_fn(recurrent_activation)
    z = x @ params["kernel"] + state.h @ params["recurrent_kernel"] + params["bias"]
    z_i, z_f, z_g, z_o = jnp.split(z, 4, axis=-1)
    i, f, g, o = sigma(z_i), sigma(z_f), jnp.tanh(z_g), sigma(z_o)
    c = f * state.c + i * g
    h = o * jnp.tanh(c)
    return CellState(h=h, c=c), {"i": i, "f": f, "g": g, "o": o}


def lstm1997_step(
    params: dict, state: CellState, x: jax.Array, *, recurrent_activation: str = "sigmoid"
) -> tuple[CellState, dict]:
    """One time step of the 1997 LSTM: no forget gate, the cell only adds (c = c + i*g)."""
    sigma = recurrent_activation_fn(recurrent_activation)
    z = x @ params["kernel"] + state.h @ params["recurrent_kernel"] + params["bias"]
    z_i, z_g, z_o = jnp.split(z, 3, axis=-1)
    i, g, o = sigma(z_i), jnp.tanh(z_g), sigma(z_o)
    c = state.c + i * g  # the constant error carousel: dc/dc_prev = 1
    h = o * jnp.tanh(c)
    return CellState(h=h, c=c), {"i": i, "g": g, "o": o}


def gru_step(
    params: dict, state: CellState, x: jax.Array, *, recurrent_activation: str = "sigmoid"
) -> tuple[CellState, dict]:
    """One time step of Keras 3's GRU (reset_after=True).

    params: kernel (features, 3*units), recurrent_kernel (units, 3*units),
            bias (2, 3*units): row 0 added to the input part, row 1 to the recurrent part.
    """
    sigma = recurrent_activation_fn(recurrent_activation)
    x_z, x_r, x_g = jnp.split(x @ params["kernel"] + params["bias"][0], 3, axis=-1)
    h_z, h_r, h_g = jnp.split(state.h @ params["recurrent_kernel"] + params["bias"][1], 3, axis=-1)
    z = sigma(x_z + h_z)
    r = sigma(x_r + h_r)
    g = jnp.tanh(x_g + r * h_g)  # reset_after: r scales the recurrent part after its product
    h = z * state.h + (1.0 - z) * g
    return CellState(h=h, c=state.c), {"z": z, "r": r, "g": g}


def rnn_step(
    params: dict, state: CellState, x: jax.Array, *, recurrent_activation: str = "sigmoid"
) -> tuple[CellState, dict]:
    """One time step of Keras's SimpleRNN: h = tanh(x W + h U + b). (No gates, so no
    recurrent activation.)"""
    h = jnp.tanh(x @ params["kernel"] + state.h @ params["recurrent_kernel"] + params["bias"])
    return CellState(h=h, c=state.c), {}


STEPS = {"lstm": lstm_step, "lstm-1997": lstm1997_step, "gru": gru_step, "rnn": rnn_step}


def cell_step(
    params: dict, state: CellState, x: jax.Array, *, cell: str = "lstm", recurrent_activation: str = "sigmoid"
) -> tuple[CellState, dict]:
    """One time step of `cell`: the new state and its gates by name (see GATES)."""
    return STEPS[cell](params, state, x, recurrent_activation=recurrent_activation)


def zero_state(batch_shape: tuple[int, ...], units: int) -> CellState:
    zeros = jnp.zeros((*batch_shape, units), jnp.float32)
    return CellState(h=zeros, c=zeros)


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


def init_lstm(key: jax.Array, features: int, units: int, forget_bias: float = 1.0) -> dict:
    """Kernel glorot-uniform, recurrent kernel orthogonal, bias 0 but the forget gate's,
    `forget_bias` (Keras's unit_forget_bias: 1)."""
    return init_cell(key, "lstm", features, units, forget_bias)


def init_cell(key: jax.Array, cell: str, features: int, units: int, forget_bias: float = 1.0) -> dict:
    """Keras's defaults for every cell: kernel glorot-uniform, recurrent kernel orthogonal,
    biases zero (the LSTM's forget gate: `forget_bias`)."""
    blocks = PACKED[cell]
    kernel_key, recurrent_key = jax.random.split(key)
    bias_shape = (2, blocks * units) if cell == "gru" else (blocks * units,)
    bias = jnp.zeros(bias_shape, jnp.float32)
    if cell == "lstm":
        bias = bias.at[units : 2 * units].set(forget_bias)
    return {
        "kernel": glorot_uniform(kernel_key, (features, blocks * units)),
        "recurrent_kernel": orthogonal(recurrent_key, (units, blocks * units)),
        "bias": bias,
    }

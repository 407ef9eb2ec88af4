import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmlab.engine.cell import (
    CELLS,
    GATES,
    CellState,
    hard_sigmoid,
    init_cell,
    init_lstm,
    lstm_step,
    orthogonal,
    panels,
    zero_state,
)
from lstmlab.engine.network import forward, init_params, run_cell, run_lstm
from tests.reference import FORWARD, cross_entropy

BLOCKS = {"lstm": 4, "lstm-1997": 3, "gru": 3, "rnn": 1}


def random_params(seed, features=3, units=8, classes=5, scale=0.5, cell="lstm"):
    """Weights well away from Keras's init (nonzero biases too), to exercise every term."""
    rng = np.random.default_rng(seed)
    width = BLOCKS[cell] * units
    shapes = {
        cell: {
            "kernel": (features, width),
            "recurrent_kernel": (units, width),
            "bias": (2, width) if cell == "gru" else (width,),
        },
        "dense": {"kernel": (units, classes), "bias": (classes,)},
    }
    return jax.tree_util.tree_map(
        lambda s: jnp.asarray(rng.normal(0, scale, s), jnp.float32), shapes, is_leaf=lambda s: isinstance(s, tuple)
    )


CELL_CASES = [(cell, "sigmoid") for cell in CELLS] + [(cell, "hard_sigmoid") for cell in ("lstm", "lstm-1997", "gru")]


@pytest.mark.parametrize(("cell", "activation"), CELL_CASES)
def test_scanned_cell_matches_numpy_reference(cell, activation):
    params = random_params(0, cell=cell)
    x = np.random.default_rng(1).uniform(0, 1, (4, 5, 3)).astype(np.float32)
    mask = np.ones((4, 5), bool)
    mask[1, :2] = False  # a masked step keeps the state
    final, trace = run_cell(params[cell], x, mask, zero_state((4,), 8), cell=cell, recurrent_activation=activation)
    logits, _ = forward(params, x, mask, zero_state((4,), 8), cell=cell, recurrent_activation=activation)
    steps, ref_logits = FORWARD[cell](params, x, mask, activation=activation)
    assert set(trace.gates) == set(GATES[cell])
    for t, step in enumerate(steps):
        for name in panels(cell):
            traced = trace.gates[name] if name in GATES[cell] else getattr(trace.state, name)
            # a masked step's gates are computed but unused; compare them on the rows that read
            rows = mask[:, t] if name in GATES[cell] else slice(None)
            np.testing.assert_allclose(traced[t][rows], step[name][rows], atol=1e-6, err_msg=f"{name} at step {t}")
    np.testing.assert_allclose(final.h, steps[-1]["h"], atol=1e-6)
    np.testing.assert_allclose(logits, ref_logits, atol=1e-5)


def test_lstm_1997_carries_its_cell_unchanged_when_the_input_gate_is_shut():
    """No forget gate: with the input gate shut, c is carried on exactly (the constant error carousel)."""
    params = random_params(3, cell="lstm-1997")
    params["lstm-1997"]["bias"] = params["lstm-1997"]["bias"].at[:8].set(-1e4)  # i = 0
    c0 = jnp.asarray(np.random.default_rng(0).normal(size=(2, 8)), jnp.float32)
    start = CellState(h=jnp.zeros((2, 8)), c=c0)
    final, _ = run_cell(params["lstm-1997"], jnp.ones((2, 50, 3)), jnp.ones((2, 50), bool), start, cell="lstm-1997")
    np.testing.assert_array_equal(final.c, c0)


@pytest.mark.parametrize("cell", CELLS)
def test_gradients_match_numerical_differences_of_the_reference(cell):
    params = random_params(2, features=1, units=4, classes=6, cell=cell)
    x = np.random.default_rng(3).uniform(0, 1, (3, 3, 1)).astype(np.float32)
    targets = np.array([1, 4, 5])
    mask = np.ones((3, 3), bool)

    def loss(p):
        logits, _ = forward(p, x, mask, zero_state((3,), 4), cell=cell)
        return jnp.mean(-jax.nn.log_softmax(logits)[jnp.arange(3), targets])

    grads = jax.grad(loss)(params)
    rng = np.random.default_rng(4)
    eps = 1e-6
    as64 = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), params)
    reference = FORWARD[cell]
    for layer, name in [(cell, "kernel"), (cell, "recurrent_kernel"), (cell, "bias"), ("dense", "kernel")]:
        leaf = as64[layer][name]
        for flat in rng.choice(leaf.size, 4, replace=False):
            index = np.unravel_index(flat, leaf.shape)
            plus, minus = leaf.copy(), leaf.copy()
            plus[index] += eps
            minus[index] -= eps
            loss_plus = cross_entropy(reference({**as64, layer: {**as64[layer], name: plus}}, x)[1], targets)
            loss_minus = cross_entropy(reference({**as64, layer: {**as64[layer], name: minus}}, x)[1], targets)
            numeric = (loss_plus - loss_minus) / (2 * eps)
            assert float(grads[layer][name][index]) == pytest.approx(numeric, rel=2e-3, abs=2e-6), (layer, name, index)


@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_starts_from_kerass_defaults(cell):
    units, features = 6, 5
    params = init_cell(jax.random.key(1), cell, features, units)
    width = BLOCKS[cell] * units
    assert params["kernel"].shape == (features, width)
    U = np.asarray(params["recurrent_kernel"])
    assert U.shape == (units, width)
    np.testing.assert_allclose(U @ U.T, np.eye(units), atol=1e-5)  # orthogonal rows
    limit = np.sqrt(6 / (features + width))  # glorot-uniform
    assert 0 < np.abs(np.asarray(params["kernel"])).max() <= limit
    bias = np.asarray(params["bias"])
    assert bias.shape == ((2, width) if cell == "gru" else (width,))  # GRU: input and recurrent rows, as Keras
    expected = np.zeros_like(bias)
    if cell == "lstm":
        expected[units : 2 * units] = 1.0  # unit_forget_bias
    np.testing.assert_array_equal(bias, expected)


def test_forget_bias_sets_only_the_forget_gates_bias():
    bias = np.asarray(init_cell(jax.random.key(1), "lstm", 2, 4, forget_bias=5.0)["bias"])
    np.testing.assert_array_equal(bias, [0] * 4 + [5] * 4 + [0] * 8)


def test_the_default_lstm_keeps_its_weights_bit_for_bit():
    """Adding cells must not move a seed's LSTM: init_params without a cell is init_lstm's."""
    a = init_params(jax.random.key(7), 1, 32, 26)
    b = init_params(jax.random.key(7), 1, 32, 26, "lstm", 1.0)
    for name in ("kernel", "recurrent_kernel", "bias"):
        np.testing.assert_array_equal(a["lstm"][name], b["lstm"][name])
    alone = init_lstm(jax.random.split(jax.random.key(7))[0], 1, 32)
    np.testing.assert_array_equal(alone["kernel"], a["lstm"]["kernel"])


def test_recurrent_kernel_is_orthogonal_and_forget_bias_is_one():
    units = 32
    params = init_lstm(jax.random.key(0), 1, units)
    U = np.asarray(params["recurrent_kernel"])
    assert U.shape == (units, 4 * units)
    np.testing.assert_allclose(U @ U.T, np.eye(units), atol=1e-5)  # orthonormal rows
    bias = np.asarray(params["bias"])
    np.testing.assert_array_equal(bias[units : 2 * units], 1.0)
    np.testing.assert_array_equal(np.delete(bias, np.s_[units : 2 * units]), 0.0)


def test_orthogonal_tall_matrix_has_orthonormal_columns():
    Q = np.asarray(orthogonal(jax.random.key(1), (40, 10)))
    np.testing.assert_allclose(Q.T @ Q, np.eye(10), atol=1e-5)


def test_glorot_uniform_limits_and_spread():
    params = init_params(jax.random.key(3), 64, 32, 26)
    kernel = np.asarray(params["lstm"]["kernel"])  # (64, 128)
    limit = np.sqrt(6 / (64 + 128))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit
    assert kernel.var() == pytest.approx(limit**2 / 3, rel=0.1)  # variance of U(-l, l)
    dense = np.asarray(params["dense"]["kernel"])
    assert np.abs(dense).max() <= np.sqrt(6 / (32 + 26))
    np.testing.assert_array_equal(params["dense"]["bias"], 0.0)


def test_hard_sigmoid_is_kerass_piecewise_line():
    x = jnp.array([-3.0, -2.5, 0.0, 1.0, 2.5, 4.0])
    np.testing.assert_allclose(hard_sigmoid(x), [0.0, 0.0, 0.5, 0.7, 1.0, 1.0], atol=1e-7)


def test_one_step_recombines_from_its_gates():
    params = random_params(5)["lstm"]
    state = CellState(h=jnp.full((2, 8), 0.3), c=jnp.full((2, 8), -0.4))
    new, gates = lstm_step(params, state, jnp.ones((2, 3)))
    np.testing.assert_allclose(new.c, gates["f"] * state.c + gates["i"] * gates["g"], atol=1e-7)
    np.testing.assert_allclose(new.h, gates["o"] * jnp.tanh(new.c), atol=1e-7)


jit_forward = jax.jit(forward)  # one compile per shape, however many examples share it
jit_run_lstm = jax.jit(run_lstm)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    length=st.integers(1, 5),
    pad=st.integers(0, 4),
)
def test_masked_padding_gives_the_unpadded_output(seed, length, pad):
    """With padding 'mask', padded steps leave the state exactly as it was (zero here), so a
    padded pattern ends where the unpadded one does. The final logits agree to float rounding
    only: XLA fuses the (pad+length)-step and the length-step programs differently."""
    params = random_params(seed, features=1, units=6, classes=7, scale=1.0)
    values = np.random.default_rng(seed).uniform(0, 1, (1, length, 1)).astype(np.float32)
    padded = np.concatenate([np.full((1, pad, 1), 0.7, np.float32), values], axis=1)
    mask = np.concatenate([np.zeros((1, pad), bool), np.ones((1, length), bool)], axis=1)
    unpadded_logits, unpadded_state = jit_forward(params, values, np.ones((1, length), bool), zero_state((1,), 6))
    padded_logits, padded_state = jit_forward(params, padded, mask, zero_state((1,), 6))
    _, trace = jit_run_lstm(params["lstm"], padded, mask, zero_state((1,), 6))
    np.testing.assert_array_equal(trace.state.h[:pad], 0.0)
    np.testing.assert_array_equal(trace.state.c[:pad], 0.0)
    np.testing.assert_allclose(padded_logits, unpadded_logits, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(padded_state.c, unpadded_state.c, rtol=1e-6, atol=1e-6)


def test_zero_padding_without_mask_changes_the_output():
    """The tutorial's padding: 0 is also the code of 'A', and with no mask it is read as input."""
    params = random_params(9, features=1, units=6, classes=7, scale=1.0)
    values = np.array([[[0.5], [0.6]]], np.float32)
    padded = np.concatenate([np.zeros((1, 3, 1), np.float32), values], axis=1)
    unpadded_logits, _ = forward(params, values, np.ones((1, 2), bool), zero_state((1,), 6))
    padded_logits, _ = forward(params, padded, np.ones((1, 5), bool), zero_state((1,), 6))
    assert np.abs(np.asarray(padded_logits) - np.asarray(unpadded_logits)).max() > 1e-3

"""Keras itself as the reference: its LSTM, GRU and SimpleRNN layers, its initialisers and
one step of its Adam on categorical cross-entropy, against lstmlab's, from the same weights.

Keras 3 runs on JAX here (KERAS_BACKEND=jax, set before it is imported; no TensorFlow). The
NumPy transcriptions of tests/reference.py stay: two independent references.
"""

import math
import os

os.environ["KERAS_BACKEND"] = "jax"  # before keras is imported, here or by anything else

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

from lstmlab.engine.cell import glorot_uniform, hard_sigmoid, init_cell, orthogonal, zero_state  # noqa: E402
from lstmlab.engine.network import forward, run_cell  # noqa: E402
from lstmlab.model.keras_write import FORGET_OPEN, KERAS3_HARD_SIGMOID_SCALE, keras_weights  # noqa: E402
from lstmlab.model.trained import Model  # noqa: E402
from lstmlab.settings.config import load_config  # noqa: E402
from tests.test_update_rule import (  # noqa: E402
    B1,
    B2,
    CONFIG,
    EPS,
    LR,
    UNITS,
    X,
    Y,
    engine_epochs,
    float32_tolerance,
    keras_epsilon,
    start_weights,
)

TOLERANCE = 1e-5
KERAS_LAYERS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}
BATCH, TIME, FEATURES, N_UNITS = 5, 6, 3, 7


def values(layer) -> list[np.ndarray]:
    """A layer's or model's weights (not get_weights(), which warns under NumPy 2 in Keras 3.15)."""
    return [np.asarray(v.value) for v in layer.weights]


def keras2_hard_sigmoid(x):
    """Keras 1/2's hard_sigmoid, clip(0.2x + 0.5, 0, 1), written with Keras's own ops."""
    return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def random_layer(cell: str, seed: int) -> dict:
    """Weights away from any initialiser (and biases), so that every gate is exercised."""
    rng = np.random.default_rng(seed)
    blocks = {"lstm": 4, "gru": 3, "rnn": 1, "lstm-1997": 3}[cell]
    bias_shape = (2, blocks * N_UNITS) if cell == "gru" else (blocks * N_UNITS,)
    return {
        "kernel": rng.normal(0, 0.7, (FEATURES, blocks * N_UNITS)).astype(np.float32),
        "recurrent_kernel": rng.normal(0, 0.5, (N_UNITS, blocks * N_UNITS)).astype(np.float32),
        "bias": rng.normal(0, 0.5, bias_shape).astype(np.float32),
    }


def inputs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x (batch, time, features) and a pre-padding mask: row b keeps its last TIME - b steps."""
    x = np.random.default_rng(seed).normal(0, 1, (BATCH, TIME, FEATURES)).astype(np.float32)
    mask = np.arange(TIME)[None, :] >= np.arange(BATCH)[:, None]
    return x, mask


def keras_layer(cell: str, weights: list, activation):
    kind = KERAS_LAYERS[cell]
    options = {"return_sequences": True, "return_state": True}
    if cell != "rnn":
        options["recurrent_activation"] = activation
    if cell == "gru":
        options["reset_after"] = True
    layer = kind(N_UNITS, **options)
    layer.build((None, TIME, FEATURES))
    layer.set_weights(weights)
    return layer


def ours(cell: str, params: dict, x, mask, activation: str):
    """lstmlab's scan: hidden states (batch, time, units) and the final state."""
    start = zero_state((BATCH,), N_UNITS)
    how = {"cell": cell, "recurrent_activation": activation}
    final, trace = run_cell(params, jnp.asarray(x), jnp.asarray(mask), start, **how)
    return np.swapaxes(np.asarray(trace.state.h), 0, 1), final


# --- the layers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, activation",
    [("lstm", "sigmoid"), ("lstm", "hard_sigmoid"), ("gru", "sigmoid"), ("gru", "hard_sigmoid"), ("rnn", "sigmoid")],
)
def test_keras_layer_gives_our_scan_from_the_same_weights(cell, activation):
    """Row 0 reads every step; rows 1..4 start with 1..4 masked (pre-padded) steps."""
    params = random_layer(cell, seed=len(cell) + len(activation))
    x, mask = inputs(seed=1)
    # Keras 3's "hard_sigmoid" is another function (see below): Keras 2's, as a callable
    keras_activation = keras2_hard_sigmoid if activation == "hard_sigmoid" else "sigmoid"
    layer = keras_layer(cell, [params["kernel"], params["recurrent_kernel"], params["bias"]], keras_activation)
    sequence, *states = layer(x, mask=mask)
    hidden, final = ours(cell, params, x, mask, activation)
    np.testing.assert_allclose(np.asarray(sequence), hidden, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(np.asarray(states[0]), np.asarray(final.h), rtol=0, atol=TOLERANCE)
    if cell == "lstm":
        np.testing.assert_allclose(np.asarray(states[1]), np.asarray(final.c), rtol=0, atol=TOLERANCE)
    # the padded start of row 4 left its state at zero in both; the unmasked row 0 moved at once
    assert np.all(hidden[BATCH - 1, : BATCH - 1] == 0) and np.all(hidden[0, 0] != 0)
    assert np.abs(hidden).max() > 0.1  # states that moved: a comparison that could fail


@pytest.mark.parametrize("activation", ["sigmoid", "hard_sigmoid"])
def test_lstm_1997_is_a_keras_lstm_whose_forget_gate_is_held_open(activation):
    """Forget-gate columns zero and bias FORGET_OPEN: the gate is 1.0 exactly in float32, so
    Keras's c = f*c + i*g is lstm-1997's c = c + i*g to the last bit of every step."""
    assert float(keras.activations.sigmoid(np.float32(FORGET_OPEN))) == 1.0
    assert float(keras.activations.hard_sigmoid(np.float32(FORGET_OPEN * KERAS3_HARD_SIGMOID_SCALE))) == 1.0
    config = load_config("timesteps", cell="lstm-1997", units=N_UNITS, recurrent_activation=activation)
    params = {"lstm-1997": random_layer("lstm-1997", seed=9)}
    params["dense"] = {"kernel": np.zeros((N_UNITS, 26), np.float32), "bias": np.zeros(26, np.float32)}
    params["lstm-1997"]["kernel"] = params["lstm-1997"]["kernel"]
    weights = keras_weights(Model(config.replace(seq_length=3), params))["lstm"]
    layer = keras_layer("lstm", weights, activation)  # Keras 3's own hard_sigmoid: the export scales for it
    x, mask = inputs(seed=2)
    sequence, h, c = layer(x, mask=mask)
    hidden, final = ours("lstm-1997", params["lstm-1997"], x, mask, activation)
    np.testing.assert_allclose(np.asarray(sequence), hidden, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(np.asarray(c), np.asarray(final.c), rtol=0, atol=TOLERANCE)
    assert np.abs(np.asarray(final.c)).max() > 1.0  # the cell only adds: it grows past tanh's range


def test_keras3_hard_sigmoid_is_not_keras2s_but_is_after_scaling_by_1_2():
    x = np.linspace(-8, 8, 1601, dtype=np.float32)
    theirs = np.asarray(keras.activations.hard_sigmoid(x))
    mine = np.asarray(hard_sigmoid(jnp.asarray(x)))
    assert np.abs(theirs - mine).max() > 0.05  # x/6 + 1/2 against 0.2x + 1/2: 0.833 against 0.9 at x = 2
    scaled = np.asarray(keras.activations.hard_sigmoid(x * np.float32(KERAS3_HARD_SIGMOID_SCALE)))
    np.testing.assert_allclose(scaled, mine, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.asarray(keras2_hard_sigmoid(x)), mine, rtol=0, atol=1e-7)


# --- the initialisers -------------------------------------------------------------------------

DRAWS = 100
KS_CRITICAL = 1.95  # the two-sample KS statistic's asymptotic critical value at alpha = 0.001


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    grid = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, grid, "right") / a.size - np.searchsorted(b, grid, "right") / b.size).max())


def ks_threshold(n: int, m: int) -> float:
    return KS_CRITICAL * math.sqrt((n + m) / (n * m))


def keras_draws(initializer, shape) -> np.ndarray:
    return np.stack([np.asarray(initializer(seed=seed)(shape)) for seed in range(DRAWS)])


def our_draws(function, shape) -> np.ndarray:
    keys = jax.random.split(jax.random.key(123), DRAWS)
    return np.asarray(jax.vmap(lambda k: function(k, shape))(keys))


@pytest.mark.parametrize("shape", [(1, 4 * 32), (32, 26)], ids=["lstm-kernel", "dense-kernel"])
def test_glorot_uniform_draws_like_keras(shape):
    theirs, mine = keras_draws(keras.initializers.GlorotUniform, shape), our_draws(glorot_uniform, shape)
    limit = math.sqrt(6 / sum(shape))
    assert np.abs(theirs).max() <= limit and np.abs(mine).max() <= limit
    assert ks_statistic(theirs, mine) < ks_threshold(theirs.size, mine.size)
    # The test has the power to see a wrong limit: fan_in alone, say
    wrong = mine * math.sqrt(sum(shape) / shape[0])
    assert ks_statistic(theirs, wrong) > 3 * ks_threshold(theirs.size, mine.size)


def test_orthogonal_draws_like_keras():
    shape = (32, 4 * 32)  # the LSTM's recurrent kernel: rows orthonormal
    theirs, mine = keras_draws(keras.initializers.Orthogonal, shape), our_draws(orthogonal, shape)
    for draws in (theirs, mine):
        np.testing.assert_allclose(draws[0] @ draws[0].T, np.eye(32), atol=1e-5)
    assert ks_statistic(theirs, mine) < ks_threshold(theirs.size, mine.size)
    # ... and the statistic of the first entry of each draw (one coordinate of a random unit vector)
    assert ks_statistic(theirs[:, 0, 0], mine[:, 0, 0]) < ks_threshold(DRAWS, DRAWS)
    # power: a Gaussian matrix of the same variance is told apart
    gaussian = np.random.default_rng(0).normal(0, mine.std(), mine.shape) * 1.5
    assert ks_statistic(theirs, gaussian) > 3 * ks_threshold(theirs.size, mine.size)


@pytest.mark.parametrize("cell", ["lstm", "gru"])  # the forget gate's 1; GRU's two rows of zeros
def test_biases_start_as_keras_layers_start_them(cell):
    layer = KERAS_LAYERS[cell](32, **({"reset_after": True} if cell == "gru" else {}))
    layer.build((None, 3, 1))
    kernel, recurrent, bias = values(layer)
    mine = init_cell(jax.random.key(0), cell, 1, 32)
    assert kernel.shape == mine["kernel"].shape and recurrent.shape == mine["recurrent_kernel"].shape
    np.testing.assert_array_equal(bias, np.asarray(mine["bias"]))  # zeros; the LSTM's forget gate: 1


# --- one update -------------------------------------------------------------------------------


def test_one_keras_adam_step_equals_ours_but_for_the_epsilon_placement():
    """Keras's Adam + categorical_crossentropy, one step on all five windows from the same
    weights, against lstmlab's engine: they differ by the documented eps effect (see
    tests/test_update_rule.py) and float32 rounding, weight by weight; Keras's loss clip
    changes nothing here (no probability near 0 or 1)."""
    weights = start_weights()
    model = keras.Sequential(
        [keras.Input((3, 1)), keras.layers.LSTM(UNITS), keras.layers.Dense(len(CONFIG.alphabet), activation="softmax")]
    )
    order = [("lstm", "kernel"), ("lstm", "recurrent_kernel"), ("lstm", "bias"), ("dense", "kernel"), ("dense", "bias")]
    model.set_weights([weights[layer][name] for layer, name in order])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=LR, beta_1=B1, beta_2=B2, epsilon=EPS),
        loss="categorical_crossentropy",
    )
    onehot = np.eye(len(CONFIG.alphabet), dtype=np.float32)[Y]
    keras_loss = float(model.train_on_batch(X, onehot))
    keras_after = np.concatenate([w.ravel() for w in values(model)])

    engine, engine_loss = engine_epochs(weights, 1)  # compiled once per session: test_update_rule reuses it
    engine_after = np.concatenate([engine[layer][name].ravel() for layer, name in order])
    start = np.concatenate([weights[layer][name].ravel() for layer, name in order])

    def loss(params):
        logits, _ = forward(params, jnp.asarray(X), jnp.ones(X.shape[:2], bool), zero_state((len(Y),), UNITS))
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(Y)))

    grads = jax.jit(jax.grad(loss))(jax.tree_util.tree_map(jnp.asarray, weights))  # one program, not op by op
    g = np.concatenate([np.asarray(grads[layer][name]).ravel() for layer, name in order]).astype(np.float64)
    # at t = 1, m_hat = g and sqrt(v_hat) = |g|: Keras's step is smaller by
    # lr |g| (eps' - eps) / ((|g| + eps)(|g| + eps'))
    gap = LR * np.abs(g) * (keras_epsilon(1) - EPS) / ((np.abs(g) + EPS) * (np.abs(g) + keras_epsilon(1)))

    assert keras_loss == pytest.approx(float(engine_loss[0]), rel=1e-5)
    assert np.abs(keras_after - start).max() > 0.9 * LR  # Keras moved the weights: Adam's first step is about lr
    # Keras's step (against the gradient) is shorter by the gap: it stays behind by sign(g) * gap.
    # The gap is up to 3e-4 (a weight with a gradient near eps'), under 1e-5 where |g| > 1e-3.
    explained = (keras_after - engine_after) - np.sign(g) * gap
    assert np.abs(explained).max() <= 4 * float32_tolerance(1)
    assert np.abs(keras_after - engine_after)[np.abs(g) > 1e-3].max() < 1e-5
    assert gap.max() > 1e-5  # the effect is there to be seen in these weights

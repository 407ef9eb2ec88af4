"""The update rule against an independent reference: the engine's training steps vs a float64
NumPy transcription of Keras's (tests/reference.py), from the same weights.

The engine is Optax's Adam on log-softmax cross-entropy; Keras differs in two places.

- Adam's eps. Keras adds eps to sqrt(v) and then scales the step by its bias correction; Optax
  adds eps to sqrt(v_hat), after the correction. Keras's step is Optax's with
  eps' = eps / sqrt(1 - b2^t): 31.6 eps at the first step, falling to eps as t grows. At step t
  a weight moves by lr * |m_hat| * (eps' - eps) / ((s + eps) (s + eps')) less in Keras
  (s = sqrt(v_hat)), at most lr * R_t * (eps' - eps) / (s + eps') with R_t a bound on
  |m_hat| / s, and never more than lr * R_t * (sqrt(eps') - sqrt(eps)) / (sqrt(eps') + sqrt(eps))
  whatever the gradient: negligible for ordinary gradients, most of the step for a weight whose
  gradient is as small as eps' (about 3e-6 early on).
- The loss's clip. Keras clips probabilities to [eps, 1 - eps] before the log: nothing changes
  unless a target's probability leaves that range; below eps, Keras's loss is smaller by
  log(eps / p) and the sample adds nothing to its gradient.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstmlab.engine.data import encode_inputs, encode_text, windows
from lstmlab.engine.training import make_optimizer, make_train
from lstmlab.settings.config import Config
from tests.reference import (
    KERAS_EPSILON,
    adam_init,
    cross_entropy,
    keras_adam_step,
    keras_cross_entropy,
    lstm_forward,
    numerical_gradient,
    optax_adam_step,
    softmax,
    tree_map,
)

LR, B1, B2, EPS = 1e-3, 0.9, 0.999, KERAS_EPSILON
# A gap between two float64 weight vectors (weights below 2) is exact to a few 1e-16; at t = 1
# the bound on the eps effect is tight (|m_hat| = s), so the comparisons allow for that rounding.
FLOAT64_ROUNDING = 1e-15
ALPHABET = "ABCDEFGH"
UNITS = 4
# Five windows (ABC -> D ... EFG -> H) in one batch, in order: one epoch is one update.
CONFIG = Config(
    alphabet=ALPHABET,
    sequence=None,
    data="windows",
    seq_length=3,
    framing="timesteps",
    encoding="scalar",
    padding="zero",
    holdout=0.0,
    units=UNITS,
    epochs=1,
    batch_size=None,
    shuffle=False,
    stateful=False,
    recurrent_activation="sigmoid",
    learning_rate=LR,
    seed=0,
)
PATTERNS = windows(encode_text(ALPHABET, ALPHABET), CONFIG.seq_length)
X = encode_inputs(PATTERNS, CONFIG)[0]
Y = PATTERNS.targets


def start_weights(seed: int = 0, scale: float = 0.5) -> dict:
    """float32 weights away from Keras's init, so that every gate and gradient is exercised."""
    rng = np.random.default_rng(seed)
    shapes = {
        "lstm": {"kernel": (1, 4 * UNITS), "recurrent_kernel": (UNITS, 4 * UNITS), "bias": (4 * UNITS,)},
        "dense": {"kernel": (UNITS, len(ALPHABET)), "bias": (len(ALPHABET),)},
    }
    return tree_map(lambda shape: rng.normal(0, scale, shape).astype(np.float32), shapes)


@functools.cache
def _run_epochs():
    trainer = make_train(CONFIG, PATTERNS)
    return trainer, jax.jit(trainer.run_epochs, static_argnums=1)


def engine_epochs(weights: dict, epochs: int) -> tuple[dict, np.ndarray]:
    """The engine's weights (float64 copies) after `epochs` updates from `weights`, and its loss
    per epoch (each measured before that epoch's update)."""
    trainer, run = _run_epochs()
    params = tree_map(jnp.asarray, weights)
    state = trainer.init(jax.random.key(0))._replace(params=params, opt_state=make_optimizer(CONFIG).init(params))
    state, metrics = run(state, epochs)
    # In the order of `weights` (a jitted function hands dicts back with their keys sorted).
    return tree_map(lambda _, a: np.asarray(a, np.float64), weights, state.params), np.asarray(metrics.loss)


def as64(weights):
    return tree_map(lambda a: np.asarray(a, np.float64), weights)


def keras_loss(params):
    return keras_cross_entropy(lstm_forward(params, X)[1], Y)


def flat(tree) -> np.ndarray:
    return np.concatenate([leaf.ravel() for layer in tree.values() for leaf in layer.values()])


def float32_tolerance(updates: int) -> float:
    """How far a float32 engine may be from the float64 reference after `updates` updates: one
    float32 spacing at 1 (1.2e-7) per update. Each update rounds the weights (all below 2 here:
    half that spacing) and takes the gradient in float32, whose error (about 1e-9) moves Adam's
    normalised step by a few 1e-8. Measured: at most 6e-8 after one update, 1.3e-7 after three."""
    return updates * float(np.spacing(np.float32(1.0)))


# --- the bound on the eps-placement effect ----------------------------------------------------


def keras_epsilon(t: int) -> float:
    """The eps that, added after the bias correction as Optax does, gives Keras's step t."""
    return EPS / math.sqrt(1 - B2**t)


def moment_ratio_bound(t: int) -> float:
    """R_t >= |m_hat| / sqrt(v_hat) for any gradients (Cauchy-Schwarz over the moment sums):
    (1 - b1) / (1 - b1^t) * sqrt((1 - b2^t) / (1 - b2)) * sqrt(sum_{j<t} (b1^2 / b2)^j); 1 at t = 1."""
    geometric = sum((B1**2 / B2) ** j for j in range(t))
    return (1 - B1) / (1 - B1**t) * math.sqrt((1 - B2**t) / (1 - B2) * geometric)


def epsilon_gap_bound(v: np.ndarray, t: int) -> np.ndarray:
    """Per weight, the most Keras's step t can differ from Optax's, given the second moment v."""
    s = np.sqrt(v / (1 - B2**t))
    return LR * moment_ratio_bound(t) * (keras_epsilon(t) - EPS) / (s + keras_epsilon(t))


def worst_epsilon_gap(t: int) -> float:
    """The same over every gradient: the maximum of s / ((s + eps)(s + eps')) is at s = sqrt(eps eps')."""
    root, root_keras = math.sqrt(EPS), math.sqrt(keras_epsilon(t))
    return LR * moment_ratio_bound(t) * (root_keras - root) / (root_keras + root)


# --- tests ------------------------------------------------------------------------------------


def test_keras_adam_is_optax_adam_with_a_step_dependent_epsilon():
    weights = as64(start_weights())
    keras_state, optax_state = adam_init(weights), adam_init(weights)
    grads = numerical_gradient(keras_loss, weights)
    for t in range(1, 4):
        keras_new, keras_state = keras_adam_step(weights, grads, keras_state, LR)
        optax_new, optax_state = optax_adam_step(weights, grads, optax_state, LR, epsilon=keras_epsilon(t))
        np.testing.assert_allclose(flat(keras_new), flat(optax_new), rtol=0, atol=1e-15)
    assert keras_epsilon(1) == pytest.approx(EPS / math.sqrt(1e-3))  # 31.6 eps at the first step
    assert moment_ratio_bound(1) == pytest.approx(1.0)


def test_one_update_is_optax_adam_and_differs_from_keras_by_the_epsilon_effect():
    weights = start_weights()
    start = as64(weights)
    engine, engine_loss = engine_epochs(weights, 1)

    # The loss: the engine's is the plain cross-entropy; no probability is near 0 or 1 here,
    # so Keras's clip changes nothing.
    logits = lstm_forward(start, X)[1]
    assert ((softmax(logits) > EPS) & (softmax(logits) < 1 - EPS)).all()
    assert keras_loss(start) == pytest.approx(cross_entropy(logits, Y), rel=1e-14)
    assert engine_loss[0] == pytest.approx(cross_entropy(logits, Y), rel=1e-6)

    grads = numerical_gradient(keras_loss, start)
    optax_new, optax_state = optax_adam_step(start, grads, adam_init(start), LR)
    keras_new, _ = keras_adam_step(start, grads, adam_init(start), LR)
    tolerance = float32_tolerance(1)

    # The engine is Optax's rule, to float32 rounding of the weights.
    assert (np.abs(flat(engine) - flat(optax_new)) <= tolerance).all()
    # Keras's rule differs from it by the eps effect, within its bound, weight by weight ...
    gap = np.abs(flat(keras_new) - flat(optax_new))
    assert (gap <= epsilon_gap_bound(flat(optax_state["v"]), 1) + FLOAT64_ROUNDING).all()
    assert gap.max() <= worst_epsilon_gap(1)
    # ... exactly: at t = 1, m_hat = g and s = |g|, so the gap is lr |g| (eps' - eps) / ((|g| + eps)(|g| + eps')).
    g = np.abs(flat(grads))
    predicted = LR * g * (keras_epsilon(1) - EPS) / ((g + EPS) * (g + keras_epsilon(1)))
    np.testing.assert_allclose(gap, predicted, rtol=1e-9, atol=FLOAT64_ROUNDING)
    # ... and it is large enough to see: the engine is measurably not Keras's rule, and what
    # separates them is that effect and float32 rounding.
    assert (np.abs(flat(engine) - flat(keras_new)) > tolerance).any()
    assert (np.abs(flat(engine) - flat(keras_new)) <= gap + tolerance).all()


def test_three_updates_stay_within_the_summed_bound():
    weights = start_weights(seed=1)
    engine, engine_loss = engine_epochs(weights, 3)
    params = as64(weights)
    optax_params, optax_state = params, adam_init(params)
    keras_params, keras_state = params, adam_init(params)  # fed the same gradients: only eps differs
    bound = np.zeros_like(flat(params))
    losses = []
    for t in range(1, 4):
        losses.append(cross_entropy(lstm_forward(optax_params, X)[1], Y))
        grads = numerical_gradient(keras_loss, optax_params)
        optax_params, optax_state = optax_adam_step(optax_params, grads, optax_state, LR)
        keras_params, keras_state = keras_adam_step(keras_params, grads, keras_state, LR)
        bound += epsilon_gap_bound(flat(optax_state["v"]), t)

    np.testing.assert_allclose(engine_loss, losses, rtol=1e-6)
    assert (np.abs(flat(engine) - flat(optax_params)) <= float32_tolerance(3)).all()
    gap = np.abs(flat(keras_params) - flat(optax_params))
    assert (gap <= bound + FLOAT64_ROUNDING).all()
    assert gap.max() <= sum(worst_epsilon_gap(t) for t in range(1, 4))
    assert gap.max() > float32_tolerance(3)  # a difference the engine's precision can see

    # Keras on its own trajectory (its own gradients) as well: its weights' later gradients
    # differ too, a second-order effect well inside the gradient-free bound.
    own_params, own_state = params, adam_init(params)
    for _ in range(3):
        own_params, own_state = keras_adam_step(own_params, numerical_gradient(keras_loss, own_params), own_state, LR)
    assert np.abs(flat(own_params) - flat(engine)).max() <= sum(worst_epsilon_gap(t) for t in range(1, 4))


def test_clipping_matters_only_below_epsilon_and_then_drops_the_sample():
    """Extreme logits: the dense layer favours 'A' (never a target) and 'D' (the first window's
    target) by 40, so the other four targets have probabilities near e^-40, far below 1e-7."""
    weights = start_weights(seed=2)
    weights["dense"]["bias"][[0, 3]] += 40.0
    start = as64(weights)
    logits = lstm_forward(start, X)[1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))[np.arange(len(Y)), Y]
    clipped = log_p < math.log(EPS)
    assert clipped.tolist() == [False, True, True, True, True]

    # The engine's loss is the plain cross-entropy; Keras's is smaller by log(eps / p) for each
    # clipped sample, averaged over the batch.
    _, engine_loss = engine_epochs(weights, 1)
    assert engine_loss[0] == pytest.approx(-log_p.mean(), rel=1e-6)
    assert engine_loss[0] > 30
    documented = np.where(clipped, math.log(EPS) - log_p, 0.0).mean()
    assert cross_entropy(logits, Y) - keras_loss(start) == pytest.approx(documented, rel=1e-12)

    # A clipped sample adds nothing to Keras's gradient: it is the gradient of the others alone.
    kept = ~clipped

    def kept_only(params):
        return keras_cross_entropy(lstm_forward(params, X[kept])[1], Y[kept]) * kept.sum() / len(Y)

    np.testing.assert_allclose(
        flat(numerical_gradient(keras_loss, start)), flat(numerical_gradient(kept_only, start)), rtol=0, atol=1e-9
    )

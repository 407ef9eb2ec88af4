"""`training_step`: the first step of a seed's training, written out, is the step training takes,
and its numbers agree with independent formulas (softmax cross-entropy's gradient, Adam's first
update)."""

import numpy as np
import pytest

from lstmlab import load_config, make_dataset, train, training_step


def onehot(targets: str, alphabet: str) -> np.ndarray:
    return np.eye(len(alphabet))[[alphabet.index(t) for t in targets]]


@pytest.fixture(scope="module")
def timesteps_step():
    return training_step(load_config("timesteps", units=8))


def test_the_step_is_the_one_training_takes():
    """batch-state trains on all 25 pairs in one batch: one epoch is one step, so training for
    one epoch must arrive at the step's `after` weights."""
    config = load_config("batch-state", epochs=1)
    step = training_step(config)
    trained = train(config, make_dataset(config).train, seeds=[config.seed]).params_of(0)
    for layer, weights in step.after.items():
        for name, value in weights.items():
            np.testing.assert_allclose(value, np.asarray(trained[layer][name]), rtol=0, atol=1e-7)
            np.testing.assert_allclose(value, step.before[layer][name] + step.update[layer][name], atol=1e-7)


def test_an_unshuffled_batch_is_every_pair_in_order():
    step = training_step(load_config("batch-state"))
    assert step.texts == tuple("ABCDEFGHIJKLMNOPQRSTUVWXY") and step.targets == "BCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert step.x.shape == (25, 1, 1) and step.probabilities.shape == (25, 26) and step.steps_per_epoch == 1
    np.testing.assert_allclose(step.x[:, 0, 0], np.arange(25) / 26, rtol=1e-6)  # the tutorial's code / 26


def test_the_loss_is_the_cross_entropy_of_the_probabilities(timesteps_step):
    step = timesteps_step
    p = step.probabilities[0][step.config.alphabet.index(step.targets[0])]
    assert step.loss == pytest.approx(-np.log(p), rel=1e-6)
    assert step.loss == pytest.approx(np.log(26), abs=0.1)  # untrained: close to a uniform guess
    assert step.forward.probability == pytest.approx(step.probabilities[0].max(), rel=1e-5)
    assert step.forward.input == step.texts[0] and step.forward.labels == tuple(step.texts[0])


def test_the_output_bias_gradient_is_softmax_minus_the_target(timesteps_step):
    """For softmax cross-entropy, d loss / d logits = p - onehot(target), which is the dense
    bias's gradient (averaged over the batch)."""
    step = timesteps_step
    expected = (step.probabilities - onehot(step.targets, step.config.alphabet)).mean(axis=0)
    np.testing.assert_allclose(step.gradient["dense"]["bias"], expected, atol=1e-6)


def test_adams_first_update_is_the_learning_rate_against_the_gradients_sign(timesteps_step):
    """At Adam's first step the bias-corrected moments are g and g², so each weight moves by
    -lr * g / (|g| + eps): the learning rate, whatever the gradient's size, or 0 where g is 0."""
    step = timesteps_step
    lr, eps = step.config.learning_rate, 1e-7
    for layer, weights in step.gradient.items():
        for name, g in weights.items():
            np.testing.assert_allclose(step.update[layer][name], -lr * g / (np.abs(g) + eps), rtol=1e-4, atol=1e-9)


def test_a_zero_padded_batch_names_its_own_pattern():
    """With the tutorial's zero padding 'B' and 'AB' are the same numbers; the step names the
    pattern that was drawn, not the first that looks like it."""
    config = load_config("variable-length", units=4, batch_size=50)
    step = training_step(config)
    data = make_dataset(config).train
    texts = {"".join(config.alphabet[c] for c in row if c >= 0) for row in data.inputs}
    assert len(step.texts) == 50 and set(step.texts) <= texts
    for text, target in zip(step.texts, step.targets, strict=True):
        assert config.alphabet.index(target) == config.alphabet.index(text[-1]) + 1

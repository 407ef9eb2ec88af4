"""The tutorial's six experiments: faithful settings, and the results the issue asks for."""

import re

import numpy as np
import pytest
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.engine.runner import run
from lstmlab.model.generation import seeded_generations
from lstmlab.render.text import lines
from lstmlab.settings.config import load_config

# (seq_length, framing, units, epochs, batch_size, shuffle, stateful, data) from the tutorial's code
TUTORIAL_SETTINGS = {
    "naive": (1, "timesteps", 32, 500, 1, True, False, "windows"),
    "features": (3, "features", 32, 500, 1, True, False, "windows"),
    "timesteps": (3, "timesteps", 32, 500, 1, True, False, "windows"),
    "batch-state": (1, "timesteps", 16, 5000, None, False, False, "windows"),
    "stateful": (1, "timesteps", 50, 300, 1, False, True, "windows"),
    "variable-length": (5, "timesteps", 32, 500, 1, True, False, "runs"),
}


@pytest.mark.parametrize("name", list(TUTORIAL_SETTINGS))
def test_registry_holds_the_tutorials_settings(name):
    c = load_config(name)
    assert (c.seq_length, c.framing, c.units, c.epochs, c.batch_size, c.shuffle, c.stateful, c.data) == (
        TUTORIAL_SETTINGS[name]
    )
    assert (c.alphabet, c.seed, c.learning_rate, c.recurrent_activation, c.encoding, c.padding) == (
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        7,
        1e-3,
        "sigmoid",
        "scalar",
        "zero",
    )
    assert c.num_patterns == 1000 and c.holdout == 0.0


def test_overrides_make_a_new_config_and_reject_unknown_names():
    base = load_config("naive")
    changed = load_config("naive", epochs=10)
    assert changed.epochs == 10 and base.epochs == 500
    with pytest.raises(ValueError, match="unknown setting 'epoch'; allowed: .*epochs"):
        load_config("naive", epoch=10)


@pytest.mark.slow  # the tutorial's own figure, over seeds: a faithful run
def test_stateful_reaches_100_and_spells_the_alphabet_at_most_seeds():
    result = run(load_config("stateful"), seeds=range(1, 6))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    good = 0
    for index in range(5):
        spelled = seeded_generations(result.params(index), result.config).generations[0].generation.steps
        good += result.accuracies[index] == 1.0 and "".join(s.predicted for s in spelled) == alphabet[1:]
    assert good >= 4, result.accuracies


def test_run_stateful_prints_the_same_generations_as_the_api():
    config = load_config("stateful", epochs=20)
    expected = lines(seeded_generations(run(config).params(), config))
    printed = CliRunner().invoke(app, ["run", "stateful", "--epochs", "20"]).stdout.splitlines()
    start = printed.index("From A after a reset:")
    assert printed[start : start + len(expected)] == expected


@pytest.mark.slow
def test_variable_length_reaches_95_percent_at_the_default_seed():
    """The faithful 500,000-step run (about 10 s here)."""
    result = CliRunner().invoke(app, ["run", "variable-length"])
    assert result.exit_code == 0, result.output
    accuracy = float(re.search(r"Model Accuracy: ([\d.]+)%", result.stdout).group(1))
    assert accuracy >= 95.0
    assert "… and 970 more (1000 pairs)" in result.stdout
    sample = result.stdout.split("Test a Random Pattern:\n")[1].splitlines()[:20]
    assert len(sample) == 20 and all(re.fullmatch(r"\[('.', )*'.'\] -> .( +✗ expected .)?", s) for s in sample)


def test_masking_changes_what_variable_length_learns():
    """Zero padding reads the padded steps as the letter A; masking does not read them."""
    zero = run(load_config("variable-length", epochs=3, num_patterns=200))
    masked = run(load_config("variable-length", epochs=3, num_patterns=200, padding="mask"))
    assert not np.allclose(zero.train_answers.probability, masked.train_answers.probability)

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmlab.engine.data import PAD, encode_inputs, encode_text, make_dataset, random_runs, windows
from lstmlab.errors import DataError
from lstmlab.render.text import pair_lines
from lstmlab.settings.config import Config, load_config
from lstmlab.settings.experiments import ALPHABET

# The notebook's printed pairs for seq_length 1 and 3 (first and last few, verbatim).
NOTEBOOK_L1_HEAD = ["A -> B", "B -> C", "C -> D"]
NOTEBOOK_L1_TAIL = ["W -> X", "X -> Y", "Y -> Z"]
NOTEBOOK_L3_HEAD = ["ABC -> D", "BCD -> E", "CDE -> F"]
NOTEBOOK_L3_TAIL = ["UVW -> X", "VWX -> Y", "WXY -> Z"]


def notebook_pairs(seq_length: int) -> list[str]:
    """The notebook's own loop, transcribed."""
    lines = []
    for i in range(0, len(ALPHABET) - seq_length, 1):
        lines.append(f"{ALPHABET[i : i + seq_length]} -> {ALPHABET[i + seq_length]}")
    return lines


@pytest.mark.parametrize(
    "experiment, count, head, tail",
    [
        ("naive", 25, NOTEBOOK_L1_HEAD, NOTEBOOK_L1_TAIL),
        ("features", 23, NOTEBOOK_L3_HEAD, NOTEBOOK_L3_TAIL),
        ("timesteps", 23, NOTEBOOK_L3_HEAD, NOTEBOOK_L3_TAIL),
    ],
)
def test_pairs_are_the_notebooks(experiment, count, head, tail):
    config = load_config(experiment)
    lines = pair_lines(make_dataset(config).train.pairs(config.alphabet))
    assert len(lines) == count
    assert lines[:3] == head and lines[-3:] == tail
    assert lines == notebook_pairs(config.seq_length)


@pytest.mark.parametrize(
    "experiment, shape",
    [("naive", (25, 1, 1)), ("features", (23, 1, 3)), ("timesteps", (23, 3, 1))],
)
def test_framings_shape_and_scale(experiment, shape):
    config = load_config(experiment)
    patterns = make_dataset(config).train
    x, mask = encode_inputs(patterns, config)
    assert x.shape == shape and x.dtype == np.float32
    assert mask.shape == shape[:2] and mask.all()
    # The notebook's input is the letter's index divided by the alphabet's length.
    np.testing.assert_allclose(x.reshape(len(patterns), -1), patterns.inputs / 26.0, rtol=1e-7)
    assert patterns.targets.tolist() == list(range(config.seq_length, 26))


def test_features_and_timesteps_hold_the_same_numbers_in_different_places():
    timesteps = encode_inputs(make_dataset(load_config("timesteps")).train, load_config("timesteps"))[0]
    features = encode_inputs(make_dataset(load_config("features")).train, load_config("features"))[0]
    np.testing.assert_array_equal(timesteps[:, :, 0], features[:, 0, :])


def test_onehot_encoding():
    config = Config(alphabet="ABCD", seq_length=2, encoding="onehot")
    x, _ = encode_inputs(windows(encode_text("ABCD", "ABCD"), 2), config)
    assert x.shape == (2, 2, 4)
    np.testing.assert_array_equal(x[1], np.eye(4)[[1, 2]])


def test_encode_text_names_the_bad_symbol_and_its_position():
    with pytest.raises(DataError, match=r"'q' is not in the alphabet 'ABC' \(position 2\)"):
        encode_text("ABqC", "ABC")


def test_windows_over_text_too_short():
    with pytest.raises(DataError, match="no window of length 3"):
        windows(encode_text("AB", "AB"), 3)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), size=st.integers(3, 40), max_length=st.integers(1, 6))
def test_random_runs_are_consecutive_with_the_right_targets(seed, size, max_length):
    max_length = min(max_length, size - 1)
    patterns = random_runs(size, 200, max_length, np.random.RandomState(seed))
    for row, target in zip(patterns.inputs, patterns.targets, strict=True):
        run = row[row != PAD]
        assert 1 <= len(run) <= max_length
        assert (row[: max_length - len(run)] == PAD).all(), "pre-padded"
        np.testing.assert_array_equal(np.diff(run), 1)
        assert target == run[-1] + 1 < size


def test_random_runs_follow_the_tutorials_draws():
    """The first draws of numpy.random.seed(7), by the tutorial's formulas."""
    rng = np.random.RandomState(7)
    start = rng.randint(24)
    end = rng.randint(start, min(start + 5, 25))
    patterns = make_dataset(load_config("variable-length")).train
    assert len(patterns) == 1000
    assert patterns.input_text(0, ALPHABET) == list(ALPHABET[start : end + 1])
    assert patterns.targets[0] == end + 1


def test_variable_length_padding_zero_is_the_code_of_A_and_mask_marks_it():
    zero = load_config("variable-length")
    patterns = make_dataset(zero).train
    short = int(np.argmin(patterns.lengths))
    x, mask = encode_inputs(patterns, zero)
    assert x[short, 0, 0] == 0.0 and mask.all()
    _, mask = encode_inputs(patterns, zero.replace(padding="mask"))
    np.testing.assert_array_equal(mask.sum(axis=1), patterns.lengths)


def test_holdout_of_runs_keeps_held_patterns_out_of_training():
    dataset = make_dataset(load_config("variable-length", holdout=0.2))
    train_rows = {tuple(r) for r in dataset.train.inputs}
    held_rows = [tuple(r) for r in dataset.holdout.inputs]
    assert held_rows and len(set(held_rows)) == len(held_rows)
    assert not train_rows & set(held_rows)
    distinct = len(train_rows) + len(held_rows)
    assert len(held_rows) == round(distinct * 0.2)

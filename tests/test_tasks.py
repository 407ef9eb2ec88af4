"""The paper's tasks: sequences as the paper defines them (checked by plain NumPy, many draws
at once), criteria, and training until solved."""

import jax
import numpy as np
import pytest

from lstmlab.engine.tasks import ORDER_SYMBOLS, REBER_SYMBOLS, Sequences, make_task, sample_many
from lstmlab.engine.until_solved import losses, right, train_until_solved
from lstmlab.errors import ConfigError
from lstmlab.settings.config import load_task_config

DRAWS = 2000


def draws(name: str, **settings) -> tuple:
    config = load_task_config(name, **settings)
    task = make_task(config)
    seqs = jax.tree_util.tree_map(np.asarray, sample_many(task, jax.random.key(11), DRAWS))
    return config, task, seqs


def test_long_lag_is_two_sequences_that_differ_only_in_their_first_symbol():
    _, task, seqs = draws("long-lag", lag=7)
    codes = seqs.x.argmax(-1)
    assert seqs.x.shape == (DRAWS, 7, 8) and seqs.mask.all()
    np.testing.assert_array_equal(codes[:, 1:], np.tile(np.arange(6), (DRAWS, 1)))  # a1..a6
    assert set(codes[:, 0]) == {6, 7}  # x, y
    np.testing.assert_array_equal(seqs.target, codes[:, 0])
    assert 0.45 < (codes[:, 0] == 7).mean() < 0.55  # each with probability 1/2


@pytest.mark.parametrize("lag", [10, 100])
def test_adding_sequences_follow_the_papers_definition(lag):
    _, task, seqs = draws("adding", lag=lag)
    lengths = seqs.mask.sum(axis=1)
    assert lengths.min() == lag and lengths.max() == lag + lag // 10
    for x, mask, target in zip(seqs.x, seqs.mask, seqs.target, strict=True):
        assert not mask[: len(mask) - mask.sum()].any()  # pre-padded
        values, markers = x[mask, 0], x[mask, 1]
        assert np.all(np.abs(values) <= 1)
        marked = np.flatnonzero(markers == 1)
        assert len(marked) == 2 and marked[0] < min(10, lag // 2 - 1) and marked[1] < max(10, lag // 2 - 1)
        assert markers[-1] == -1 and (markers[0] == -1 or marked[0] == 0)
        assert set(np.flatnonzero(markers == -1)) <= {0, len(markers) - 1}
        if marked[0] == 0:
            assert values[0] == 0  # a marked first step counts 0
        assert target == pytest.approx(0.5 + values[marked].sum() / 4, abs=1e-6)


def test_temporal_order_hides_two_symbols_and_names_their_order():
    lag = 100
    _, task, seqs = draws("temporal-order", lag=lag)
    for x, mask, target in zip(seqs.x[:300], seqs.mask[:300], seqs.target[:300], strict=True):
        text = "".join(ORDER_SYMBOLS[c] for c in x[mask].argmax(-1))
        assert lag <= len(text) <= lag + lag // 10 and text[0] == "E" and text[-1] == "B"
        hidden = [(i, s) for i, s in enumerate(text) if s in "XY"]
        assert len(hidden) == 2 and 10 <= hidden[0][0] <= 20 and 50 <= hidden[1][0] <= 60
        assert set(text[1:-1]) - {"X", "Y"} <= set("abcd")
        assert ["XX", "XY", "YX", "YY"][target] == hidden[0][1] + hidden[1][1]
    assert np.bincount(seqs.target, minlength=4).min() > DRAWS / 4 * 0.8  # the classes are balanced


# An independent transcription of the Reber grammar: node -> {symbol: next node}.
REBER = {0: {"T": 1, "P": 2}, 1: {"S": 1, "X": 3}, 2: {"T": 2, "V": 4}, 3: {"X": 2, "S": 5}, 4: {"P": 3, "V": 5}}


def follows(prefix: str) -> set[str]:
    """Symbols that may follow `prefix` of an embedded Reber string (B, T or P, an inner Reber
    string from its B to its E, the same T or P, E), by walking the grammar."""
    if prefix == "B":
        return {"T", "P"}
    branch = prefix[1]
    if len(prefix) == 2:
        return {"B"}
    node = 0  # after the inner string's B
    for symbol in prefix[3:]:
        if node == "inner E read":
            assert symbol == branch
            node = "branch repeated"
        elif node == 5:
            assert symbol == "E"
            node = "inner E read"
        else:
            node = REBER[node][symbol]
    return {5: {"E"}, "inner E read": {branch}, "branch repeated": {"E"}}.get(node) or set(REBER[node])


def test_embedded_reber_strings_and_their_possible_next_symbols():
    _, task, seqs = draws("embedded-reber")
    lengths = []
    for x, mask, target in zip(seqs.x, seqs.mask, seqs.target, strict=True):
        read = "".join(REBER_SYMBOLS[c] for c in x[mask].argmax(-1))
        lengths.append(len(read) + 1)
        assert read[0] == "B" and read[1] in "TP" and read[2] == "B" and read[-1] == read[1]
        for t in range(len(read)):
            expected = follows(read[: t + 1])
            assert {REBER_SYMBOLS[k] for k in np.flatnonzero(target[mask][t])} == expected, read[: t + 1]
        assert not target[~mask].any()
    assert min(lengths) == 9  # B T B T X S E T E, the shortest
    assert max(lengths) < 50  # none was cut in this many draws


def test_criteria_and_losses_against_hand_computed_cases():
    config = load_task_config("adding", lag=10)
    task = make_task(config)
    seqs = Sequences(np.zeros((3, 11, 2), np.float32), np.ones((3, 11), bool), np.array([0.5, 0.2, 0.9], np.float32))
    out = np.array([[0.53], [0.25], [0.5]], np.float32)
    np.testing.assert_array_equal(right(out, task, seqs), [True, False, False])
    np.testing.assert_allclose(losses(out, task, seqs), [0.03**2, 0.05**2, 0.4**2], rtol=1e-4)

    order = make_task(load_task_config("temporal-order", lag=10))
    logits = np.log(np.array([[0.75, 0.05, 0.1, 0.1], [0.65, 0.05, 0.2, 0.1]], np.float32))
    two = Sequences(np.zeros((2, 11, 8), np.float32), np.ones((2, 11), bool), np.array([0, 0]))
    np.testing.assert_array_equal(right(logits, order, two), [True, False])  # p > 0.7 counts
    np.testing.assert_allclose(losses(logits, order, two), -np.log([0.75, 0.65]), rtol=1e-5)

    reber = make_task(load_task_config("embedded-reber"))
    target = np.zeros((1, 50, 7), np.float32)
    target[0, :2, 1] = 1.0
    mask = np.zeros((1, 50), bool)
    mask[0, :2] = True
    out = np.full((1, 50, 7), -3.0, np.float32)
    out[0, :2, 1] = 3.0
    steps = Sequences(np.zeros((1, 50, 7), np.float32), mask, target)
    assert right(out, reber, steps).tolist() == [True]
    out[0, 1, 4] = 0.1  # one unit on that should be off, on a read step
    assert right(out, reber, steps).tolist() == [False]
    out[0, 1, 4], out[0, 7, 4] = -3.0, 3.0  # on, but on padding: not counted
    assert right(out, reber, steps).tolist() == [True]


def test_a_short_lag_is_solved_and_counted_in_checks():
    config = load_task_config("long-lag", lag=5, budget=3000, check_every=100, forget_bias=5.0)
    result = train_until_solved(config, [1, 2, 3])
    assert result.solved.all()
    assert np.all(result.solved_at % 100 == 0) and np.all(result.solved_at <= result.sequences)
    # the group stopped at the check where its last seed solved it
    assert result.sequences.max() == result.solved_at.max()
    assert result.params["lstm"]["kernel"].shape == (3, 6, 32)


def test_an_unsolvable_budget_runs_out_and_says_so():
    config = load_task_config("adding", lag=10, budget=100, check_every=50)
    result = train_until_solved(config, [4])
    assert result.solved_at.tolist() == [-1] and result.sequences.tolist() == [100]
    assert result.wrong.shape == (1, 2) and 0.5 < result.wrong[0, -1] <= 1.0


def test_a_seed_sees_the_same_sequences_whichever_cell_trains():
    """The data key is the seed's: cells are compared on the same stream of sequences."""
    from lstmlab.engine.until_solved import make_programs

    seqs = {}
    for cell in ("lstm", "gru"):
        config = load_task_config("adding", lag=10, cell=cell)
        task = make_task(config)
        init, _ = make_programs(config, task, sample_many(task, jax.random.key(0), 2))
        data_key = init(jax.random.key(5)).data_key
        seqs[cell] = sample_many(task, jax.random.fold_in(jax.random.wrap_key_data(data_key), 0), 1)
    np.testing.assert_array_equal(seqs["lstm"].x, seqs["gru"].x)


@pytest.mark.parametrize(
    "name, settings, message",
    [
        ("adding", {"lag": 5}, "lag 5 is not allowed for 'adding'; allowed: 10..10000"),
        ("embedded-reber", {"lag": 20}, "task 'embedded-reber' has no lag"),
        ("adding", {"budget": 0}, "budget must be a positive whole number, got 0"),
        ("adding", {"budget": 500, "check_every": 1000}, "check every 1,000 sequences is more than the budget 500"),
        ("adding", {"cell": "gru", "forget_bias": 3.0}, "cell 'gru' has no forget gate"),
        ("parity", {}, "unknown task 'parity'; choose one of: long-lag, adding, temporal-order, embedded-reber"),
    ],
)
def test_task_settings_are_checked(name, settings, message):
    with pytest.raises(ConfigError, match=message):
        load_task_config(name, **settings)

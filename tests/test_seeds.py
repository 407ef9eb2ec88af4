"""Many seeds at once: `--seeds` parsing, seed groups, and a seed trained beside others
being the very model it is alone."""

import json
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.engine.data import make_dataset
from lstmlab.engine.training import max_group_size, plan_groups, seed_bytes, train
from lstmlab.errors import ConfigError
from lstmlab.settings.config import load_config
from lstmlab.settings.seeds import parse_seeds

runner = CliRunner()


def leaves(tree):
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(tree)]


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, seeds",
    [
        ("3", (1, 2, 3)),
        ("1", (1,)),
        ("1,5,9", (1, 5, 9)),
        ("3-6", (3, 4, 5, 6)),
        ("7-7", (7,)),
        ("1-3,7", (1, 2, 3, 7)),
        (" 0, 2 ", (0, 2)),
    ],
)
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    "text, message",
    [
        ("0", "must be positive"),
        ("", "empty"),
        ("-3", "is not a seed"),
        ("x", "is not a seed"),
        ("1,,2", "is not a seed"),
        ("5-2", "runs backwards"),
        ("1-3,2", "names seed 2 twice"),
        ("1-1000000", "at most"),
    ],
)
def test_parse_seeds_rejects(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_seeds(text)


# --- groups ----------------------------------------------------------------------------------


@given(st.integers(1, 3000), st.integers(1, 8), st.integers(1, 200))
def test_plan_groups_covers_every_seed_once_in_equal_groups(n_seeds, n_devices, max_group):
    groups = plan_groups(n_seeds, n_devices, max_group)
    sizes = {len(g) for g in groups}
    assert len(sizes) == 1 and sizes.pop() <= max_group
    flat = [i for g in groups for i in g]
    assert flat[:n_seeds] == list(range(n_seeds))
    assert set(flat[n_seeds:]) <= {n_seeds - 1}  # padding repeats the last seed only
    assert all(g[0] < n_seeds and (g[0] != n_seeds - 1 or g == groups[-1]) for g in groups)  # none all padding
    if n_devices <= 2:  # with more devices, equal groups may leave one idle rather than pad a whole group
        assert len(groups) >= min(n_seeds, n_devices)


def test_plan_groups_examples():
    assert plan_groups(1, 2, 64) == ((0,),)
    assert plan_groups(100, 2, 64) == (tuple(range(50)), tuple(range(50, 100)))
    assert [len(g) for g in plan_groups(1000, 2, 64)] == [63] * 16
    assert plan_groups(3, 2, 64) == ((0, 1), (2, 2))


def test_group_size_is_bounded_by_memory():
    big = load_config("timesteps", units=2000)
    assert seed_bytes(big, 23) > 100 * 2**20
    assert max_group_size(big, 23, "gpu") < 10
    assert max_group_size(load_config("timesteps"), 23, "cpu") == 64


# --- a seed beside others is the seed alone ----------------------------------------------------


def test_seed_trained_with_others_equals_seed_alone_bit_for_bit():
    """Batch-of-one training: every operation is the same for one seed or many, so the
    weights, losses and accuracies agree exactly, whichever group the seed lands in."""
    config = load_config("timesteps", epochs=6)
    patterns = make_dataset(config).train
    alone = train(config, patterns, seeds=[4])
    together = train(config, patterns, seeds=[1, 2, 3, 4, 5], max_group=2)  # groups (1,2) (3,4) (5,5)
    for a, b in zip(leaves(alone.params), leaves(together.params), strict=True):
        np.testing.assert_array_equal(a[0], b[3])
    np.testing.assert_array_equal(alone.loss[0], together.loss[3])
    np.testing.assert_array_equal(alone.accuracy[0], together.accuracy[3])
    assert together.loss.shape == (5, 6)


def test_full_batch_seed_with_others_equals_seed_alone_to_float_rounding():
    """A whole-batch step sums over the batch; XLA may order that sum differently for a
    group than for one model, so here the agreement is to float32 rounding: 1e-5."""
    config = load_config("batch-state", epochs=30)
    patterns = make_dataset(config).train
    alone = train(config, patterns, seeds=[2])
    together = train(config, patterns, seeds=[1, 2, 3])
    for a, b in zip(leaves(alone.params), leaves(together.params), strict=True):
        np.testing.assert_allclose(a[0], b[1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(alone.loss[0], together.loss[1], rtol=1e-5)


def test_seeds_on_two_cpu_devices_equal_seed_alone():
    """In a fresh process with two CPU devices the groups run on both; seed 3 is the same."""
    script = textwrap.dedent(
        """
        import json, jax, numpy as np
        from lstmlab.engine.runtime import use_cpu_cores
        use_cpu_cores(2)
        from lstmlab.engine.data import make_dataset
        from lstmlab.settings.config import load_config
        from lstmlab.engine.training import train
        config = load_config("timesteps", epochs=4, units=8)
        patterns = make_dataset(config).train
        alone = train(config, patterns, seeds=[3])
        together = train(config, patterns, seeds=[1, 2, 3, 4])
        same = all(np.array_equal(a[0], b[2]) for a, b in
                   zip(jax.tree.leaves(alone.params), jax.tree.leaves(together.params)))
        print(json.dumps({"devices": len(jax.local_devices()), "same": same,
                          "loss": np.array_equal(alone.loss[0], together.loss[2])}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"devices": 2, "same": True, "loss": True}


# --- the command line ------------------------------------------------------------------------


def test_run_many_seeds_prints_the_distribution():
    result = runner.invoke(app, ["run", "timesteps", "--seeds", "3", "--epochs", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    summary = next(line for line in lines if line.startswith("Accuracy over 3 seeds: mean "))
    assert "median" in summary and "std" in summary and "at 100%" in summary
    assert "Seeds by accuracy:" in lines and any(line.strip().startswith("100%") for line in lines)
    assert "Per pattern, seeds that predict it right:" in lines
    assert any(line.strip().startswith("WXY -> Z") and "/3" in line for line in lines)
    assert "Model Accuracy" not in result.stdout  # the one-seed table is not printed
    assert "× 3 seeds" in result.stdout


def test_run_many_seeds_json_carries_every_seed_and_the_statistics():
    result = runner.invoke(app, ["run", "naive", "--seeds", "2,5", "--epochs", "2", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [s["seed"] for s in document["seeds"]] == [2, 5]
    stats = document["statistics"]
    accuracies = [s["accuracy"] for s in document["seeds"]]
    assert stats["summary"]["seeds"] == 2
    assert stats["summary"]["mean"] == pytest.approx(np.mean(accuracies))
    assert sum(b["count"] for b in stats["histogram"]) == 2
    assert len(stats["patterns"]) == 25 and all(0 <= p["hits"] <= 2 for p in stats["patterns"])


def test_one_seed_named_is_an_ordinary_run_of_that_seed():
    by_seeds = runner.invoke(app, ["run", "timesteps", "--seeds", "5-5", "--epochs", "2", "--json"])
    by_seed = runner.invoke(app, ["run", "timesteps", "--seed", "5", "--epochs", "2", "--json"])
    a, b = json.loads(by_seeds.stdout), json.loads(by_seed.stdout)
    assert a["seeds"][0]["seed"] == 5 and a["settings"]["seed"] == 5
    assert a["seeds"][0]["history"] == b["seeds"][0]["history"] and a["statistics"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seeds", "3", "--seed", "4"], "give --seed (one model) or --seeds (many), not both"),
        (["--seeds", "0"], "must be positive"),
        (["--seeds", "a-b"], "is not a seed"),
        (["--seeds", "2,2"], "twice"),
    ],
)
def test_run_seeds_mistakes_are_one_line_and_exit_2(args, message):
    result = runner.invoke(app, ["run", "timesteps", "--epochs", "2", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr

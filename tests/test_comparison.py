"""`compare` (cells against lags) and `gradients` (the vanishing gradient): parsing, the job
list, how results gather into rows, the gradient against a NumPy backpropagation, and one
small end-to-end run of each command."""

import html
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.engine.tasks import heldout_set, make_task
from lstmlab.engine.until_solved import make_programs
from lstmlab.errors import ConfigError
from lstmlab.results.comparison import CellChoice, JobResult, comparison_document, parse_cells, parse_lags, plan_jobs
from lstmlab.results.gradient_flow import gradient_norms
from lstmlab.settings.config import load_task_config


def test_cells_and_lags_parse_to_what_they_name():
    assert parse_cells("lstm,lstm:5,gru") == (
        CellChoice("lstm", "lstm", 1.0),
        CellChoice("lstm:5", "lstm", 5.0),
        CellChoice("gru", "gru", 1.0),
    )
    assert parse_lags("100,10,50", "adding") == (10, 50, 100)
    assert parse_lags(None, "adding") == (10, 20, 50, 100)
    assert parse_lags(None, "embedded-reber") == (None,)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: parse_cells("gru:5"), "--cells 'gru:5': only the lstm cell takes a forget bias"),
        (lambda: parse_cells("lstm:x"), "--cells 'lstm:x': the forget bias 'x' is not a number"),
        (lambda: parse_cells("rnn,rnn"), "names a cell twice"),
        (lambda: parse_lags("10,ten", "adding"), "--lags: 'ten' is not a whole number"),
        (lambda: parse_lags("10", "embedded-reber"), "task 'embedded-reber' has no lag"),
        (lambda: plan_jobs("adding", parse_cells("lstm,transformer"), (10,), (1,)), "cell 'transformer' is not"),
        (lambda: plan_jobs("adding", parse_cells("lstm"), (10, 4), (1,)), "lag 4 is not allowed for 'adding'"),
    ],
)
def test_mistakes_are_found_before_any_work(call, message):
    with pytest.raises(ConfigError, match=message):
        call()


def test_the_sweep_is_one_job_per_cell_lag_and_seed_group():
    jobs = plan_jobs("adding", parse_cells("lstm,rnn"), (10, 20), (1, 2, 3, 4, 5), group=2, budget=1000)
    assert len(jobs) == 2 * 2 * 3
    assert [j.seeds for j in jobs[:3]] == [(1, 2), (3, 4), (5,)]
    assert {(j.label, j.config.lag) for j in jobs} == {("lstm", 10), ("lstm", 20), ("rnn", 10), ("rnn", 20)}
    assert all(j.config.budget == 1000 for j in jobs)


def test_results_gather_into_one_row_per_cell_and_lag(tmp_path):
    jobs = plan_jobs("long-lag", parse_cells("lstm,rnn"), (5,), (1, 2, 3), group=2, budget=500)
    solved = {("lstm", (1, 2)): (300, -1), ("lstm", (3,)): (500,), ("rnn", (1, 2)): (-1, -1), ("rnn", (3,)): (-1,)}
    results = [JobResult(j, solved[j.label, j.seeds], (500,) * len(j.seeds), 1.5) for j in jobs]
    with jax.default_device(jax.devices("cpu")[0]):
        document = comparison_document(results, (1, 2, 3), tmp_path / "out", command=["lstmlab", "compare"])
    lstm, rnn = document.row("lstm", 5), document.row("rnn", 5)
    assert lstm.solved_at == (300, None, 500) and lstm.outcome.solved == 2 and lstm.outcome.median_sequences == 400
    assert (lstm.outcome.min_sequences, lstm.outcome.max_sequences) == (300, 500) and lstm.seconds == 3.0
    assert rnn.solved_at == (None, None, None) and rnn.outcome.solved_share == 0
    assert rnn.outcome.median_sequences is None


def numpy_rnn_gradients(params, x, target):
    """Backpropagation through time by hand for a SimpleRNN with a linear output and squared
    error at the last step: |dL/dh_t| for every t (one sequence, all steps read)."""
    W, U, b = (np.asarray(params["rnn"][k], np.float64) for k in ("kernel", "recurrent_kernel", "bias"))
    V, c = np.asarray(params["dense"]["kernel"], np.float64), np.asarray(params["dense"]["bias"], np.float64)
    hs, h = [], np.zeros(U.shape[0])
    for x_t in np.asarray(x, np.float64):
        h = np.tanh(x_t @ W + b + h @ U)
        hs.append(h)
    out = hs[-1] @ V + c
    grad = 2 * (out[0] - target) * V[:, 0]  # dL/dh_T
    norms = [np.linalg.norm(grad)]
    for t in range(len(hs) - 1, 0, -1):
        grad = U @ (grad * (1 - hs[t] ** 2))  # dL/dh_{t-1} = U (dL/dh_t * tanh')
        norms.append(np.linalg.norm(grad))
    return np.array(norms[::-1])


def test_the_hidden_gradient_matches_backpropagation_by_hand():
    config = load_task_config("adding", lag=10, cell="rnn", units=6)
    task = make_task(config)
    seqs = heldout_set(task, config, 3)
    seqs = jax.tree_util.tree_map(lambda a: a[:1], seqs)
    init, _ = make_programs(config, task, seqs)
    params = init(jax.random.key(3)).params
    params["rnn"]["bias"] = params["rnn"]["bias"] + 0.2  # not zero: every term counts
    hidden, inputs = gradient_norms(params, config, task, seqs)
    read = np.asarray(seqs.mask[0])
    expected = numpy_rnn_gradients(params, np.asarray(seqs.x[0])[read], float(seqs.target[0]))
    np.testing.assert_allclose(np.asarray(hidden)[read], expected, rtol=1e-4)
    assert hidden.shape == inputs.shape == (seqs.x.shape[1],)


def test_the_lstm_1997_carries_the_gradient_that_a_forget_gate_lets_decay():
    """The lesson in numbers: untrained, 40 steps back the 1997 cell's gradient is within a
    factor of 100 of the last step's, Keras's LSTM's has fallen by more than 1000."""
    def ratio(cell: str) -> float:
        config = load_task_config("adding", lag=40, cell=cell)
        task = make_task(config)
        seqs = heldout_set(task, config, 8)
        init, _ = make_programs(config, task, seqs)
        params = jax.vmap(lambda k: init(k).params)(jnp.stack([jax.random.key(s) for s in range(4)]))
        hidden = np.asarray(jax.vmap(lambda p: gradient_norms(p, config, task, seqs)[0])(params))
        return np.median(hidden[:, -40] / hidden[:, -1])

    ratios = {cell: ratio(cell) for cell in ("lstm", "lstm-1997")}
    assert ratios["lstm-1997"] > 1e-2 and ratios["lstm"] < 1e-3


def test_compare_writes_its_report_and_gradients_its_picture(command_outputs):
    """From the commands run once for the whole session (tests/conftest.py)."""
    documents, root = command_outputs
    (document,) = documents["comparison"]
    assert document["cells"] == ["lstm:5", "rnn"] and document["lags"] == [3] and document["seeds"] == [1, 2]
    assert [(r["cell"], r["lag"]) for r in document["rows"]] == [("lstm:5", 3), ("rnn", 3)]
    for row in document["rows"]:
        solved = [s for s in row["solved_at"] if s is not None]
        assert row["outcome"]["solved"] == len(solved) and all(s % 100 == 0 and s <= 200 for s in solved)
    out = root / "compare"
    assert sorted(p.name for p in out.iterdir()) == [
        "figures", "jobs", "report.html", "report.md", "results.json", "sweep.json"
    ]  # the sweep's record and its jobs' results (tests/test_sweep.py) stay beside the report
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["sequences.png", "solved.png"]
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["rows"] == document["rows"]
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert page.count("data:image/png;base64,") == 2 and "the paper's LSTM" in page

    (gradients,) = documents["gradients"]
    assert [(c["cell"], c["trained"]) for c in gradients["curves"]] == [("gru", False), ("gru", True)]
    assert len(gradients["curves"][0]["hidden"]["median"]) == 3  # every distance each sequence reaches
    assert (root / "gradients.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert gradients["figure"] == str(root / "gradients.png")


@pytest.mark.parametrize(
    "args, message",
    [
        (["compare", "timesteps"], "unknown task 'timesteps'; choose one of: long-lag, adding"),
        (["compare", "adding", "--lags", "5"], "lag 5 is not allowed for 'adding'; allowed: 10..10000"),
        (["compare", "adding", "--cells", "lstm:"], "the forget bias '' is not a number"),
        (["gradients", "embedded-reber"], "gradients needs a task answered at its last step"),
        (["gradients", "adding", "--out", "g.jpg"], "the picture is written as PNG"),
    ],
)
def test_bad_input_is_one_line(args, message):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert message in result.output

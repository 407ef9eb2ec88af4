"""In a notebook a run, a distribution, an inspection, a comparison, a gradients measurement and
a reproduction show themselves as HTML: tables with the document's numbers and the pictures
inline, the same pictures the command line and the reports draw."""

import base64
import re
import subprocess
import sys
import types

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

import lstmlab
from lstmlab.engine.runner import run
from lstmlab.render import notebook
from lstmlab.render.figures import accuracy_figure, gradients_figure, overview_figure, sequences_figure, solved_figure
from lstmlab.render.heatmap import heatmap_png, save_heatmap
from lstmlab.results.comparison import compare_cells
from lstmlab.results.gradient_flow import gradients
from lstmlab.results.reproduction import reproduction_document, run_experiments
from lstmlab.results.run import run_distribution, run_document
from lstmlab.settings.config import load_config
from tests.untrained import untrained


@pytest.fixture(scope="module")
def shown():
    """What IPython's HTML formatter gives for a value, once lstmlab registered itself with it."""
    shell = types.SimpleNamespace(display_formatter=DisplayFormatter())
    lstmlab.show_in_notebook(shell)
    formatter = shell.display_formatter.formatters["text/html"]

    def html(value) -> str:
        text = formatter(value)
        assert isinstance(text, str), f"no HTML for {type(value).__name__}"
        return text

    return html


def pictures(html: str) -> list[bytes]:
    found = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)">', html)
    return [base64.b64decode(data) for data in found]


def rows(html: str) -> list[list[str]]:
    """Every table body row as its cells' text."""
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(<td.*?)</tr>", html)]


@pytest.fixture(scope="module")
def one_seed():
    return run(load_config("naive", epochs=2, units=4))


@pytest.fixture(scope="module")
def three_seeds():
    return run(load_config("naive", epochs=2, units=4), seeds=[1, 2, 3])


def test_a_run_of_one_seed_is_its_prediction_table(shown, one_seed):
    html = shown(one_seed)
    assert f"Model Accuracy: {one_seed.accuracy * 100:.2f}%" in html
    assert "The tutorial reported 84.00%." in html
    table = rows(html)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    predicted = one_seed.train_answers.predicted[0]
    assert [r[0] for r in table] == list(letters[:25])
    assert [r[1] for r in table] == [letters[k] for k in predicted]
    assert [r[3] for r in table] == [
        "✓" if k == i + 1 else f"✗ expected {letters[i + 1]}" for i, k in enumerate(predicted)
    ]
    assert pictures(html) == []  # one seed: no distribution to draw
    assert shown(run_document(one_seed, command=())) == html  # the result and its document look the same


def test_a_run_speaks_russian_when_lstmlab_does(shown, one_seed, monkeypatch):
    monkeypatch.setenv("LSTMLAB_LANG", "ru")
    html = shown(one_seed)
    assert "<h4>naive: на входе одна буква, на выходе следующая</h4>" in html
    assert f"Точность модели: {one_seed.accuracy * 100:.2f}%" in html
    assert "Урок сообщил 84.00%." in html
    assert "<th" in html and "предсказано</th>" in html and "input" not in html


def test_many_seeds_show_the_distribution_with_the_tutorials_figure(shown, three_seeds):
    html = shown(three_seeds)
    accuracies = three_seeds.correct.mean(axis=1)
    summary = rows(html)[0]
    assert summary[:6] == [
        "training patterns",
        "3",
        f"{np.mean(accuracies) * 100:.2f}%",
        f"{np.median(accuracies) * 100:.2f}%",
        f"{np.min(accuracies) * 100:.2f}%",
        f"{np.max(accuracies) * 100:.2f}%",
    ]
    assert summary[6] == f"{np.std(accuracies) * 100:.2f}"
    expected = accuracy_figure("naive: accuracy of 3 seeds", accuracies, 84.0, 25)
    assert pictures(html) == [expected]
    per_pattern = [r for r in rows(html) if len(r) == 4 and r[2].endswith("/3")]
    assert [r[2] for r in per_pattern] == [f"{n}/3" for n in three_seeds.correct.sum(axis=0)]


def test_a_distribution_alone_is_its_tables(shown, three_seeds):
    dist = run_distribution(three_seeds)
    html = shown(dist)
    bins = [r for r in rows(html) if len(r) == 3]
    assert [(r[0], int(r[1])) for r in bins] == [(b.label, b.count) for b in dist.histogram]
    assert sum(int(r[1]) for r in bins) == 3


def test_an_inspection_shows_its_gates_and_the_heatmap(shown, tmp_path):
    inspection = untrained("timesteps", units=5).inspect("KLM")
    html = shown(inspection)
    table = rows(html)
    assert [r[1] for r in table] == ["K", "L", "M"]
    for t, row in enumerate(table):
        assert row[2:6] == [f"{inspection.values[g][t].mean():.3f}" for g in ("i", "f", "g", "o")]
    drawn = save_heatmap(inspection, tmp_path / "gates.png")
    assert pictures(html) == [heatmap_png(inspection)] == [(tmp_path / "gates.png").read_bytes()]
    assert pictures(html)[0].startswith(b"\x89PNG") and drawn.width > 0


def test_a_stateful_run_shows_the_tutorials_demonstrations(shown):
    html = shown(run(load_config("stateful", epochs=2, units=4)))
    assert "New start: K, after a reset:" in html
    assert "New start: K, after warming the state with ABCDEFGHIJ:" in html


def test_a_comparison_shows_its_table_and_both_figures(shown):
    document = compare_cells("long-lag", cells="lstm:5,rnn", lags="3", seeds=[1, 2], budget=200)
    html = shown(document)
    cells = {r[0]: r for r in rows(html)}
    for row in document.rows:
        assert cells[row.cell][1:3] == [str(row.lag), f"{row.outcome.solved}/2"]
    assert "the paper&#x27;s LSTM" in cells
    assert pictures(html) == [solved_figure(document), sequences_figure(document)]


def test_gradients_show_their_table_and_figure(shown):
    document = gradients("long-lag", cells="gru,rnn", seeds=[1, 2], lag=3, untrained_only=True)
    html = shown(document)
    table = rows(html)
    assert [r[:2] for r in table] == [["gru", "untrained"], ["rnn", "untrained"]]
    for row, curve in zip(table, document.curves, strict=True):
        assert row[2:] == [f"{v:.1e}" for v in curve.hidden.median]
    assert pictures(html) == [gradients_figure(document)]
    assert "trained for up to" not in html  # nothing was trained


def test_a_reproduction_shows_its_table_and_overview(shown, tmp_path):
    seeds = [1, 2]
    outcomes = run_experiments([load_config("naive", epochs=1, units=4)], seeds)
    document = reproduction_document(outcomes, seeds, tmp_path / "report")
    html = shown(document)
    s = document.experiments[0].statistics.summary
    assert rows(html)[0][:3] == ["naive", "84.00%", f"{s.median * 100:.2f}%"]
    spread = [("naive", [r.accuracy for r in document.experiments[0].per_seed], 84.0)]
    assert pictures(html) == [overview_figure(spread)]


def test_other_values_have_no_html_view(shown):
    formatter = DisplayFormatter().formatters["text/html"]
    lstmlab.show_in_notebook(types.SimpleNamespace(display_formatter=DisplayFormatter()))
    assert formatter(load_config("naive")) is None
    with pytest.raises(TypeError, match="no HTML view of Config"):
        notebook.html(load_config("naive"))


def test_import_lstmlab_in_ipython_registers_every_view_and_loads_nothing_heavy():
    """In a running IPython, `import lstmlab` registers the views by name: no JAX, no matplotlib."""
    probe = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import sys, lstmlab\n"
        "names = sorted(shell.display_formatter.formatters['text/html'].deferred_printers)\n"
        "print(names)\n"
        "print(sorted(m for m in ('jax', 'matplotlib', 'lstmlab.render.notebook') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    registered, loaded = done.stdout.strip().splitlines()[-2:]
    expected = sorted((kind.__module__, kind.__name__) for kind, _ in notebook.RENDERERS)
    assert registered == str(expected)
    assert loaded == "[]"

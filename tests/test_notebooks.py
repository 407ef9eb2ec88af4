"""The tutorial notebooks (docs/tutorial.en.md, docs/tutorial.ru.md: jupytext Markdown) run top to
bottom in a fresh kernel, as a reader runs them in Jupyter; a cell that raises fails the test.

Executing both takes minutes, so that test is marked slow (CI runs `pytest -m slow`); the fast
tests check the machinery itself: a notebook that raises fails, one that runs shows its output."""

import html
import re
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

DOCS = Path(__file__).resolve().parents[1] / "docs"
NOTEBOOKS = {"en": DOCS / "tutorial.en.md", "ru": DOCS / "tutorial.ru.md"}
CELL_SECONDS = 600  # the longest a single cell may take before the run counts as failed


def execute(path: Path, folder: Path) -> nbformat.NotebookNode:
    """Run a jupytext notebook top to bottom in a fresh python3 kernel, in `folder`;
    raises CellExecutionError at the first cell that raises."""
    notebook = jupytext.read(path)
    resources = {"metadata": {"path": str(folder)}}
    client = NotebookClient(notebook, timeout=CELL_SECONDS, kernel_name="python3", resources=resources)
    client.execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> str:
    """Everything the cells printed or displayed, as one text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            data = output.get("data", {})
            parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


# --- every figure the prose quotes is one the notebook printed ------------------------------------
#
# A number in a text cell (not in code or `code`) must be one that a code cell beside it (the one
# before or the one after) printed or set, to the precision the text gives it ("84%" holds for
# "84.00%", "0.001" for "0.001000"). The closing summary, after the last code cell, may quote any
# output of the notebook. Numbers that come from outside the notebook are listed with their source.
NUMBER = re.compile(r"(?<![\w.\-])(?:\d{1,3}(?:[,\u00a0\u202f ]\d{3})+|\d+)(?:[.,]\d+)?(?:e[+-]\d+)?(?!\w)")
QUOTED_FROM_ELSEWHERE = {
    "1": "Keras 1, the tutorial's library",
    "3": "Keras 3, today's",
    "7": "the tutorial's seed",
    "1997": "the year of the LSTM paper",
    "2016": "the year of the tutorial",
}


def number(token: str) -> tuple[float, float]:
    """The value a token writes and half a unit of its last digit: '12,500' and '12 500' are
    12500; '0,75' (a decimal comma) is 0.75; '1.4e-09' is 1.4e-09 give or take 5e-11."""
    token = re.sub(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}(?!\d))", "", token).replace(",", ".")
    mantissa, _, exponent = token.partition("e")
    decimals = len(mantissa.partition(".")[2])
    return float(token), 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def cell_numbers(cell) -> list[float]:
    """Every number a code cell's source or outputs hold."""
    texts = [cell.source]
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        texts += [output.get("text", ""), data.get("text/plain", "")]
        texts.append(re.sub(r"<[^>]+>", " ", data.get("text/html", "")))
    return [number(token)[0] for token in NUMBER.findall(html.unescape("\n".join(texts)))]


def prose(markdown: str) -> str:
    return re.sub(r"`[^`]*`", " ", re.sub(r"```.*?```", " ", markdown, flags=re.S))


def unsupported_figures(notebook: nbformat.NotebookNode) -> list[str]:
    """Each quoted number the notebook's outputs do not hold, as 'cell N: token (text…)'."""
    cells = notebook.cells
    last_code = max(i for i, cell in enumerate(cells) if cell.cell_type == "code")
    everywhere = [n for cell in cells if cell.cell_type == "code" for n in cell_numbers(cell)]
    found = []
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        beside = [cells[j] for j in (i - 1, i + 1) if 0 <= j < len(cells) and cells[j].cell_type == "code"]
        evidence = everywhere if i > last_code else [n for near in beside for n in cell_numbers(near)]
        for token in NUMBER.findall(prose(cell.source)):
            value, half = number(token)
            if token not in QUOTED_FROM_ELSEWHERE and not any(abs(n - value) <= half * 1.0001 for n in evidence):
                found.append(f"cell {i}: {token} ({cell.source[:50]!r}…)")
    return found


def test_a_figure_the_output_does_not_hold_is_found(tmp_path):
    text = "# Figures\n\n```python\nprint('accuracy 84.00%, 12500 steps')\n```\n\n"
    text += "It reached 84% in 12,500 steps.\n\n```python\nprint('next')\n```\n\nIt reached 86% in 12 500 steps.\n"
    path = tmp_path / "figures.md"
    path.write_text(text, encoding="utf-8")
    found = unsupported_figures(execute(path, tmp_path))
    assert len(found) == 1 and found[0].startswith("cell 4: 86 ")  # the summary after the last cell: 12 500 holds


def test_numbers_are_read_as_they_are_written():
    assert number("12,500") == (12500.0, 0.5) and number("12 500") == (12500.0, 0.5)
    assert number("0,75") == (0.75, 0.005) and number("84.00") == (84.0, 0.005)
    value, half = number("1.4e-09")
    assert value == 1.4e-09 and half == pytest.approx(5e-11)


def write(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    path.write_text(f"# A test notebook\n\n```python\n{code}\n```\n", encoding="utf-8")
    return path


def test_a_notebook_that_raises_fails(tmp_path):
    path = write(tmp_path, "broken.md", "print('before')\n1 / 0")
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        execute(path, tmp_path)


def test_a_notebook_that_runs_shows_lstmlabs_results_as_html(tmp_path):
    code = "import lstmlab\nlstmlab.load_config('naive', units=4)\nfrom lstmlab.results.stats import distribution\n"
    code += "distribution([[True, False], [True, True]], ['A', 'B'], ['B', 'C'])"
    notebook = execute(write(tmp_path, "fine.md", code), tmp_path)
    html = notebook.cells[-1].outputs[-1]["data"]["text/html"]
    assert re.search(r"<td[^>]*>75\.00%</td>", html)  # the mean of 1/2 and 2/2, in the summary table


@pytest.mark.parametrize("language", NOTEBOOKS)
def test_the_notebooks_are_text_without_outputs(language):
    """Kept as jupytext Markdown (readable diffs, no outputs stored), convertible to .ipynb."""
    text = NOTEBOOKS[language].read_text(encoding="utf-8")
    assert "format_name: markdown" in text and "outputs" not in text
    notebook = jupytext.reads(text, fmt="md")
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    other = jupytext.read(NOTEBOOKS["ru" if language == "en" else "en"])
    assert len(code) == len([cell for cell in other.cells if cell.cell_type == "code"])  # the same story


def test_jupytext_converts_a_notebook_as_the_readme_says(tmp_path):
    target = tmp_path / "tutorial.en.ipynb"
    command = [sys.executable, "-m", "jupytext", "--to", "ipynb", str(NOTEBOOKS["en"]), "-o", str(target)]
    subprocess.run(command, check=True, capture_output=True)
    nbformat.validate(nbformat.read(target, as_version=4))


# What each notebook must have shown, in its language (the Russian one sets LSTMLAB_LANG=ru):
# the tutorial's accuracies at its own seed and more.
SHOWN = {
    "en": [
        "Model Accuracy: 84.00%",  # naive, seed 7
        "Model Accuracy: 86.96%",  # features
        "Model Accuracy: 100.00%",  # timesteps
        "data:image/png;base64,",  # the pictures: histograms, heatmaps, comparison, gradients
        "Held-out Accuracy:",  # variable-length with --holdout
        "New start: K, after a reset:",  # stateful
    ],
    "ru": [
        "Точность модели: 84.00%",
        "Точность модели: 86.96%",
        "Точность модели: 100.00%",
        "data:image/png;base64,",
        "Точность на отложенных:",
        "Новое начало: K, после сброса:",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("language", NOTEBOOKS)
def test_the_notebook_runs_top_to_bottom(language, tmp_path):
    start = time.perf_counter()
    notebook = execute(NOTEBOOKS[language], tmp_path)
    seconds = time.perf_counter() - start
    shown = outputs(notebook)
    for text in SHOWN[language]:
        assert text in shown, text
    assert unsupported_figures(notebook) == []
    print(f"{NOTEBOOKS[language].name}: {seconds:.0f} s")


# --- the Keras code a notebook shows builds the model lstmlab trains -----------------------------


def keras_blocks(language: str) -> list[str]:
    """The notebook's Keras code: its ```py blocks (shown, not run by the notebook)."""
    return re.findall(r"```py\n(.*?)```", NOTEBOOKS[language].read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("language", NOTEBOOKS)
def test_the_keras_code_builds_the_timesteps_model(language, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    from lstmlab import load_config, make_dataset, train
    from lstmlab.engine.data import encode_inputs

    build, fit = keras_blocks(language)
    scope: dict = {}
    exec(build, scope)  # noqa: S102 - the notebook's own code, as a reader would run it
    config = load_config("timesteps", epochs=1)
    patterns = make_dataset(config).train
    X, _ = encode_inputs(patterns, config)
    np.testing.assert_allclose(scope["X"], X, rtol=1e-6)
    assert (scope["y"].argmax(axis=1) == patterns.targets).all() and scope["y"].shape == (len(X), 26)
    ours = train(config, patterns).params_of(0)
    shapes = [w.shape for w in scope["model"].weights]
    assert shapes == [ours["lstm"][n].shape for n in ("kernel", "recurrent_kernel", "bias")] + [
        ours["dense"][n].shape for n in ("kernel", "bias")
    ]
    assert scope["model"].count_params() == sum(a.size for layer in ours.values() for a in layer.values())
    tutorial = load_config("timesteps")
    assert fit.strip() == f"model.fit(X, y, epochs={tutorial.epochs}, batch_size={tutorial.batch_size}, verbose=2)"

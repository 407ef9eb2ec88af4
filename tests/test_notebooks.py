"""The tutorial notebooks (docs/tutorial.en.md, docs/tutorial.ru.md: jupytext Markdown) run top to
bottom in a fresh kernel, as a reader runs them in Jupyter; a cell that raises fails the test.

Executing both takes minutes, so that test is marked slow (CI runs `pytest -m slow`); the fast
tests check the machinery itself: a notebook that raises fails, one that runs shows its output."""

import re
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
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
    print(f"{NOTEBOOKS[language].name}: {seconds:.0f} s")

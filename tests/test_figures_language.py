"""Every picture speaks the reader's language: with LSTMLAB_LANG=ru no English word is left in a
figure (only names and symbols: experiments, cells, tasks, i f g o, k, |dL/dh|); a cell has one
colour in every picture; the accuracy histogram stops at 100%. Drawn from small documents built
here, nothing trained."""

import re

import jax
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.text import Text

from lstmlab import i18n
from lstmlab.engine.cell import panels
from lstmlab.model.inspection import PAD_LABEL, Inspection
from lstmlab.render import figures
from lstmlab.render.heatmap import heatmap_figure
from lstmlab.results.comparison import DEFAULT_CELLS, JobResult, comparison_document, parse_cells, plan_jobs
from lstmlab.results.gradient_flow import Band, GradientCurve, GradientsDocument
from lstmlab.results.reproduction import Curve
from lstmlab.settings.config import CELLS
from lstmlab.settings.experiments import EXPERIMENTS
from lstmlab.settings.paper import PAPER_TASKS

CELL_NAMES = (*CELLS, *DEFAULT_CELLS.split(","))
# Names and symbols a picture may hold in any language, longest first ("AB": the text inspected).
NAMES = sorted(
    {*EXPERIMENTS, *CELL_NAMES, *PAPER_TASKS, "LSTM", "float32", "dL/dh", "dL/dx", "AB"}, key=len, reverse=True
)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def comparison(task: str, cells: str, lags, seeds=(1, 2, 3)):
    """A compare document from made-up results: seed s of the i-th cell solves after 100·(i+s)
    sequences, the last seed of each never."""
    jobs = plan_jobs(task, parse_cells(cells), lags, seeds, budget=1000)
    order = list(dict.fromkeys(j.label for j in jobs))
    results = [
        JobResult(
            j,
            tuple(100 * (order.index(j.label) + s) if s < seeds[-1] else -1 for s in j.seeds),
            (1000,) * len(j.seeds),
            1.0,
        )
        for j in jobs
    ]
    with jax.default_device(jax.devices("cpu")[0]):
        return comparison_document(results, seeds, "out", command=["lstmlab", "compare"])


def gradients_document(cells=("rnn", "gru", "lstm:5")) -> GradientsDocument:
    steps = 6
    band = Band(tuple(0.5**k for k in range(steps)), tuple(0.3**k for k in range(steps)), (1.0,) * steps)
    curves = tuple(
        GradientCurve(cell, trained, 1 if trained else None, band, band) for cell in cells for trained in (False, True)
    )
    return GradientsDocument("long-lag", 4, (1, 2), 500, 16, curves, None)


def inspection(cell: str) -> Inspection:
    labels = (PAD_LABEL, "A", "B")
    rng = np.random.default_rng(0)
    values = {name: rng.uniform(0, 1, (len(labels), 4)).astype(np.float32) for name in panels(cell)}
    return Inspection("AB", cell, labels, values, "C", 0.5)


def curve(scale: float) -> Curve:
    epochs = np.arange(1, 6)
    median = scale / epochs
    return Curve(*(tuple(median * f) for f in (0.5, 0.8, 1.0, 1.2, 1.5)))


DRAWINGS = {
    "accuracy": lambda: figures.draw_accuracy(figures.accuracy_title("naive", 3), [0.8, 0.84, 1.0], 84.0, 25),
    "curves": lambda: figures.draw_curves(figures.curves_title("naive", 3), curve(2.0), curve(0.9)),
    "overview": lambda: figures.draw_overview([("naive", [0.8, 0.84, 1.0], 84.0), ("timesteps", [1.0, 1.0], 100.0)]),
    "solved": lambda: figures.draw_solved(comparison("long-lag", "lstm,gru", (3, 5))),
    "solved-no-lag": lambda: figures.draw_solved(comparison("embedded-reber", "lstm,gru", (None,))),
    "sequences": lambda: figures.draw_sequences(comparison("long-lag", "lstm,gru", (3, 5))),
    "sequences-no-lag": lambda: figures.draw_sequences(comparison("embedded-reber", "lstm,gru", (None,))),
    "gradients": lambda: figures.draw_gradients(gradients_document()),
    "heatmap-lstm": lambda: heatmap_figure(inspection("lstm")),
    "heatmap-gru": lambda: heatmap_figure(inspection("gru")),
}


def texts(figure) -> list[str]:
    """Every text the picture shows: titles, axis labels, tick labels, legends, annotations."""
    FigureCanvasAgg(figure).draw()  # tick labels are written as the picture is drawn
    return [t.get_text() for t in figure.findobj(Text) if t.get_text().strip()]


def english_words(lines: list[str]) -> list[str]:
    """What is left of the texts once names and symbols are taken out: runs of 2+ Latin letters."""
    words = []
    for line in lines:
        line = re.sub(r"\\[A-Za-z]+", " ", line)  # mathtext commands of a log axis' ticks: $\mathdefault{10^{2}}$
        for name in NAMES:
            line = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", " ", line)
        words += LATIN_WORD.findall(line)
    return words


def drawn(name: str, language: str) -> list[str]:
    with i18n.speaking(language):
        return texts(DRAWINGS[name]())


@pytest.mark.parametrize("name", DRAWINGS)
def test_a_picture_in_russian_holds_no_english_word(name):
    russian = drawn(name, "ru")
    assert english_words(russian) == [], russian
    assert any(re.search("[а-яё]", line) for line in russian)


@pytest.mark.parametrize("name", DRAWINGS)
def test_the_same_picture_in_english_is_in_english(name):
    english = drawn(name, "en")
    assert english_words(english), english
    assert not any(re.search("[а-яё]", line) for line in english)


def test_the_texts_say_what_was_drawn():
    with i18n.speaking("ru"):
        assert figures.accuracy_title("naive", 1) == "naive: точность 1 зерна"
        assert figures.accuracy_title("naive", 3) == "naive: точность 3 зёрен"
        assert figures.curves_title("naive", 21) == "naive: обучение на 21 зерне"
        heatmap = texts(heatmap_figure(inspection("lstm")))
    assert {"вентиль входа i", "вентиль забывания f", "скрытое состояние h", "доп."} <= set(heatmap)
    with i18n.speaking("en"):
        assert [figures.accuracy_title("naive", n) for n in (1, 3)] == [
            "naive: accuracy of 1 seed",
            "naive: accuracy of 3 seeds",
        ]


def cell_colours(figure, cells) -> dict[str, set[str]]:
    """Each cell's colour in a figure: its line's (legend `cell` or `cell: state`), else its bar's."""
    found = {}
    for axes in figure.axes:
        for line in axes.get_lines():
            label = line.get_label()
            named = [c for c in cells if label == c or label.startswith((f"{c}:", f"{c} "))]
            if named:
                found.setdefault(max(named, key=len), set()).add(to_hex(line.get_color()))
        bars = [p for p in axes.patches if p.get_height() > 0]
        if len(bars) == len(cells) and not axes.get_lines():
            for cell, bar in zip(cells, bars, strict=True):
                found.setdefault(cell, set()).add(to_hex(bar.get_facecolor()))
    return found


def test_a_cell_has_one_colour_in_every_picture():
    cells = DEFAULT_CELLS.split(",")
    lagged = comparison("long-lag", DEFAULT_CELLS, (3, 5))
    unlagged = comparison("embedded-reber", "rnn,gru,lstm-1997", (None,))
    pictures = {
        "solved": (figures.draw_solved(lagged), cells),
        "sequences": (figures.draw_sequences(lagged), cells),
        "solved-bars": (figures.draw_solved(unlagged), ["rnn", "gru", "lstm-1997"]),
        "gradients": (figures.draw_gradients(gradients_document(("rnn", "gru", "lstm:5"))), ["rnn", "gru", "lstm:5"]),
    }
    colours = {}
    for name, (figure, drawn_cells) in pictures.items():
        found = cell_colours(figure, drawn_cells)
        assert set(found) == set(drawn_cells), name
        for cell, seen in found.items():
            assert len(seen) == 1, (name, cell, seen)  # trained and untrained lines alike
            colours.setdefault(cell, set()).update(seen)
    assert {cell: len(seen) for cell, seen in colours.items()} == dict.fromkeys(cells, 1)
    assert len({next(iter(seen)) for seen in colours.values()}) == len(cells)  # and no two alike
    assert all(figures.cell_colour(cell) in colours[cell] for cell in cells)


@pytest.mark.parametrize("patterns", [25, 60, 61, 500])
def test_the_accuracy_histogram_stops_at_100_percent(patterns):
    every = np.arange(patterns + 1) / patterns  # every accuracy there can be, one seed each
    figure = figures.draw_accuracy("t", every, 84.0, patterns)
    axes = figure.axes[0]
    bars = sorted(axes.patches, key=lambda p: p.get_x())
    edges = figures.histogram_edges(patterns)
    assert edges[0] == 0 and edges[-1] == 100
    assert bars[0].get_x() == pytest.approx(0, abs=1e-9)
    assert bars[-1].get_x() + bars[-1].get_width() == pytest.approx(100, abs=1e-9)
    assert axes.get_xlim()[1] == 100
    assert bars[-1].get_height() >= 1  # the seed at exactly 100% is in the last bar
    if patterns <= 60:  # each possible accuracy k/n a bar of its own
        assert [p.get_height() for p in bars] == [1] * (patterns + 1)
    assert sum(p.get_height() for p in bars) == patterns + 1

"""Pictures for the reports and the notebook, drawn with matplotlib's object API on the Agg
canvas (no pyplot, no GUI, no global figure state) and returned as PNG bytes.

    accuracy_figure  - how the seeds' accuracies spread, the tutorial's figure marked
    curves_figure    - loss and accuracy per epoch: the median seed and bands across seeds
                       (from a reproduction document's `Curve`s: drawn, not computed, here)
    overview_figure  - every experiment's spread in one picture, tutorial figures marked
    solved_figure, sequences_figure - compare: each cell against the lag
    gradients_figure - the gradient k steps back, a line per cell

Each `*_figure` is `png_bytes` of its `draw_*`, which gives the matplotlib Figure. Every word
drawn is in the current language (lstmlab.i18n, looked up as it is drawn); a cell has one
colour in every picture (`cell_colour`).
"""

import io
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from lstmlab.i18n import _, ngettext
from lstmlab.render.tasks import model_state

TUTORIAL = "#d62728"  # red: what the tutorial reported
OURS = "#1f77b4"  # blue: what the seeds did
DPI = 100


def png_bytes(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    # No "Software" stamp: the same numbers give the same bytes on the same matplotlib.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def accuracy_title(experiment: str, seeds: int) -> str:
    """The title of an experiment's `accuracy_figure` (the reproduce report's and the notebook's)."""
    title = ngettext("{experiment}: accuracy of {n} seed", "{experiment}: accuracy of {n} seeds", seeds)
    return title.format(experiment=experiment, n=seeds)


def histogram_edges(patterns: int) -> np.ndarray:
    """The bars' edges in percent, from 0 to exactly 100. With n training patterns an accuracy
    is k/n: when n is small enough to show them all, a bar centred on each k/n, the two at 0%
    and 100% half as wide so that none reaches past either end; else half-percent bars."""
    if patterns > 60:
        return np.linspace(0, 100, 201)
    return np.concatenate([[0.0], (np.arange(patterns) + 0.5) * 100 / patterns, [100.0]])


def accuracy_figure(title: str, accuracies, tutorial_percent: float | None, patterns: int) -> bytes:
    """Histogram of per-seed accuracy (percent), `histogram_edges` its bars. The tutorial's
    figure is marked when there is one (None: a run of no tutorial experiment)."""
    return png_bytes(draw_accuracy(title, accuracies, tutorial_percent, patterns))


def draw_accuracy(title: str, accuracies, tutorial_percent: float | None, patterns: int) -> Figure:
    values = np.asarray(accuracies, dtype=np.float64) * 100
    figure = Figure(figsize=(6.4, 3.4), layout="constrained")
    axes = figure.add_subplot()
    seeds = ngettext("{n} seed", "{n} seeds", len(values)).format(n=len(values))
    axes.hist(values, bins=histogram_edges(patterns), color=OURS, alpha=0.85, label=seeds)
    if tutorial_percent is not None:
        tutorial = _("tutorial {percent:.2f}%").format(percent=tutorial_percent)
        axes.axvline(tutorial_percent, color=TUTORIAL, linestyle="--", linewidth=2, label=tutorial)
    median = float(np.median(values))
    axes.axvline(median, color="black", linewidth=1, label=_("median {percent:.2f}%").format(percent=median))
    low = min(float(values.min()), median if tutorial_percent is None else tutorial_percent)
    axes.set_xlim(max(0.0, low - 8), 100)
    axes.set_xlabel(_("accuracy on the training patterns (%)"))
    axes.set_ylabel(_("seeds"))
    axes.set_title(title)
    axes.legend(loc="upper left", frameon=False)
    return figure


def _bands(axes, curve, label: str, log: bool = False, scale: float = 1.0) -> None:
    low, p10, median, p90, high = (
        np.asarray(band) * scale for band in (curve.minimum, curve.p10, curve.median, curve.p90, curve.maximum)
    )
    epochs = np.arange(1, len(median) + 1)
    axes.fill_between(epochs, low, high, color=OURS, alpha=0.12, linewidth=0, label=_("min–max"))
    axes.fill_between(epochs, p10, p90, color=OURS, alpha=0.3, linewidth=0, label=_("10th–90th percentile"))
    axes.plot(epochs, median, color=OURS, linewidth=1.5, label=_("median seed"))
    axes.set_xlabel(_("epoch"))
    axes.set_ylabel(label)
    if log:
        axes.set_yscale("log")
        # Ticks at 1, 2, 5 times powers of ten, written plainly: 0.5, not 5×10⁻¹.
        axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_xlim(1, max(2, len(median)))


def curves_title(experiment: str, seeds: int) -> str:
    """The title of an experiment's `curves_figure`."""
    title = ngettext("{experiment}: training over {n} seed", "{experiment}: training over {n} seeds", seeds)
    return title.format(experiment=experiment, n=seeds)


def curves_figure(title: str, loss, accuracy) -> bytes:
    """loss, accuracy: `Curve`s over epochs (minimum, p10, median, p90, maximum across seeds)."""
    return png_bytes(draw_curves(title, loss, accuracy))


def draw_curves(title: str, loss, accuracy) -> Figure:
    figure = Figure(figsize=(9.6, 3.4), layout="constrained")
    left, right = figure.subplots(1, 2)
    _bands(left, loss, _("training loss"), log=bool(np.all(np.asarray(loss.minimum) > 0)))
    _bands(right, accuracy, _("training accuracy (%)"), scale=100)
    right.set_ylim(0, 101)
    right.legend(loc="lower right", frameon=False)
    figure.suptitle(title)
    return figure


def overview_figure(rows: list[tuple[str, np.ndarray, float]]) -> bytes:
    """rows: (experiment, accuracies in [0, 1], tutorial percent), drawn top to bottom."""
    return png_bytes(draw_overview(rows))


def draw_overview(rows: list[tuple[str, np.ndarray, float]]) -> Figure:
    figure = Figure(figsize=(7.2, 0.7 * len(rows) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(rows))[::-1]
    axes.boxplot(
        [np.asarray(a) * 100 for _name, a, _tutorial in rows],
        positions=positions,
        orientation="horizontal",
        widths=0.5,
        patch_artist=True,
        boxprops={"facecolor": OURS, "alpha": 0.35},
        medianprops={"color": "black"},
        flierprops={"markersize": 3},
    )
    axes.scatter(
        [t for *_, t in rows], positions, marker="D", color=TUTORIAL, zorder=3, label=_("the tutorial's figure")
    )
    axes.set_yticks(positions, [name for name, *_ in rows])
    axes.set_xlabel(_("accuracy on the training patterns (%) over seeds"))
    axes.legend(loc="lower left", frameon=False)
    return figure


# --- compare: each cell against the lag ------------------------------------------------------

CELL_COLOURS = {"lstm": "#1f77b4", "lstm:5": "#2ca02c", "lstm-1997": "#9467bd", "gru": "#ff7f0e", "rnn": "#8c564b"}
OTHER_COLOURS = ("#e377c2", "#7f7f7f", "#17becf", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39")
CELL_MARKERS = "osD^v<>p"


def cell_colour(cell: str) -> str:
    """A cell's colour, the same in every picture: its own for the cells compare runs by default,
    one picked by its name for another (an lstm:B)."""
    return CELL_COLOURS.get(cell) or OTHER_COLOURS[zlib.crc32(cell.encode()) % len(OTHER_COLOURS)]


def cell_style(cell: str, index: int) -> dict:
    """Colour, marker and width of a cell's line: earlier lines wider, so that two cells with
    the same figures both stay visible, one inside the other."""
    return {
        "color": cell_colour(cell),
        "marker": CELL_MARKERS[index % len(CELL_MARKERS)],
        "linewidth": max(1.0, 4.0 - 0.7 * index),
        "markersize": max(4.0, 10.0 - 1.5 * index),
    }


def solved_figure(document) -> bytes:
    """The headline: the share of seeds that solved the task, against the lag, a line per cell
    (a bar per cell when the task has no lag)."""
    return png_bytes(draw_solved(document))


def draw_solved(document) -> Figure:
    figure = Figure(figsize=(6.4, 3.8), layout="constrained")
    axes = figure.add_subplot()
    seeds = len(document.seeds)
    if document.lags == (None,):
        shares = [document.row(cell, None).outcome.solved_share for cell in document.cells]
        axes.bar(document.cells, shares, color=[cell_colour(cell) for cell in document.cells])
    else:
        for index, cell in enumerate(document.cells):
            shares = [document.row(cell, lag).outcome.solved_share for lag in document.lags]
            axes.plot(document.lags, shares, label=cell, **cell_style(cell, index))
        axes.set_xscale("log")
        axes.set_xticks(document.lags, [str(lag) for lag in document.lags])
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xlabel(_("lag (time steps the task's memory must span)"))
        axes.legend(title=_("cell"), fontsize=8)
    axes.set_ylim(-0.04, 1.04)
    axes.set_ylabel(_("seeds that solved it (of {n})").format(n=seeds))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
    axes.grid(alpha=0.3)
    axes.set_title(_("{task}: which cells learn across which lag").format(task=document.task), fontsize=11)
    return figure


def sequences_figure(document) -> bytes:
    """Median training sequences to solve, against the lag, for the seeds that solved it; the
    paper's mean marked at the paper's lag."""
    return png_bytes(draw_sequences(document))


def draw_sequences(document) -> Figure:
    figure = Figure(figsize=(6.4, 3.8), layout="constrained")
    axes = figure.add_subplot()
    lags = document.lags
    positions = list(range(len(document.cells))) if lags == (None,) else None
    for index, cell in enumerate(document.cells):
        if positions is not None:
            median = document.row(cell, None).outcome.median_sequences
            if median is not None:
                axes.bar(index, median, color=cell_colour(cell))
            continue
        points = [(lag, document.row(cell, lag).outcome.median_sequences) for lag in lags]
        points = [(lag, m) for lag, m in points if m is not None]
        if points:
            axes.plot(*zip(*points, strict=True), label=cell, **cell_style(cell, index))
    paper = document.paper
    paper_label = _("the paper's LSTM (mean)")
    if positions is not None:
        axes.axhline(paper.sequences, color=TUTORIAL, linestyle="--", label=paper_label)
        axes.set_xticks(positions, document.cells)
    else:
        paper_lag = 100
        axes.plot([paper_lag], [paper.sequences], "*", color=TUTORIAL, markersize=14, label=paper_label)
        axes.set_xscale("log")
        axes.set_xticks(lags, [str(lag) for lag in lags])
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xlabel(_("lag"))
    axes.set_yscale("log")
    axes.yaxis.set_major_locator(LogLocator())
    axes.set_ylabel(_("training sequences to solve (median)"))
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3, which="both")
    axes.set_title(_("{task}: how long the solving seeds took").format(task=document.task), fontsize=11)
    return figure


# --- gradients: the vanishing gradient -------------------------------------------------------


def gradients_figure(document) -> bytes:
    """|dL/dh| and |dL/dx| against the distance back from the last step, log scale: a line
    per cell (solid: trained, dashed: untrained), shaded between the seeds' 10th and 90th
    percentiles."""
    return png_bytes(draw_gradients(document))


def draw_gradients(document) -> Figure:
    figure = Figure(figsize=(10, 4), layout="constrained")
    panels = figure.subplots(1, 2, sharex=True)
    titles = {"hidden": _("gradient reaching the hidden state h"), "input": _("gradient reaching the input x")}
    for axes, part, symbol in zip(panels, ("hidden", "input"), ("h", "x"), strict=True):
        for curve in document.curves:
            band = getattr(curve, part)
            distance = np.arange(len(band.median))
            colour = cell_colour(curve.cell)
            style = "-" if curve.trained else "--"
            # A log axis cannot show 0: where a gradient vanished below float32's range the line stops.
            shown = [np.where(np.asarray(v) > 0, v, np.nan) for v in (band.median, band.low, band.high)]
            label = f"{curve.cell}: {model_state(curve, len(document.seeds))}"
            axes.plot(distance, shown[0], style, color=colour, label=label)
            axes.fill_between(distance, shown[1], shown[2], color=colour, alpha=0.12)
        axes.set_yscale("log")
        axes.set_xlabel(_("k: steps before the last"))
        axes.set_ylabel(_("|dL/d{symbol}| k steps back (median over seeds)").format(symbol=symbol))
        axes.set_title(titles[part], fontsize=10)
        axes.grid(alpha=0.3, which="major")
    panels[0].legend(fontsize=7)
    lag = " (" + _("lag {value}").format(value=document.lag) + ")" if document.lag is not None else ""
    title = _(
        "{task}{lag}: how much of the last step's error reaches k steps back\n"
        "(a line that stops: below float32's range)"
    )
    figure.suptitle(title.format(task=document.task, lag=lag), fontsize=11)
    return figure

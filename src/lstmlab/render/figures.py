"""Pictures for the reproduce report, drawn with matplotlib's object API on the Agg canvas
(no pyplot, no GUI, no global figure state) and returned as PNG bytes.

    accuracy_figure  - how the seeds' accuracies spread, the tutorial's figure marked
    curves_figure    - loss and accuracy per epoch: the median seed and bands across seeds
                       (from a reproduction document's `Curve`s: drawn, not computed, here)
    overview_figure  - every experiment's spread in one picture, tutorial figures marked
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

TUTORIAL = "#d62728"  # red: what the tutorial reported
OURS = "#1f77b4"  # blue: what the seeds did
DPI = 100


def png_bytes(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    # No "Software" stamp: the same numbers give the same bytes on the same matplotlib.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def accuracy_figure(title: str, accuracies, tutorial_percent: float | None, patterns: int) -> bytes:
    """Histogram of per-seed accuracy (percent). With n training patterns an accuracy is
    k/n, so each bar is one possible value k/n when n is small enough to show them all.
    The tutorial's figure is marked when there is one (None: a run of no tutorial experiment)."""
    values = np.asarray(accuracies, dtype=np.float64) * 100
    figure = Figure(figsize=(6.4, 3.4), layout="constrained")
    axes = figure.add_subplot()
    if patterns <= 60:
        step = 100 / patterns
        edges = np.arange(-0.5, patterns + 1) * step
    else:
        edges = np.linspace(0, 100, 201)  # half-percent bars
    axes.hist(values, bins=edges, color=OURS, alpha=0.85, label=f"{len(values)} seeds")
    if tutorial_percent is not None:
        axes.axvline(
            tutorial_percent, color=TUTORIAL, linestyle="--", linewidth=2, label=f"tutorial {tutorial_percent:.2f}%"
        )
    median = float(np.median(values))
    axes.axvline(median, color="black", linewidth=1, label=f"median {median:.2f}%")
    low = min(float(values.min()), median if tutorial_percent is None else tutorial_percent)
    axes.set_xlim(max(0.0, low - 8), 101.5)
    axes.set_xlabel("accuracy on the training patterns (%)")
    axes.set_ylabel("seeds")
    axes.set_title(title)
    axes.legend(loc="upper left", frameon=False)
    return png_bytes(figure)


def _bands(axes, curve, label: str, log: bool = False, scale: float = 1.0) -> None:
    low, p10, median, p90, high = (
        np.asarray(band) * scale for band in (curve.minimum, curve.p10, curve.median, curve.p90, curve.maximum)
    )
    epochs = np.arange(1, len(median) + 1)
    axes.fill_between(epochs, low, high, color=OURS, alpha=0.12, linewidth=0, label="min–max")
    axes.fill_between(epochs, p10, p90, color=OURS, alpha=0.3, linewidth=0, label="10th–90th percentile")
    axes.plot(epochs, median, color=OURS, linewidth=1.5, label="median seed")
    axes.set_xlabel("epoch")
    axes.set_ylabel(label)
    if log:
        axes.set_yscale("log")
        # Ticks at 1, 2, 5 times powers of ten, written plainly: 0.5, not 5×10⁻¹.
        axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_xlim(1, max(2, len(median)))


def curves_figure(title: str, loss, accuracy) -> bytes:
    """loss, accuracy: `Curve`s over epochs (minimum, p10, median, p90, maximum across seeds)."""
    figure = Figure(figsize=(9.6, 3.4), layout="constrained")
    left, right = figure.subplots(1, 2)
    _bands(left, loss, "training loss", log=bool(np.all(np.asarray(loss.minimum) > 0)))
    _bands(right, accuracy, "training accuracy (%)", scale=100)
    right.set_ylim(0, 101)
    right.legend(loc="lower right", frameon=False)
    figure.suptitle(title)
    return png_bytes(figure)


def overview_figure(rows: list[tuple[str, np.ndarray, float]]) -> bytes:
    """rows: (experiment, accuracies in [0, 1], tutorial percent), drawn top to bottom."""
    figure = Figure(figsize=(7.2, 0.7 * len(rows) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(rows))[::-1]
    axes.boxplot(
        [np.asarray(a) * 100 for _, a, _ in rows],
        positions=positions,
        orientation="horizontal",
        widths=0.5,
        patch_artist=True,
        boxprops={"facecolor": OURS, "alpha": 0.35},
        medianprops={"color": "black"},
        flierprops={"markersize": 3},
    )
    axes.scatter(
        [t for _, _, t in rows], positions, marker="D", color=TUTORIAL, zorder=3, label="the tutorial's figure"
    )
    axes.set_yticks(positions, [name for name, _, _ in rows])
    axes.set_xlabel("accuracy on the training patterns (%) over seeds")
    axes.legend(loc="lower left", frameon=False)
    return png_bytes(figure)


# --- compare: each cell against the lag ------------------------------------------------------

CELL_COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"]
CELL_MARKERS = "osD^v<>p"


def cell_style(index: int) -> dict:
    """Colour, marker and width of a cell's line: earlier lines wider, so that two cells with
    the same figures both stay visible, one inside the other."""
    return {
        "color": CELL_COLOURS[index % len(CELL_COLOURS)],
        "marker": CELL_MARKERS[index % len(CELL_MARKERS)],
        "linewidth": max(1.0, 4.0 - 0.7 * index),
        "markersize": max(4.0, 10.0 - 1.5 * index),
    }


def solved_figure(document) -> bytes:
    """The headline: the share of seeds that solved the task, against the lag, a line per cell
    (a bar per cell when the task has no lag)."""
    figure = Figure(figsize=(6.4, 3.8), layout="constrained")
    axes = figure.add_subplot()
    seeds = len(document.seeds)
    if document.lags == (None,):
        shares = [document.row(cell, None).outcome.solved_share for cell in document.cells]
        axes.bar(document.cells, shares, color=CELL_COLOURS[: len(shares)])
    else:
        for index, cell in enumerate(document.cells):
            shares = [document.row(cell, lag).outcome.solved_share for lag in document.lags]
            axes.plot(document.lags, shares, label=cell, **cell_style(index))
        axes.set_xscale("log")
        axes.set_xticks(document.lags, [str(lag) for lag in document.lags])
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xlabel("lag (time steps the task's memory must span)")
        axes.legend(title="cell", fontsize=8)
    axes.set_ylim(-0.04, 1.04)
    axes.set_ylabel(f"seeds that solved it (of {seeds})")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
    axes.grid(alpha=0.3)
    axes.set_title(f"{document.task}: which cells learn across which lag", fontsize=11)
    return png_bytes(figure)


def sequences_figure(document) -> bytes:
    """Median training sequences to solve, against the lag, for the seeds that solved it; the
    paper's mean marked at the paper's lag."""
    figure = Figure(figsize=(6.4, 3.8), layout="constrained")
    axes = figure.add_subplot()
    lags = document.lags
    positions = list(range(len(document.cells))) if lags == (None,) else None
    for index, cell in enumerate(document.cells):
        colour = CELL_COLOURS[index % len(CELL_COLOURS)]
        if positions is not None:
            median = document.row(cell, None).outcome.median_sequences
            if median is not None:
                axes.bar(index, median, color=colour)
            continue
        points = [(lag, document.row(cell, lag).outcome.median_sequences) for lag in lags]
        points = [(lag, m) for lag, m in points if m is not None]
        if points:
            axes.plot(*zip(*points, strict=True), label=cell, **cell_style(index))
    paper = document.paper
    if positions is not None:
        axes.axhline(paper.sequences, color=TUTORIAL, linestyle="--", label="the paper's LSTM (mean)")
        axes.set_xticks(positions, document.cells)
    else:
        paper_lag = 100
        axes.plot([paper_lag], [paper.sequences], "*", color=TUTORIAL, markersize=14, label="the paper's LSTM (mean)")
        axes.set_xscale("log")
        axes.set_xticks(lags, [str(lag) for lag in lags])
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xlabel("lag")
    axes.set_yscale("log")
    axes.yaxis.set_major_locator(LogLocator())
    axes.set_ylabel("training sequences to solve (median)")
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3, which="both")
    axes.set_title(f"{document.task}: how long the solving seeds took", fontsize=11)
    return png_bytes(figure)


# --- gradients: the vanishing gradient -------------------------------------------------------


def gradients_figure(document) -> bytes:
    """|dL/dh| and |dL/dx| against the distance back from the last step, log scale: a line
    per cell (solid: trained, dashed: untrained), shaded between the seeds' 10th and 90th
    percentiles."""
    figure = Figure(figsize=(10, 4), layout="constrained")
    panels = figure.subplots(1, 2, sharex=True)
    cells = list(dict.fromkeys(curve.cell for curve in document.curves))
    for axes, part, title in zip(panels, ("hidden", "input"), ("hidden state h", "input x"), strict=True):
        for curve in document.curves:
            band = getattr(curve, part)
            distance = np.arange(len(band.median))
            colour = CELL_COLOURS[cells.index(curve.cell) % len(CELL_COLOURS)]
            state = f"trained, {curve.solved}/{len(document.seeds)} solved" if curve.trained else "untrained"
            style = "-" if curve.trained else "--"
            # A log axis cannot show 0: where a gradient vanished below float32's range the line stops.
            shown = [np.where(np.asarray(v) > 0, v, np.nan) for v in (band.median, band.low, band.high)]
            axes.plot(distance, shown[0], style, color=colour, label=f"{curve.cell} ({state})")
            axes.fill_between(distance, shown[1], shown[2], color=colour, alpha=0.12)
        axes.set_yscale("log")
        axes.set_xlabel("k: steps before the last")
        axes.set_ylabel(f"|dL/d{part[0] if part == 'hidden' else 'x'}| k steps back (median over seeds)")
        axes.set_title(f"gradient reaching the {title}", fontsize=10)
        axes.grid(alpha=0.3, which="major")
    panels[0].legend(fontsize=7)
    lag = f" (lag {document.lag})" if document.lag is not None else ""
    figure.suptitle(
        f"{document.task}{lag}: how much of the last step's error reaches k steps back "
        "(a line that stops: below float32's range)",
        fontsize=11,
    )
    return png_bytes(figure)

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


def accuracy_figure(title: str, accuracies, tutorial_percent: float, patterns: int) -> bytes:
    """Histogram of per-seed accuracy (percent). With n training patterns an accuracy is
    k/n, so each bar is one possible value k/n when n is small enough to show them all."""
    values = np.asarray(accuracies, dtype=np.float64) * 100
    figure = Figure(figsize=(6.4, 3.4), layout="constrained")
    axes = figure.add_subplot()
    if patterns <= 60:
        step = 100 / patterns
        edges = np.arange(-0.5, patterns + 1) * step
    else:
        edges = np.linspace(0, 100, 201)  # half-percent bars
    axes.hist(values, bins=edges, color=OURS, alpha=0.85, label=f"{len(values)} seeds")
    axes.axvline(
        tutorial_percent, color=TUTORIAL, linestyle="--", linewidth=2, label=f"tutorial {tutorial_percent:.2f}%"
    )
    median = float(np.median(values))
    axes.axvline(median, color="black", linewidth=1, label=f"median {median:.2f}%")
    low = min(float(values.min()), tutorial_percent)
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

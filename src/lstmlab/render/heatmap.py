"""The gates as a picture: one heatmap panel for each of the cell's gates and states (an
LSTM's i, f, g, o, c, h; a GRU's z, r, g, h; ...).

Rows are units, columns are time steps labelled with the symbols read. Drawn with
matplotlib's Agg canvas directly (no pyplot: no GUI, no global figure state).
"""

import errno
import io
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from lstmlab.engine.cell import PANEL_NAMES
from lstmlab.errors import DataError
from lstmlab.i18n import _
from lstmlab.model.inspection import PAD_LABEL, HeatmapFile, Inspection
from lstmlab.render.text import shown

DPI = 100
SIGNED = ("g", "c", "h")  # drawn on a scale around 0; the gates lie in 0..1


def grid(panels: int) -> tuple[int, int]:
    """(rows, columns) of panels: an LSTM's six as i f g / o c h, a GRU's four 2 by 2."""
    cols = {1: 1, 2: 2, 4: 2}.get(panels, 3)
    return -(-panels // cols), cols


def figure_pixels(steps: int, units: int, panels: int = 6) -> tuple[int, int]:
    """(width, height) in pixels of the heatmap for `steps` columns and `units` rows."""
    rows, cols = grid(panels)
    panel_width = 150 + 22 * steps  # room for the unit labels and the colour bar, then the columns
    panel_height = 110 + 9 * units
    return cols * panel_width + 40, rows * panel_height + 70


def check_out_path(path: str | os.PathLike) -> Path:
    """The PNG file to write, if it can be: its folder exists and its name ends in .png."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise DataError(
            _("--out {value!r}: the picture is written as PNG; give a file name ending in .png").format(value=str(path))
        )
    if not path.parent.is_dir():
        raise DataError(
            _("--out {value!r}: the folder '{parent}' does not exist; create it first").format(
                value=str(path), parent=path.parent
            )
        )
    if path.is_dir():
        raise DataError(_("--out {value!r} is a folder; give a file name ending in .png").format(value=str(path)))
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise DataError(
            _("--out {value!r}: the folder '{parent}' is not writable").format(value=str(path), parent=path.parent)
        )
    return path


def save_heatmap(inspection: Inspection, path: str | os.PathLike) -> HeatmapFile:
    """Draw every panel of the inspection and write them as a PNG to `path`."""
    path = check_out_path(path)
    figure = heatmap_figure(inspection)
    write_png(path, lambda file: _save_png(figure, file))
    width, height = figure_pixels(inspection.steps, inspection.units, len(inspection.panels))
    return HeatmapFile(str(path), width, height)


def heatmap_png(inspection: Inspection) -> bytes:
    """The picture `save_heatmap` writes, as PNG bytes (a notebook shows it inline)."""
    buffer = io.BytesIO()
    _save_png(heatmap_figure(inspection), buffer)
    return buffer.getvalue()


def heatmap_figure(inspection: Inspection):
    """Every panel of the inspection in one matplotlib Figure, on the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # matplotlib loads when there is a picture to draw
    from matplotlib.figure import Figure

    names = inspection.panels
    width, height = figure_pixels(inspection.steps, inspection.units, len(names))
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(*grid(len(names)), squeeze=False).ravel()
    for ax in axes[len(names) :]:
        ax.set_axis_off()
    ticks = [_("pad") if label == PAD_LABEL else shown(label) for label in inspection.labels]
    for ax, name in zip(axes, names, strict=False):
        values = inspection.values[name].T  # (units, steps)
        if name not in SIGNED:
            scale = {"cmap": "viridis", "vmin": 0.0, "vmax": 1.0}
        else:  # g and h lie in [-1, 1]; c is unbounded, so its scale is its own largest value
            limit = max(1.0, float(np.abs(values).max())) if name == "c" else 1.0
            scale = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
        image = ax.imshow(values, aspect="auto", interpolation="nearest", **scale)
        ax.set_title(_(PANEL_NAMES[name]), fontsize=10)
        ax.set_xticks(range(inspection.steps), ticks, fontsize=8)
        step = max(1, inspection.units // 10)
        ax.set_yticks(range(0, inspection.units, step))
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylabel(_("unit"), fontsize=8)
        figure.colorbar(image, ax=ax, fraction=0.08, pad=0.02, aspect=40)
    figure.suptitle(f"{inspection.input!r} → {inspection.predicted!r} (p = {inspection.probability:.2f})", fontsize=11)
    return figure


def _save_png(figure, file: BinaryIO) -> None:
    with warnings.catch_warnings():
        # Emoji and other symbols the default font lacks are drawn as boxes; the picture is still right.
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        figure.savefig(file, format="png", dpi=DPI)


def write_png(path: Path, draw: Callable[[BinaryIO], None]) -> None:
    """draw(file) into memory, then the file written whole (folders.write_file_atomically): an
    error or Ctrl-C leaves no half a PNG (and an existing one as it was)."""
    from lstmlab.model.folders import write_file_atomically

    picture = io.BytesIO()
    try:
        draw(picture)
        write_file_atomically(path, picture.getvalue())
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EPERM, errno.ENOENT, errno.EROFS, errno.ENOTDIR):
            message = _("--out {value!r}: cannot write in the folder '{parent}' ({strerror})")
        else:
            message = _("--out {value!r}: cannot write the picture ({value2})")
        reason = e.strerror or e
        raise DataError(message.format(value=str(path), parent=path.parent, strerror=reason, value2=reason)) from None

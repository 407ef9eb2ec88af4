"""Inside the cell: its gates and states at every step of reading a text.

Each cell shows its own: an LSTM i, f, g, o, c, h; the 1997 LSTM i, g, o, c, h; a GRU z, r, g, h;
a plain RNN h (`cell.panels`). The values come from `network.run_cell`, the very scan (and
`cell.cell_step`) that training uses; nothing here recomputes a cell's equations.

A fixed-window model reads TEXT as one window; a features-framing model sees the window as
one time step; a variable-length model reads TEXT pre-padded (zero-padded steps are real
steps and are shown as "pad"; masked steps change nothing and are left out); a stateful
model reads TEXT window by window from a reset state, carrying the state.
"""

import dataclasses
from dataclasses import dataclass

import jax
import numpy as np

from lstmlab.document import Document, plain, rounded
from lstmlab.engine.cell import STATES, panels, zero_state
from lstmlab.engine.data import PAD
from lstmlab.engine.network import cell_options, readout, recurrent_params, run_cell
from lstmlab.model.reading import check_text, padded_window, reading_windows, window_input
from lstmlab.settings.config import Config

PAD_LABEL = "pad"

_trace = jax.jit(run_cell, static_argnames=("cell", "recurrent_activation"))


@dataclass(frozen=True)
class HeatmapFile:
    path: str
    width: int  # pixels
    height: int


@dataclass(frozen=True, eq=False)
class Inspection(Document):
    """One column per time step the cell took; `values` holds each panel as (steps, units), float32."""

    kind = "inspection"
    input: str  # the text the model read
    cell: str  # which cell: its panels are its own gates and states
    labels: tuple[str, ...]  # what the cell read at each step: a symbol, a whole window, or "pad"
    values: dict[str, np.ndarray]  # panel name -> (steps, units), in `cell.panels(cell)` order
    predicted: str  # the model's next symbol after `input`
    probability: float
    heatmap: HeatmapFile | None = None  # where the gates were drawn, once they were

    @property
    def panels(self) -> tuple[str, ...]:
        return tuple(self.values)

    @property
    def gates(self) -> tuple[str, ...]:
        return tuple(name for name in self.values if name not in STATES[self.cell])

    @property
    def steps(self) -> int:
        return len(self.labels)

    @property
    def units(self) -> int:
        return self.values["h"].shape[1]

    def previous(self, name: str) -> np.ndarray:
        """The state `name` (c or h) each step started from: zeros, then the previous step's."""
        values = self.values[name]
        return np.concatenate([np.zeros_like(values[:1]), values[:-1]])

    def drawn(self, heatmap: HeatmapFile) -> "Inspection":
        """The same inspection, noting where its heatmap was drawn."""
        return dataclasses.replace(self, heatmap=heatmap)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "input": self.input,
            "predicted": self.predicted,
            "probability": rounded(self.probability),
            "cell": self.cell,
            "units": self.units,
            "panels": list(self.panels),
            "heatmap": plain(self.heatmap),
            "steps": [
                {"input": label, **{name: [rounded(v) for v in values[t]] for name, values in self.values.items()}}
                for t, label in enumerate(self.labels)
            ],
        }


def inspect(params: dict, config: Config, text: str) -> Inspection:
    """Trace `text` through the model: gates and states at every step, and its prediction."""
    codes = check_text(text, config)
    names = panels(config.cell)
    state = zero_state((1,), config.units)
    labels: list[str] = []
    columns = []
    for window in reading_windows(codes, config):
        inputs = padded_window(window, config)[None, :]
        x, mask = window_input(window, config)
        state, trace = _trace(recurrent_params(params), x, mask, state, **cell_options(config))
        keep = np.asarray(mask[0])  # masked steps leave the state as it was: nothing to show
        traced = trace.gates | trace.state._asdict()
        step_values = np.stack([np.asarray(traced[name]) for name in names])[:, :, 0, :]  # (panels, time, units)
        columns.append(step_values[:, keep])
        labels.extend(label for label, kept in zip(_step_labels(inputs[0], config), keep, strict=True) if kept)
    values = np.concatenate(columns, axis=1)
    # The prediction from the traced final state: no second pass through the model.
    probs = np.asarray(jax.nn.softmax(readout(params, state.h)))[0]
    best = int(np.argmax(probs))
    return Inspection(
        text,
        config.cell,
        tuple(labels),
        dict(zip(names, values, strict=True)),
        predicted=config.alphabet[best],
        probability=float(probs[best]),
    )


def _step_labels(inputs: np.ndarray, config: Config) -> list[str]:
    symbols = [PAD_LABEL if code == PAD else config.alphabet[code] for code in inputs]
    if config.framing == "features":
        return ["".join(symbols)]
    return symbols


@dataclass(frozen=True)
class StepSummary:
    label: str
    gates: dict[str, float]  # gate name -> mean over units
    changes: list[tuple[int, float]]  # (unit, change of the memory) for the units whose memory changed most


def memory(inspection: Inspection) -> str:
    """What carries the memory: the cell state c where the cell has one, else h."""
    return "c" if "c" in inspection.values else "h"


def summarise(inspection: Inspection, top: int = 3) -> list[StepSummary]:
    """Per step: each gate's mean openness, and the `top` units whose memory (c, or h for a
    cell without one) changed most."""
    kept = memory(inspection)
    delta = inspection.values[kept] - inspection.previous(kept)
    rows = []
    for t, label in enumerate(inspection.labels):
        most = np.argsort(-np.abs(delta[t]), kind="stable")[:top]
        rows.append(
            StepSummary(
                label,
                {name: float(inspection.values[name][t].mean()) for name in inspection.gates},
                changes=[(int(u), float(delta[t, u])) for u in most],
            )
        )
    return rows

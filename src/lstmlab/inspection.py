"""Inside the cell: the gates, cell state and hidden state at every step of reading a text.

The values come from `network.run_lstm`, the very scan (and `cell.lstm_step`) that training
uses; nothing here recomputes the LSTM equations.

A fixed-window model reads TEXT as one window; a features-framing model sees the window as
one time step; a variable-length model reads TEXT pre-padded (zero-padded steps are real
steps and are shown as "pad"; masked steps change nothing and are left out); a stateful
model reads TEXT window by window from a reset state, carrying the state.
"""

import dataclasses
from dataclasses import dataclass

import jax
import numpy as np

from lstmlab.cell import zero_state
from lstmlab.config import Config
from lstmlab.data import PAD
from lstmlab.document import Document, plain, rounded
from lstmlab.network import readout, run_lstm
from lstmlab.reading import check_text, padded_window, reading_windows, window_input

PANELS = ("i", "f", "g", "o", "c", "h")
PANEL_NAMES = {
    "i": "input gate i",
    "f": "forget gate f",
    "g": "candidate g",
    "o": "output gate o",
    "c": "cell state c",
    "h": "hidden state h",
}
PAD_LABEL = "pad"

_trace = jax.jit(run_lstm, static_argnames=("recurrent_activation",))


@dataclass(frozen=True)
class HeatmapFile:
    path: str
    width: int  # pixels
    height: int


@dataclass(frozen=True, eq=False)
class Inspection(Document):
    """One column per time step the cell took; arrays are (steps, units), float32."""

    kind = "inspection"
    input: str  # the text the model read
    labels: tuple[str, ...]  # what the cell read at each step: a symbol, a whole window, or "pad"
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    h: np.ndarray
    predicted: str  # the model's next symbol after `input`
    probability: float
    heatmap: HeatmapFile | None = None  # where the gates were drawn, once they were

    @property
    def steps(self) -> int:
        return len(self.labels)

    @property
    def units(self) -> int:
        return self.c.shape[1]

    @property
    def c_prev(self) -> np.ndarray:
        """The cell state each step started from: zeros, then the previous step's."""
        return np.concatenate([np.zeros_like(self.c[:1]), self.c[:-1]])

    @property
    def h_prev(self) -> np.ndarray:
        return np.concatenate([np.zeros_like(self.h[:1]), self.h[:-1]])

    def drawn(self, heatmap: HeatmapFile) -> "Inspection":
        """The same inspection, noting where its heatmap was drawn."""
        return dataclasses.replace(self, heatmap=heatmap)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "input": self.input,
            "predicted": self.predicted,
            "probability": rounded(self.probability),
            "units": self.units,
            "heatmap": plain(self.heatmap),
            "steps": [
                {"input": label, **{name: [rounded(v) for v in getattr(self, name)[t]] for name in PANELS}}
                for t, label in enumerate(self.labels)
            ],
        }


def inspect(params: dict, config: Config, text: str) -> Inspection:
    """Trace `text` through the model: gates and states at every step, and its prediction."""
    codes = check_text(text, config)
    state = zero_state((1,), config.units)
    labels: list[str] = []
    columns = []
    for window in reading_windows(codes, config):
        inputs = padded_window(window, config)[None, :]
        x, mask = window_input(window, config)
        state, trace = _trace(
            params["lstm"], x, mask, state, recurrent_activation=config.recurrent_activation
        )  # the host waits for the device here
        keep = np.asarray(mask[0])  # masked steps leave the state as it was: nothing to show
        step_values = np.stack([*trace.gates, trace.state.c, trace.state.h])[:, :, 0, :]  # (6, time, units)
        columns.append(np.asarray(step_values)[:, keep])
        labels.extend(label for label, kept in zip(_step_labels(inputs[0], config), keep, strict=True) if kept)
    values = np.concatenate(columns, axis=1)
    # The prediction from the traced final state: no second pass through the model.
    probs = np.asarray(jax.nn.softmax(readout(params, state.h)))[0]
    best = int(np.argmax(probs))
    return Inspection(
        text,
        tuple(labels),
        *values,
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
    i: float  # mean over units
    f: float
    g: float
    o: float
    changes: list[tuple[int, float]]  # (unit, change of c) for the units whose c changed most


def summarise(inspection: Inspection, top: int = 3) -> list[StepSummary]:
    """Per step: mean gate openness, and the `top` units whose cell state changed most."""
    delta = inspection.c - inspection.c_prev
    rows = []
    for t, label in enumerate(inspection.labels):
        most = np.argsort(-np.abs(delta[t]), kind="stable")[:top]
        rows.append(
            StepSummary(
                label,
                *(float(getattr(inspection, name)[t].mean()) for name in ("i", "f", "g", "o")),
                changes=[(int(u), float(delta[t, u])) for u in most],
            )
        )
    return rows

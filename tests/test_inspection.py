"""The gates `inspect` reports: they recombine to the states, match a plain NumPy LSTM, and draw."""

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from lstmlab.errors import DataError
from lstmlab.model.inspection import summarise
from lstmlab.render.heatmap import check_out_path, figure_pixels, save_heatmap
from tests.reference import FORWARD
from tests.untrained import CYRILLIC, untrained

CASES = {
    # name: (experiment, overrides, text, labels the trace shows)
    "timesteps": ("timesteps", {}, "ABC", ("A", "B", "C")),
    "features": ("features", {"alphabet": CYRILLIC, "encoding": "onehot"}, "ЭЮЯ", ("ЭЮЯ",)),
    "stateful": ("stateful", {"units": 8}, "ABCDE", ("A", "B", "C", "D", "E")),
    "zero-padded": ("variable-length", {"units": 8}, "BC", ("pad", "pad", "pad", "B", "C")),
    "masked": ("variable-length", {"units": 8, "padding": "mask"}, "BC", ("B", "C")),
    "hard-sigmoid": ("timesteps", {"recurrent_activation": "hard_sigmoid", "units": 6}, "XYZ", ("X", "Y", "Z")),
    "lstm-1997": ("timesteps", {"cell": "lstm-1997", "units": 6}, "ABC", ("A", "B", "C")),
    "gru": ("timesteps", {"cell": "gru", "units": 6}, "ABC", ("A", "B", "C")),
    "gru-stateful": ("stateful", {"cell": "gru", "units": 5}, "ABCD", ("A", "B", "C", "D")),
    "rnn": ("variable-length", {"cell": "rnn", "units": 6, "padding": "mask"}, "BC", ("B", "C")),
}
PANELS = {
    "lstm": ("i", "f", "g", "o", "c", "h"),
    "lstm-1997": ("i", "g", "o", "c", "h"),
    "gru": ("z", "r", "g", "h"),
    "rnn": ("h",),
}


@pytest.fixture(scope="module", params=CASES)
def traced(request):
    experiment, overrides, text, labels = CASES[request.param]
    model = untrained(experiment, seed=3, **overrides)
    return model, text, labels, model.inspect(text)


def test_one_column_per_step_labelled_with_what_was_read(traced):
    model, _, labels, ins = traced
    assert ins.labels == labels
    assert ins.cell == model.config.cell and ins.panels == PANELS[ins.cell]
    for name in ins.panels:
        assert ins.values[name].shape == (len(labels), model.config.units)


def test_the_gates_recombine_to_the_states(traced):
    _, _, _, ins = traced
    v = ins.values
    if ins.cell == "lstm":
        np.testing.assert_allclose(v["c"], v["f"] * ins.previous("c") + v["i"] * v["g"], atol=1e-6)
    elif ins.cell == "lstm-1997":
        np.testing.assert_allclose(v["c"], ins.previous("c") + v["i"] * v["g"], atol=1e-6)
    elif ins.cell == "gru":
        np.testing.assert_allclose(v["h"], v["z"] * ins.previous("h") + (1 - v["z"]) * v["g"], atol=1e-6)
    if "c" in v:
        np.testing.assert_allclose(v["h"], v["o"] * np.tanh(v["c"]), atol=1e-6)


def reference_inputs(model, text: str, labels) -> np.ndarray:
    """The input vectors written out by hand: (1, steps, features)."""
    config = model.config
    size = len(config.alphabet)
    if config.framing == "features":  # the window's one-hot vectors side by side, one step
        return np.concatenate([np.eye(size)[config.alphabet.index(s)] for s in text])[None, None, :]
    codes = [0 if label == "pad" else config.alphabet.index(label) for label in labels]  # zero padding: code 0
    if config.encoding == "onehot":
        return np.eye(size)[codes][None]
    return (np.asarray(codes, np.float64) / size)[None, :, None]


def test_the_trace_matches_a_plain_numpy_lstm(traced):
    model, text, labels, ins = traced
    # A stateful model's window is one letter, so carrying the state over windows is one long sequence.
    config = model.config
    steps, logits = FORWARD[config.cell](
        model.params, reference_inputs(model, text, labels), None, activation=config.recurrent_activation
    )
    for name in ins.panels:
        expected = np.stack([step[name][0] for step in steps])
        np.testing.assert_allclose(ins.values[name], expected, rtol=1e-5, atol=2e-6, err_msg=name)
    probs = np.exp(logits[0] - logits[0].max())
    probs /= probs.sum()
    assert ins.predicted == model.config.alphabet[int(np.argmax(probs))]
    assert ins.probability == pytest.approx(probs.max(), rel=1e-5)


def test_the_summary_gives_mean_gates_and_the_units_that_changed_most(traced):
    _, _, labels, ins = traced
    rows = summarise(ins, top=2)
    assert [row.label for row in rows] == list(labels)
    kept = "c" if "c" in ins.values else "h"
    delta = ins.values[kept] - ins.previous(kept)
    for t, row in enumerate(rows):
        assert list(row.gates) == [name for name in PANELS[ins.cell] if name not in ("c", "h")]
        for name, mean in row.gates.items():
            assert mean == pytest.approx(ins.values[name][t].mean())
        assert [u for u, _ in row.changes] == list(np.argsort(-np.abs(delta[t]), kind="stable")[:2])
        assert [d for _, d in row.changes] == pytest.approx(delta[t, [u for u, _ in row.changes]])


def test_the_json_form_holds_every_value(traced):
    _, _, labels, ins = traced
    document = json.loads(json.dumps(ins.to_json()))
    assert [step["input"] for step in document["steps"]] == list(labels)
    assert document["panels"] == list(PANELS[ins.cell]) and document["cell"] == ins.cell
    assert all(set(step) == {"input", *PANELS[ins.cell]} for step in document["steps"])
    assert document["steps"][-1]["h"] == pytest.approx(ins.values["h"][-1], abs=1e-6)
    assert document["predicted"] == ins.predicted


def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature and its CRC."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    (crc,) = struct.unpack(">I", data[29:33])
    assert crc == zlib.crc32(data[12:29])
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize(
    "experiment, overrides, text",
    [
        ("timesteps", {}, "ABC"),
        ("stateful", {"units": 8}, "ABCDEFGHIJ"),
        ("naive", {"alphabet": "😀🐍🎉🚀"}, "🐍"),  # glyphs the font lacks: boxes, not a warning
        ("timesteps", {"cell": "gru"}, "ABC"),
        ("timesteps", {"cell": "rnn"}, "ABC"),
        ("timesteps", {"cell": "lstm-1997"}, "ABC"),
    ],
)
def test_the_heatmap_is_a_png_of_the_expected_size(tmp_path, experiment, overrides, text):
    model = untrained(experiment, **overrides)
    ins = model.inspect(text)
    drawn = save_heatmap(ins, tmp_path / "gates.png")
    size = figure_pixels(ins.steps, model.config.units, len(ins.panels))
    assert png_size(Path(drawn.path)) == size == (drawn.width, drawn.height)


def test_the_heatmap_grows_with_steps_and_units():
    assert figure_pixels(10, 32)[0] > figure_pixels(3, 32)[0]
    assert figure_pixels(3, 50)[1] > figure_pixels(3, 32)[1]


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing/gates.png", "the folder '.*missing' does not exist"),
        ("gates.jpg", "the picture is written as PNG; give a file name ending in .png"),
    ],
)
def test_a_heatmap_path_that_cannot_be_written_is_refused(tmp_path, name, message):
    with pytest.raises(DataError, match=message):
        check_out_path(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
@pytest.mark.parametrize("existing", [False, True])
def test_a_failed_heatmap_leaves_no_file(tmp_path, monkeypatch, failure, existing):
    if existing:
        (tmp_path / "gates.png").write_bytes(b"old")
    ins = untrained("timesteps").inspect("ABC")

    def half_then_fail(self, file, **_):
        file.write(b"\x89PNG half")
        raise failure

    monkeypatch.setattr(Figure, "savefig", half_then_fail)
    with pytest.raises(DataError if isinstance(failure, OSError) else KeyboardInterrupt) as caught:
        save_heatmap(ins, tmp_path / "gates.png")
    if isinstance(failure, OSError):
        assert "gates.png" in str(caught.value) and "No space left on device" in str(caught.value)
    assert [p.name for p in tmp_path.iterdir()] == (["gates.png"] if existing else [])
    if existing:
        assert (tmp_path / "gates.png").read_bytes() == b"old"

"""Keras files in and out: models trained in real Keras (tests/data/keras, written by
tools/keras_fixtures.py) imported and matched against Keras's recorded predictions; lstmlab
models exported and opened by `keras.models.load_model`; bad files refused in one line."""

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"  # before keras is imported, here or by anything else

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstmlab.engine.data import Patterns, encode_inputs, encode_text  # noqa: E402
from lstmlab.errors import ModelFileError  # noqa: E402
from lstmlab.model.keras_read import import_keras  # noqa: E402
from lstmlab.model.keras_write import export_keras  # noqa: E402
from lstmlab.model.persist import expected_tensors, load, unflatten  # noqa: E402
from lstmlab.model.reading import next_probabilities, padded_window, reading_windows  # noqa: E402
from lstmlab.model.trained import Model  # noqa: E402
from lstmlab.settings.config import load_config  # noqa: E402
from tests.cli import invoke

DATA = Path(__file__).parent / "data" / "keras"
RECORDED = json.loads((DATA / "predictions.json").read_text(encoding="utf-8"))
TOLERANCE = 1e-5


def keras_input(config, text: str) -> np.ndarray:
    """What lstmlab feeds its network for `text` (one window), as Keras takes it."""
    codes = encode_text(text, config.alphabet)
    return encode_inputs(Patterns(padded_window(codes, config)[None, :], np.zeros(1, np.int32)), config)[0]


# --- models trained in Keras ------------------------------------------------------------------


# fixture -> (the experiment and the cell it is imported as, its recurrent activation)
FIXTURES = {
    "naive": ("naive", "lstm", "sigmoid"),
    "features": ("features", "lstm", "sigmoid"),
    "timesteps": ("timesteps", "lstm", "sigmoid"),
    # Keras 3's hard_sigmoid, clip(x/6 + 1/2), read into lstmlab's clip(0.2x + 1/2) by rescaling the gates
    "gru-hard-sigmoid": ("timesteps", "gru", "hard_sigmoid"),
}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", list(FIXTURES))
def test_a_model_trained_in_keras_predicts_what_keras_recorded(name, suffix):
    model = import_keras(DATA / f"{name}{suffix}")
    recorded = RECORDED["models"][name]
    config = model.config
    assert (config.experiment, config.cell, config.recurrent_activation) == FIXTURES[name] and config.units == 32
    assert [model.config.seq_length] == [len(recorded["texts"][0])]
    ours = np.stack([next_probabilities(model.params, model.config, text) for text in recorded["texts"]])
    np.testing.assert_allclose(ours, np.asarray(recorded["probabilities"]), rtol=0, atol=TOLERANCE)
    assert "".join(model.config.alphabet[k] for k in ours.argmax(axis=1)) == recorded["predicted"]


def test_the_tutorial_model_from_keras_is_inspected_and_goes_back_to_keras(tmp_path):
    """The issue's demo: Keras's timesteps model (32 units) imported, its gates shown by
    `lstmlab inspect`, exported again, and Keras predicts the same letters from it."""
    result = invoke("import-keras", DATA / "timesteps.keras", "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "LSTM of 32 units, experiment timesteps" in result.output
    inspected = invoke("inspect", tmp_path / "m", "ABC", "--json")
    assert inspected.exit_code == 0, inspected.output
    document = json.loads(inspected.stdout)
    recorded = RECORDED["models"]["timesteps"]
    assert document["predicted"] == recorded["predicted"][0] and document["units"] == 32
    assert document["panels"] == ["i", "f", "g", "o", "c", "h"]
    assert [step["input"] for step in document["steps"]] == ["A", "B", "C"]
    assert len(document["steps"][0]["f"]) == 32  # every unit's forget gate at every step

    exported = invoke("export-keras", tmp_path / "m", "--out", tmp_path / "back.keras")
    assert exported.exit_code == 0, exported.output
    back = keras.models.load_model(tmp_path / "back.keras")
    config = load(tmp_path / "m").config
    x = np.concatenate([keras_input(config, text) for text in recorded["texts"]])
    probabilities = np.asarray(back(x))
    assert "".join(config.alphabet[k] for k in probabilities.argmax(axis=1)) == recorded["predicted"]
    np.testing.assert_allclose(probabilities, np.asarray(recorded["probabilities"]), rtol=0, atol=TOLERANCE)


def keras2_file(path: Path, weights: list[np.ndarray], units: int) -> None:
    """An .h5 as Keras 2.2 wrote it: no InputLayer, batch_input_shape on the LSTM, the Keras 2
    default hard_sigmoid, weight names with ':0', keras_version 2.2.4."""
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential_1",
            "layers": [
                {
                    "class_name": "LSTM",
                    "config": {
                        "name": "lstm_1",
                        "batch_input_shape": [None, 3, 1],
                        "units": units,
                        "activation": "tanh",
                        "recurrent_activation": "hard_sigmoid",
                        "use_bias": True,
                        "return_sequences": False,
                        "return_state": False,
                        "go_backwards": False,
                        "stateful": False,
                        "unroll": False,
                        "unit_forget_bias": True,
                        "implementation": 1,
                    },
                },
                {"class_name": "Dense", "config": {"name": "dense_1", "units": 26, "activation": "softmax"}},
            ],
        },
    }
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["keras_version"] = b"2.2.4"
        group = f.create_group("model_weights")
        group.attrs["keras_version"] = b"2.2.4"
        group.attrs["layer_names"] = [b"lstm_1", b"dense_1"]
        for layer, names, arrays in (
            ("lstm_1", ("kernel:0", "recurrent_kernel:0", "bias:0"), weights[:3]),
            ("dense_1", ("kernel:0", "bias:0"), weights[3:]),
        ):
            sub = group.create_group(layer)
            sub.attrs["weight_names"] = [f"{layer}/{n}".encode() for n in names]
            for n, a in zip(names, arrays, strict=True):
                sub.create_dataset(f"{layer}/{n}", data=a)


def test_a_keras2_file_with_hard_sigmoid_predicts_what_keras2s_lstm_computes(tmp_path):
    rng = np.random.default_rng(0)
    units = 5
    shapes = [(1, 4 * units), (units, 4 * units), (4 * units,), (units, 26), (26,)]
    weights = [rng.normal(0, 0.8, s).astype(np.float32) for s in shapes]
    keras2_file(tmp_path / "old.h5", weights, units)
    imported = import_keras(tmp_path / "old.h5")
    assert imported.config.recurrent_activation == "hard_sigmoid" and imported.config.experiment == "timesteps"
    # The reference: Keras 3's own LSTM layer run with Keras 2's hard_sigmoid
    reference = keras.Sequential(
        [
            keras.Input((3, 1)),
            keras.layers.LSTM(units, recurrent_activation=lambda z: keras.ops.clip(0.2 * z + 0.5, 0.0, 1.0)),
            keras.layers.Dense(26, activation="softmax"),
        ]
    )
    reference.set_weights(weights)
    texts = ["ABC", "MNO", "XYZ"]
    x = np.concatenate([keras_input(imported.config, t) for t in texts])
    ours = np.stack([next_probabilities(imported.params, imported.config, t) for t in texts])
    np.testing.assert_allclose(ours, np.asarray(reference(x)), rtol=0, atol=TOLERANCE)


# --- lstmlab models exported ------------------------------------------------------------------

EXPORTS = [  # every cell, both recurrent activations, every framing and encoding, masking, stateful
    ("timesteps", {"cell": "lstm"}),
    ("features", {"cell": "lstm-1997", "recurrent_activation": "hard_sigmoid"}),
    ("timesteps", {"cell": "gru", "recurrent_activation": "hard_sigmoid", "encoding": "onehot"}),
    ("timesteps", {"cell": "rnn"}),
    ("variable-length", {"cell": "lstm", "recurrent_activation": "hard_sigmoid", "padding": "mask"}),
    ("stateful", {"cell": "gru"}),
]


def export_id(value) -> str:
    return value if isinstance(value, str) else "-".join(value.values())


def random_model(experiment: str, **settings) -> Model:
    """A model with random weights, drawn by NumPy (no initialiser to compile), every gate away from 0."""
    config = load_config(experiment, units=5, **settings)
    rng = np.random.default_rng(len(experiment) + len(settings))
    shapes = expected_tensors(config)
    tensors = {name: rng.normal(0, 0.6, shape).astype(np.float32) for name, (shape, _) in shapes.items()}
    return Model(config, unflatten(tensors))


@pytest.mark.parametrize("experiment, settings", EXPORTS, ids=export_id)
def test_keras_opens_an_exported_model_and_predicts_our_probabilities(tmp_path, experiment, settings):
    model = random_model(experiment, **settings)
    export_keras(model, tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    config = model.config
    if config.stateful:  # state carried from letter to letter: Keras's stateful layer, reset first
        text = "KLMNOP"
        theirs.layers[0].reset_states()
        codes = encode_text(text, config.alphabet)
        windows = reading_windows(codes, config)
        steps = [np.asarray(theirs(keras_input(config, config.alphabet[w[-1]])))[0] for w in windows]
        np.testing.assert_allclose(steps[-1], next_probabilities(model.params, config, text), rtol=0, atol=TOLERANCE)
        assert len(steps) == len(text)
        return
    # Texts without the first symbol: Keras's Masking also skips a real A (code 0), lstmlab reads it.
    window = config.seq_length
    texts = ["BCDEF", "D", "XY"] if config.data == "runs" else ["BCD"[:window], "XYZ"[:window]]
    x = np.concatenate([keras_input(config, t) for t in texts])
    ours = np.stack([next_probabilities(model.params, config, t) for t in texts])
    np.testing.assert_allclose(np.asarray(theirs(x)), ours, rtol=0, atol=TOLERANCE)
    assert ours.std() > 1e-3  # probabilities that differ from symbol to symbol: a comparison that can fail
    # ... and it comes back as the same model (lstm-1997 as the Keras LSTM it became)
    back = import_keras(tmp_path / "m.keras", alphabet=config.alphabet, experiment=experiment)
    again = np.stack([next_probabilities(back.params, back.config, t) for t in texts])
    np.testing.assert_allclose(again, ours, rtol=0, atol=TOLERANCE)


def test_export_refuses_one_hot_masking(tmp_path):
    model = Model(load_config("variable-length", units=3, padding="mask", encoding="onehot"), params={})
    with pytest.raises(ModelFileError, match="one-hot model with padding 'mask'"):
        export_keras(model, tmp_path / "m.keras")
    assert not list(tmp_path.iterdir())


# --- bad files --------------------------------------------------------------------------------


def rewrite(source: Path, target: Path, config=None, weights=None) -> Path:
    """A copy of a .keras archive with its config (a function of the parsed JSON) or its
    weights file (a function of the open h5py.File) changed."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if config is not None:
        members["config.json"] = json.dumps(config(json.loads(members["config.json"]))).encode()
    if weights is not None:
        buffer = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buffer, "a") as f:
            weights(f)
        members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def layers_of(document: dict) -> list:
    return document["config"]["layers"]


def insert_layer(position: int, layer: dict):
    def change(document):
        layers_of(document).insert(position, layer)
        return document

    return change


def set_class(index: int, value):
    def change(document):
        layers_of(document)[index]["class_name"] = value
        return document

    return change


def set_field(index: int, field: str, value):
    def change(document):
        layers_of(document)[index]["config"][field] = value
        return document

    return change


LAMBDA = {"class_name": "Lambda", "config": {"name": "lambda", "function": {"class_name": "__lambda__"}}}


def make_truncated(tmp):
    data = (DATA / "timesteps.keras").read_bytes()
    (tmp / "t.keras").write_bytes(data[: len(data) // 2])
    return tmp / "t.keras"


def make_truncated_h5(tmp):
    data = (DATA / "timesteps.h5").read_bytes()
    (tmp / "t.h5").write_bytes(data[: len(data) // 2])
    return tmp / "t.h5"


def make_plain_zip(tmp):
    with zipfile.ZipFile(tmp / "notes.keras", "w") as archive:
        archive.writestr("notes.txt", "hello")
    return tmp / "notes.keras"


def make_h5_not_a_model(tmp):
    with h5py.File(tmp / "data.h5", "w") as f:
        f.create_dataset("x", data=np.arange(3))
    return tmp / "data.h5"


def make_text(tmp):
    (tmp / "model.keras").write_text("not a model")
    return tmp / "model.keras"


def edited(config=None, weights=None):
    return lambda tmp: rewrite(DATA / "timesteps.keras", tmp / "edited.keras", config, weights)


def edited_h5(config):
    """A copy of the legacy timesteps.h5 with its model_config changed."""

    def make(tmp):
        shutil.copy(DATA / "timesteps.h5", tmp / "edited.h5")
        with h5py.File(tmp / "edited.h5", "a") as f:
            f.attrs["model_config"] = json.dumps(config(json.loads(f.attrs["model_config"]))).encode()
        return tmp / "edited.h5"

    return make


def gru_reset_before(document):
    """The LSTM relabelled a GRU of Keras 2's first kind (reset_after=False)."""
    layers_of(document)[1]["class_name"] = "GRU"
    layers_of(document)[1]["config"]["reset_after"] = False
    return document


def drop_weight(f):
    del f["layers/lstm/cell/vars/2"]


def wrong_shape(f):
    del f["layers/lstm/cell/vars/0"]
    f["layers/lstm/cell/vars"].create_dataset("0", data=np.zeros((2, 128), np.float32))


BAD_FILES = {
    "truncated": (make_truncated, [], "damaged or truncated zip"),
    "truncated-h5": (make_truncated_h5, [], "damaged or truncated HDF5 file"),
    "zip-not-keras": (make_plain_zip, [], "is a zip but not a Keras archive: it has no config.json"),
    "h5-not-a-model": (make_h5_not_a_model, [], "not a Keras model: it has no 'model_config'"),
    "text-file": (make_text, [], "neither a Keras 3 archive"),
    "missing": (lambda tmp: tmp / "absent.keras", [], "the file does not exist"),
    # as Keras saves them (tools/keras_fixtures.py): a Lambda's code is in the file, and never run
    "lambda": (lambda tmp: DATA / "refused-lambda.keras", [], "layer 'lambda' (Lambda) is not supported"),
    "two-lstms": (lambda tmp: DATA / "refused-two-lstms.keras", [], "(LSTM) is a second recurrent layer"),
    "bidirectional": (lambda tmp: DATA / "refused-bidirectional.keras", [], "(Bidirectional) is not supported"),
    "lambda-in-h5": (edited_h5(insert_layer(1, LAMBDA)), [], "layer 'lambda' (Lambda) is not supported"),
    "activation-in-h5": (edited_h5(set_field(1, "activation", "relu")), [], 'activation is "relu"'),
    "activation": (edited(set_field(1, "activation", "relu")), [], 'activation is "relu"; lstmlab supports "tanh"'),
    "gru-reset-before": (edited(gru_reset_before), [], "reset_after is false; lstmlab supports true"),
    "dense-not-softmax": (edited(set_field(2, "activation", "relu")), [], 'is "relu"; lstmlab supports "softmax"'),
    "lstm-no-units": (edited(set_field(1, "units", 0)), [], "(LSTM): units is 0; expected a positive whole number"),
    "dense-one-unit": (edited(set_field(2, "units", 1)), [], "(Dense): units is 1; expected one per symbol (at least"),
    "dense-width": (lambda tmp: DATA / "timesteps.keras", ["--alphabet", "ABC"], "the Dense layer has 26 units"),
    "missing-weight": (edited(weights=drop_weight), [], "model.weights.h5: layer 'lstm_2' weight 2 is missing"),
    "wrong-shape": (edited(weights=wrong_shape), [], "kernel has shape (2, 128), expected (1, 128) (from input"),
    "class-name-a-list": (edited(set_class(1, ["LSTM"])), [], 'a layer\'s class_name is ["LSTM"]; expected a name'),
    "functional": (edited(lambda d: {**d, "class_name": "Functional"}), [], "the model is a 'Functional'"),
    "experiment-mismatch": (lambda tmp: DATA / "timesteps.keras", ["--experiment", "features"], "timesteps framing"),
    "unknown-experiment": (lambda tmp: DATA / "timesteps.keras", ["--experiment", "nope"], "unknown experiment 'nope'"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_keras_file_is_one_line_and_nothing_is_written(tmp_path, case):
    make, options, message = BAD_FILES[case]
    source = make(tmp_path)
    result = invoke("import-keras", source, "--out", tmp_path / "out", *options)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0]
    assert not (tmp_path / "out").exists()


def test_import_refuses_a_folder_that_holds_other_files(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    result = invoke("import-keras", DATA / "naive.keras", "--out", tmp_path / "out")
    assert result.exit_code == 2 and result.output.startswith("Error: cannot save to")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    "target, message",
    [
        ("exists.keras", "already exists; give a new file name"),
        ("model.h5", "does not end in .keras"),
        ("no/such/folder/m.keras", "the folder 'no/such/folder' does not exist"),
    ],
)
def test_export_refuses_a_target_it_cannot_write(tmp_path, monkeypatch, target, message):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(DATA.parent / "keras", tmp_path / "fixtures")
    assert invoke("import-keras", "fixtures/naive.keras", "--out", "m").exit_code == 0
    Path("exists.keras").write_text("keep me")
    result = invoke("export-keras", "m", "--out", target)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and message in result.output
    assert Path("exists.keras").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.keras", "fixtures", "m"]


def test_a_full_disk_during_export_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(DATA.parent / "keras", tmp_path / "fixtures")
    assert invoke("import-keras", "fixtures/naive.keras", "--out", "m").exit_code == 0

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    result = invoke("export-keras", "m", "--out", "m.keras")
    assert result.exit_code == 2
    assert result.output == "Error: cannot write 'm.keras': No space left on device; nothing was written\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fixtures", "m"]  # no archive, no temporary file


def test_a_linear_dense_then_a_softmax_activation_is_the_same_model(tmp_path):
    """Keras 2 code often wrote Dense(26) then Activation('softmax'): the same network."""

    def split_softmax(document):
        layers_of(document)[2]["config"]["activation"] = "linear"
        layers_of(document).append({"class_name": "Activation", "config": {"name": "act", "activation": "softmax"}})
        return document

    model = import_keras(rewrite(DATA / "timesteps.keras", tmp_path / "split.keras", split_softmax))
    recorded = RECORDED["models"]["timesteps"]
    ours = np.stack([next_probabilities(model.params, model.config, text) for text in recorded["texts"]])
    np.testing.assert_allclose(ours, np.asarray(recorded["probabilities"]), rtol=0, atol=TOLERANCE)


def test_an_imported_model_is_a_model_folder_like_any_other(tmp_path):
    assert invoke("import-keras", DATA / "naive.h5", "--out", tmp_path / "m").exit_code == 0
    assert load(tmp_path / "m").config.experiment == "naive"
    result = invoke("generate", tmp_path / "m", "--start", "B", "--steps", "3")
    predicted = RECORDED["models"]["naive"]["predicted"]  # B -> its next letter, and so on
    expected = "B" + predicted[1]
    for _ in range(2):
        expected += predicted[ord(expected[-1]) - ord("A")]
    assert result.exit_code == 0 and result.stdout.strip() == expected, result.output


def test_the_playground_lists_and_opens_an_imported_model(tmp_path):
    from lstmlab.server.models import ModelFolder

    assert invoke("import-keras", DATA / "timesteps.keras", "--out", tmp_path / "models" / "keras").exit_code == 0
    folder = ModelFolder(tmp_path / "models")
    (entry,) = folder.listing().models
    assert entry.name == "keras" and entry.error is None and entry.settings["units"] == 32
    assert folder.load("keras").predict("ABC").predicted == RECORDED["models"]["timesteps"]["predicted"][0]


def test_a_variable_length_model_without_masking_needs_its_experiment_named(tmp_path):
    """The tutorial's variable-length model had no Masking layer: its (5, 1) input is also a
    timesteps model's, which is what lstmlab reads it as unless told."""
    model = random_model("variable-length")
    export_keras(model, tmp_path / "runs.keras")
    read = import_keras(tmp_path / "runs.keras").config
    assert (read.experiment, read.seq_length, read.data) == ("timesteps", 5, "windows")
    as_runs = import_keras(tmp_path / "runs.keras", experiment="variable-length")
    assert (as_runs.config.data, as_runs.config.padding) == ("runs", "zero")
    for text in ("BC", "KLMNO"):
        np.testing.assert_allclose(
            next_probabilities(as_runs.params, as_runs.config, text),
            next_probabilities(model.params, model.config, text),
            rtol=0,
            atol=TOLERANCE,
        )

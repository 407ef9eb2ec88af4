"""A model trained in Keras, read as an lstmlab model: a Keras 3 `.keras` archive
(config.json + model.weights.h5 in a zip) or a legacy Keras 2 `.h5` (its `model_config`
attribute and `model_weights` groups).

Read with zipfile, json and h5py only: nothing in the file is executed (no
`keras.models.load_model`, no pickle, no Lambda layer). What is read is what the tutorial
builds: a Sequential of an optional InputLayer, an optional Masking(0.0), one LSTM, GRU
(reset_after=True) or SimpleRNN, and a Dense softmax layer (or a linear Dense followed by
an Activation("softmax")). Every field that decides a prediction is checked; anything else
is refused by one ModelFileError naming the layer or field.

Keras does not record the alphabet, so it is given (`alphabet`, default A..Z); the
framing, encoding and window come from the input shape (timesteps, features):

    (1, 1) scalar, or (1, n) one-hot, n = alphabet size  -> naive (one symbol in)
    (1, k) scalar, 1 < k < n, or (1, k*n) one-hot       -> features (a window of k as one step)
    (T, 1) scalar or (T, n) one-hot, T > 1              -> timesteps (a window of T steps)
    stateful=True -> stateful;  a Masking layer -> variable-length (padding "mask")

A (T, 1) model of the tutorial's variable-length experiment looks like a timesteps model
(it had no Masking layer): give `experiment="variable-length"` for it.

Keras 3's "hard_sigmoid" is clip(x/6 + 1/2), not Keras 2's clip(0.2x + 1/2), which is
lstmlab's: a Keras 3 model's gate columns are scaled by 1/1.2 so that lstmlab's function
gives its gates (equal up to float32 rounding); a Keras 2 file's are taken as they are.
"""

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstmlab.config import load_config
from lstmlab.errors import LstmlabError, ModelFileError
from lstmlab.experiments import ALPHABET, EXPERIMENTS, tutorial_settings
from lstmlab.i18n import _
from lstmlab.model import Model

RECURRENT_LAYERS = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}
GATE_BLOCKS = {"lstm": (0, 1, 3), "gru": (0, 1)}  # the blocks a recurrent activation squashes
KERAS3_HARD_SIGMOID_SCALE = 1.2  # clip(1.2x/6 + 1/2) == clip(0.2x + 1/2)
SUPPORTED = "[InputLayer] [Masking] LSTM|GRU|SimpleRNN Dense(softmax)"
MAX_MEMBER_BYTES = 256 << 20  # a zip member larger than this is not a model of this size: refuse, unread
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
# what h5py raises for a file it cannot read (a damaged header, a bad link, an odd object)
H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError)


@dataclass(frozen=True)
class KerasFile:
    """What a Keras file says, in lstmlab's terms, before an alphabet is applied."""

    kind: str  # "Keras 3 archive" or "Keras 2 H5" (a Keras 3 legacy H5 counts as Keras 3)
    keras_version: str
    cell: str
    units: int
    timesteps: int
    features: int
    classes: int
    stateful: bool
    masking: bool
    recurrent_activation: str  # lstmlab's name
    params: dict  # lstmlab's tree, float32 numpy arrays


def import_keras(path: str | Path, alphabet: str = ALPHABET, experiment: str | None = None) -> Model:
    """The lstmlab Model of the Keras model in `path`; ModelFileError naming the problem."""
    found = read_keras(path)
    settings = model_settings(found, alphabet, experiment, str(path))
    try:
        config = load_config(settings.pop("experiment"), **settings)
    except LstmlabError as e:
        raise ModelFileError(_("{path}: {e}").format(path=path, e=e)) from None
    return Model(config=config, params=found.params, seed=None, run_seeds=())


# --- reading the file -------------------------------------------------------------------------


def read_keras(path: str | Path) -> KerasFile:
    path = Path(path)
    try:
        if not path.exists():
            raise ModelFileError(_("no Keras model at '{path}': the file does not exist").format(path=path))
        if path.is_dir():
            raise ModelFileError(_("'{path}' is a folder; give a Keras model file (.keras or .h5)").format(path=path))
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as e:
        raise ModelFileError(_("cannot read '{path}': {value}").format(path=path, value=e.strerror or e)) from None
    if head.startswith(ZIP_MAGIC):
        return _read_archive(path)
    if head == HDF5_MAGIC:
        return _read_legacy(path)
    raise ModelFileError(
        _("'{path}' is neither a Keras 3 archive (.keras, a zip) nor a Keras 2 model (.h5, HDF5)").format(path=path)
    )


def _read_archive(path: Path) -> KerasFile:
    label = f"'{path}'"
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for member in ("config.json", "model.weights.h5"):
                if member not in names:
                    shown = ", ".join(sorted(names)[:5]) or "nothing"
                    raise ModelFileError(
                        _("{label} is a zip but not a Keras archive: it has no {member} (it holds {shown})").format(
                            label=label, member=member, shown=shown
                        )
                    )
                if archive.getinfo(member).file_size > MAX_MEMBER_BYTES:
                    raise ModelFileError(
                        _("{label}: {member} is larger than {value} MB; not a model").format(
                            label=label, member=member, value=MAX_MEMBER_BYTES >> 20
                        )
                    )
            config_bytes = archive.read("config.json")
            weights_bytes = archive.read("model.weights.h5")
            metadata = archive.read("metadata.json") if "metadata.json" in names else b"{}"
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as e:
        raise ModelFileError(
            _("{label} is a damaged or truncated zip ({e}); save the model again").format(label=label, e=e)
        ) from None
    except zipfile.LargeZipFile as e:
        raise ModelFileError(_("{label}: {e}").format(label=label, e=e)) from None
    config = _json(config_bytes, f"{label} config.json")
    version = _json(metadata, f"{label} metadata.json")
    version = str(version.get("keras_version", "3")) if isinstance(version, dict) else "3"
    layers = _layers(config, f"{label} config.json")
    weights_label = f"{label} model.weights.h5"
    h5py = _h5py()
    try:
        with h5py.File(io.BytesIO(weights_bytes), "r") as store:
            return _model(
                layers, lambda layer: _archive_weights(store, layer, weights_label), "Keras 3 archive", version, label
            )
    except H5_ERRORS as e:
        raise ModelFileError(
            _("{weights_label} is not a readable HDF5 file ({e})").format(weights_label=weights_label, e=e)
        ) from None


def _archive_weights(store, layer: dict, label: str) -> list[np.ndarray]:
    """A Keras 3 archive keeps a layer's weights under layers/<its class in snake case,
    numbered _1, _2, ... when repeated>/vars (a recurrent layer's: .../cell/vars), as 0, 1, 2."""
    name = layer["name"]
    where = f"layers/{layer['path']}/" + ("cell/vars" if layer["class"] in RECURRENT_LAYERS else "vars")
    group = store.get(where)
    if group is None:
        raise ModelFileError(
            _("{label} lacks the weights of layer {name!r} ({value}): no group {where}").format(
                label=label, name=name, value=layer["class"], where=where
            )
        )
    return [_dataset(group, str(k), f"{label}: layer {name!r} weight {k}") for k in range(_weight_count(layer))]


def _read_legacy(path: Path) -> KerasFile:
    label = f"'{path}'"
    h5py = _h5py()
    try:
        with h5py.File(path, "r") as f:
            if "model_config" not in f.attrs:
                raise ModelFileError(
                    _(
                        "{label} is an HDF5 file but not a Keras model: it has no 'model_config' "
                        "attribute (a weights-only file? save the whole model with model.save)"
                    ).format(label=label)
                )
            config = _json(f.attrs["model_config"], f"{label} model_config")
            group = f.get("model_weights")
            if group is None or not isinstance(group, h5py.Group):
                raise ModelFileError(
                    _("{label} has a model_config but no 'model_weights' group; save the model again").format(
                        label=label
                    )
                )
            version = group.attrs.get("keras_version", f.attrs.get("keras_version", b"1"))
            version = version.decode("utf-8", "replace") if isinstance(version, bytes) else str(version)
            layers = _layers(config, f"{label} model_config")
            kind = "Keras 2 H5" if version.startswith(("1", "2")) else "Keras 3 H5"
            return _model(layers, lambda layer: _legacy_weights(group, layer, label), kind, version, label)
    except H5_ERRORS as e:
        raise ModelFileError(
            _("{label} is a damaged or truncated HDF5 file ({e}); save the model again").format(label=label, e=e)
        ) from None


def _legacy_weights(group, layer: dict, label: str) -> list[np.ndarray]:
    """A Keras 2 file keeps a layer's weights under model_weights/<layer name>, at the paths
    its `weight_names` attribute lists, in Keras's order."""
    name, count = layer["name"], _weight_count(layer)
    sub = group.get(name)
    if sub is None:
        raise ModelFileError(
            _("{label} lacks the weights of layer {name!r} (no group model_weights/{name})").format(
                label=label, name=name
            )
        )
    names = [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in sub.attrs.get("weight_names", [])]
    if len(names) != count:
        raise ModelFileError(
            _("{label}: layer {name!r} ({value}) has {n_names} weight(s); expected {count}").format(
                label=label, name=name, value=layer["class"], n_names=len(names), count=count
            )
        )
    return [_dataset(sub, n, f"{label}: layer {name!r} weight {n!r}") for n in names]


def _h5py():
    import h5py  # here: the command line's start never pays for it

    return h5py


def _dataset(group, name: str, label: str) -> np.ndarray:
    item = group.get(name)
    if item is None or not hasattr(item, "dtype"):
        raise ModelFileError(_("{label} is missing").format(label=label))
    if item.dtype.kind != "f":
        raise ModelFileError(_("{label} has dtype {dtype}; expected float32").format(label=label, dtype=item.dtype))
    values = np.asarray(item[()], dtype=np.float32)
    if not np.all(np.isfinite(values)):
        raise ModelFileError(
            _("{label} holds NaN or infinite values; a model with them predicts nothing").format(label=label)
        )
    return values


def _json(raw, label: str):
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        return json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFileError(_("{label} is not valid JSON ({e})").format(label=label, e=e)) from None


# --- the model's layers -----------------------------------------------------------------------


MISSING = object()


def _field(config: dict, name: str, where: str, allowed=None, default=MISSING):
    """config[name] (Keras's `default` where the file may leave it out), in `allowed` if given."""
    if name not in config and default is MISSING:
        raise ModelFileError(_("{where}: the field {name!r} is missing").format(where=where, name=name))
    value = config.get(name, default)
    if allowed is not None and (isinstance(value, bool) != isinstance(allowed[0], bool) or value not in allowed):
        shown = ", ".join(json.dumps(a) for a in allowed)
        raise ModelFileError(
            _("{where}: {name} is {value}; lstmlab supports {shown}").format(
                where=where, name=name, value=json.dumps(value, default=str), shown=shown
            )
        )
    return value


def _layers(document, label: str) -> list[dict]:
    """The Sequential model's layers as [{class, name, path, config}], each checked."""
    if not isinstance(document, dict) or "class_name" not in document:
        raise ModelFileError(_("{label} does not describe a Keras model (no 'class_name')").format(label=label))
    if document["class_name"] != "Sequential":
        raise ModelFileError(
            _("{label}: the model is a {value!r}; lstmlab imports a Sequential model: {SUPPORTED}").format(
                label=label, value=document["class_name"], SUPPORTED=SUPPORTED
            )
        )
    config = document.get("config")
    layers = config.get("layers") if isinstance(config, dict) else config  # Keras 2.0-2.2: a bare list
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        raise ModelFileError(_("{label}: the Sequential model has no list of layers").format(label=label))
    built_shape = config.get("build_input_shape") if isinstance(config, dict) else None
    result, used = [], {}
    for layer in layers:
        kind = layer.get("class_name")
        settings = layer.get("config")
        if not isinstance(kind, str):
            raise ModelFileError(
                _("{label}: a layer's class_name is {kind}; expected a name").format(label=label, kind=json.dumps(kind))
            )
        if not isinstance(settings, dict):
            raise ModelFileError(_("{label}: layer {kind!r} has no config").format(label=label, kind=kind))
        name = str(settings.get("name", kind))
        snake = _snake(str(kind))
        count = used.get(snake, 0)
        used[snake] = count + 1
        path = snake if count == 0 else f"{snake}_{count}"
        if kind == "InputLayer":
            path = None
        result.append({"class": kind, "name": name, "path": path, "config": settings, "built": built_shape})
    return result


def _snake(name: str) -> str:
    out = []
    for k, ch in enumerate(name):
        if ch.isupper() and k and (not name[k - 1].isupper() or (k + 1 < len(name) and name[k + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _weight_count(layer: dict) -> int:
    if layer["class"] in RECURRENT_LAYERS:
        return 3
    return 2 if layer["class"] == "Dense" else 0


def _count(config: dict, name: str, where: str, least: int, message: str) -> int:
    """A whole number of at least `least` in config[name], else `message` (translated) as the error."""
    value = _field(config, name, where)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ModelFileError(message.format(where=where, value=json.dumps(value)))
    return value


def _model(layers: list[dict], read, kind: str, version: str, label: str) -> KerasFile:
    """Check every field that decides a prediction, then read (`read(layer)`) and check the weights."""
    recurrent, dense, masking, shape = _structure(layers, label)
    cell = RECURRENT_LAYERS[recurrent["class"]]
    rc, dc = recurrent["config"], dense["config"]
    where = f"{label}: layer {recurrent['name']!r} ({recurrent['class']})"
    units = _count(rc, "units", where, 1, _("{where}: units is {value}; expected a positive whole number"))
    _field(rc, "activation", where, ("tanh",))
    _field(rc, "use_bias", where, (True,), default=True)
    for flag in ("return_sequences", "return_state", "go_backwards", "time_major"):
        if rc.get(flag, False) is not False:
            raise ModelFileError(
                _("{where}: {flag} is {value}; lstmlab supports false").format(
                    where=where, flag=flag, value=json.dumps(rc[flag])
                )
            )
    stateful = _field(rc, "stateful", where, (True, False), default=False)
    activation = "sigmoid"
    if cell != "rnn":
        activation = _field(rc, "recurrent_activation", where, ("sigmoid", "hard_sigmoid"))
    if cell == "gru":
        _field(rc, "reset_after", where, (True,))
    dwhere = f"{label}: layer {dense['name']!r} (Dense)"
    classes = _count(dc, "units", dwhere, 2, _("{where}: units is {value}; expected one per symbol (at least 2)"))
    _field(dc, "use_bias", dwhere, (True,), default=True)
    timesteps, features = shape
    arrays = {layer["name"]: read(layer) for layer in (recurrent, dense)}
    blocks = BLOCKS[cell]
    bias_shape = (2, blocks * units) if cell == "gru" else (blocks * units,)
    expected = {
        recurrent["name"]: [(features, blocks * units), (units, blocks * units), bias_shape],
        dense["name"]: [(units, classes), (classes,)],
    }
    names = {recurrent["name"]: ("kernel", "recurrent_kernel", "bias"), dense["name"]: ("kernel", "bias")}
    for layer_name, shapes in expected.items():
        for k, (array, wanted) in enumerate(zip(arrays[layer_name], shapes, strict=True)):
            if array.shape != wanted:
                raise ModelFileError(
                    _(
                        "{label}: layer {layer_name!r} {value} has shape {shape}, expected {wanted} (from "
                        "input shape ({timesteps}, {features}), {units} units, {classes} classes)"
                    ).format(
                        label=label,
                        layer_name=layer_name,
                        value=names[layer_name][k],
                        shape=array.shape,
                        wanted=wanted,
                        timesteps=timesteps,
                        features=features,
                        units=units,
                        classes=classes,
                    )
                )
    kernel, recurrent_kernel, bias = arrays[recurrent["name"]]
    if activation == "hard_sigmoid" and not kind.startswith("Keras 2"):
        kernel, recurrent_kernel, bias = (
            _scale_gates(a, cell, units, 1 / KERAS3_HARD_SIGMOID_SCALE) for a in (kernel, recurrent_kernel, bias)
        )
    params = {
        cell: {"kernel": kernel, "recurrent_kernel": recurrent_kernel, "bias": bias},
        "dense": dict(zip(("kernel", "bias"), arrays[dense["name"]], strict=True)),
    }
    return KerasFile(
        kind, version, cell, units, timesteps, features, classes, stateful, masking is not None, activation, params
    )


def _scale_gates(array: np.ndarray, cell: str, units: int, factor: float) -> np.ndarray:
    """`array` with the columns of the gates squashed by the recurrent activation times `factor`."""
    out = np.array(array, dtype=np.float32)
    for block in GATE_BLOCKS[cell]:
        out[..., block * units : (block + 1) * units] *= np.float32(factor)
    return out


def _structure(layers: list[dict], label: str):
    """(recurrent layer, dense layer, masking layer or None, (timesteps, features))."""
    recurrent = dense = masking = softmax_after = None
    shape = None
    for position, layer in enumerate(layers):
        kind, name, config = layer["class"], layer["name"], layer["config"]
        where = f"{label}: layer {name!r} ({kind})"
        if kind == "InputLayer":
            if position:
                raise ModelFileError(
                    _("{where} is not the first layer; lstmlab supports {SUPPORTED}").format(
                        where=where, SUPPORTED=SUPPORTED
                    )
                )
            shape = config.get("batch_shape", config.get("batch_input_shape"))
        elif kind == "Masking":
            if recurrent is not None or masking is not None:
                raise ModelFileError(
                    _("{where} must come once, before the recurrent layer; lstmlab supports {SUPPORTED}").format(
                        where=where, SUPPORTED=SUPPORTED
                    )
                )
            value = _field(config, "mask_value", where, default=0.0)
            if value != 0.0:
                raise ModelFileError(
                    _("{where}: mask_value is {value}; lstmlab pads with 0.0").format(
                        where=where, value=json.dumps(value)
                    )
                )
            masking = layer
            shape = shape or config.get("batch_input_shape")
        elif kind in RECURRENT_LAYERS:
            if recurrent is not None:
                raise ModelFileError(
                    _("{where} is a second recurrent layer; lstmlab models have one ({value!r}): {SUPPORTED}").format(
                        where=where, value=recurrent["name"], SUPPORTED=SUPPORTED
                    )
                )
            recurrent = layer
            shape = shape or config.get("batch_input_shape")
            if shape is None and isinstance(layer.get("built"), list):
                shape = layer["built"]
        elif kind == "Dense":
            if recurrent is None or dense is not None:
                raise ModelFileError(
                    _("{where}: lstmlab supports one Dense layer after the recurrent one: {SUPPORTED}").format(
                        where=where, SUPPORTED=SUPPORTED
                    )
                )
            dense = layer
            activation = config.get("activation")
            if activation == "linear" and position + 1 < len(layers) and layers[position + 1]["class"] == "Activation":
                continue
            if activation != "softmax":
                raise ModelFileError(
                    _('{where}: activation is {value}; lstmlab supports "softmax"').format(
                        where=where, value=json.dumps(activation)
                    )
                )
        elif kind == "Activation" and dense is not None and softmax_after is None and position == len(layers) - 1:
            softmax_after = _field(config, "activation", where, ("softmax",))
        else:
            raise ModelFileError(
                _("{where} is not supported; lstmlab imports {SUPPORTED}").format(where=where, SUPPORTED=SUPPORTED)
            )
    if recurrent is None:
        raise ModelFileError(
            _("{label}: the model has no LSTM, GRU or SimpleRNN layer; lstmlab imports {SUPPORTED}").format(
                label=label, SUPPORTED=SUPPORTED
            )
        )
    if dense is None:
        raise ModelFileError(
            _("{label}: the model has no Dense layer after its recurrent one; lstmlab imports {SUPPORTED}").format(
                label=label, SUPPORTED=SUPPORTED
            )
        )
    if dense["config"].get("activation") == "linear" and softmax_after is None:
        raise ModelFileError(
            _('{label}: layer {value!r} (Dense): activation is "linear"; lstmlab supports "softmax"').format(
                label=label, value=dense["name"]
            )
        )
    if shape is None:
        raise ModelFileError(
            _("{label}: the model records no input shape (build it with keras.Input((timesteps, features)))").format(
                label=label
            )
        )
    if not (isinstance(shape, list) and len(shape) == 3 and all(_whole(d) for d in shape[1:])):
        raise ModelFileError(
            _(
                "{label}: the input shape is {value}; lstmlab needs (batch, timesteps, features) "
                "with a fixed number of time steps and features"
            ).format(label=label, value=json.dumps(shape))
        )
    return recurrent, dense, masking, (shape[1], shape[2])


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


# --- the lstmlab settings ---------------------------------------------------------------------


def model_settings(found: KerasFile, alphabet: str, experiment: str | None, label: str) -> dict:
    """load_config's experiment and overrides for the model in `found`, read with `alphabet`."""
    n = len(alphabet)
    T, F = found.timesteps, found.features
    if found.classes != n:
        raise ModelFileError(
            _(
                "{label}: the Dense layer has {classes} units, one per symbol, but the alphabet "
                "{value} has {n}; give the model's alphabet with --alphabet"
            ).format(label=label, classes=found.classes, value=_short(alphabet), n=n)
        )
    if T == 1 and F > 1 and F % n == 0:
        encoding, framing, window = "onehot", ("features" if F > n else "timesteps"), F // n
    elif T == 1 and F < n:
        encoding, framing, window = "scalar", ("features" if F > 1 else "timesteps"), F
    elif T > 1 and F in (1, n):
        encoding, framing, window = ("scalar" if F == 1 else "onehot"), "timesteps", T
    else:
        raise ModelFileError(
            _(
                "{label}: input shape ({T}, {F}) does not fit the alphabet {value} ({n} symbols): "
                "a time step has 1 feature (a letter's code / {n}) or {n} (one-hot)"
            ).format(label=label, T=T, F=F, value=_short(alphabet), n=n)
        )
    if experiment is None:
        if found.stateful:
            experiment = "stateful"
        elif found.masking:
            experiment = "variable-length"
        elif framing == "features":
            experiment = "features"
        else:
            experiment = "naive" if window == 1 else "timesteps"
    if experiment not in EXPERIMENTS:
        raise ModelFileError(
            _("unknown experiment {experiment!r}; choose one of: {value}").format(
                experiment=experiment, value=", ".join(EXPERIMENTS)
            )
        )
    tutorial = tutorial_settings(experiment)
    saw = f"{label}: input shape ({T}, {F})" + (", stateful" if found.stateful else "")
    if tutorial["framing"] != framing:
        raise ModelFileError(
            (
                _(
                    "{saw} is the {framing} framing; experiment {experiment!r} reads a window as "
                    "one step of k features (1, k)"
                )
                if tutorial["framing"] == "features"
                else _("{saw} is the {framing} framing; experiment {experiment!r} reads a window as time steps (k, 1)")
            ).format(saw=saw, framing=framing, experiment=experiment)
        )
    if tutorial["stateful"] != found.stateful:
        raise ModelFileError(
            (
                _("{saw}: the model is stateful, experiment {experiment!r} is not stateful")
                if found.stateful
                else _("{saw}: the model is not stateful, experiment {experiment!r} is stateful")
            ).format(saw=saw, experiment=experiment)
        )
    padding = "mask" if found.masking else "zero"
    settings = {
        "experiment": experiment,
        "alphabet": alphabet,
        "seq_length": window,
        "encoding": encoding,
        "padding": padding,
        "cell": found.cell,
        "units": found.units,
        "recurrent_activation": found.recurrent_activation,
    }
    return settings


def _short(alphabet: str) -> str:
    return repr(alphabet if len(alphabet) <= 40 else alphabet[:37] + "…")


def describe(model: Model) -> str:
    """One line: what the model is, in the words `lstmlab list` uses."""
    config = model.config
    kind = {"lstm": "LSTM", "lstm-1997": "LSTM (1997)", "gru": "GRU", "rnn": "SimpleRNN"}[config.cell]
    return _(
        "{kind} of {units} units, experiment {experiment} ({framing}, window {window}, {encoding}), alphabet {alphabet}"
    ).format(
        kind=kind,
        units=config.units,
        experiment=config.experiment,
        framing=config.framing,
        window=config.seq_length,
        encoding=config.encoding,
        alphabet=_short(config.alphabet),
    )

"""An lstmlab model as a Keras 3 `.keras` archive that `keras.models.load_model` opens and
that predicts what lstmlab predicts, from the same encoded input (`data.encode_inputs`).

The archive (metadata.json, config.json, model.weights.h5 in a zip) is built with json,
h5py and zipfile, without Keras; it is written to a temporary file beside the target and
renamed into place, so a failure leaves nothing behind.

How each lstmlab cell becomes a Keras layer:
- lstm: an LSTM, weights as they are (lstmlab keeps Keras's gate order i, f, g, o).
- lstm-1997: an LSTM whose forget gate is always exactly 1: its kernel and recurrent
  kernel columns are zero and its bias FORGET_OPEN, whose sigmoid (and Keras 3
  hard_sigmoid) is 1.0 in float32, so c = 1*c + i*g = c + i*g to the last bit.
- gru: a GRU with reset_after=True (lstmlab's bias is Keras's (2, 3*units)).
- rnn: a SimpleRNN.
Recurrent activation "hard_sigmoid" is Keras 2's clip(0.2x + 1/2); Keras 3's is
clip(x/6 + 1/2), so the gate columns are scaled by 1.2 (equal up to float32 rounding).
A stateful model gets a fixed batch of 1; padding "mask" a Masking(0.0) layer, which
Keras applies to every all-zero step (scalar encoding: also a real first symbol, code 0,
which lstmlab reads). One-hot input pads with the first symbol's vector, which Keras's
Masking cannot tell from that symbol: refused.
"""

import datetime
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from lstmlab.engine.data import input_features
from lstmlab.errors import ModelFileError
from lstmlab.i18n import _
from lstmlab.model import folders
from lstmlab.model.keras_read import KERAS3_HARD_SIGMOID_SCALE
from lstmlab.model.trained import Model

FORGET_OPEN = 50.0  # sigmoid(50) == 1.0 and clip(1.2*50/6 + 1/2) == 1.0 in float32
KERAS_LAYER = {"lstm": "LSTM", "lstm-1997": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
SNAKE = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "simple_rnn"}
KERAS_VERSION = "3.0.0"  # the archive format written here is Keras 3's first


def export_keras(model: Model, out: str | Path) -> Path:
    """Write `model` to `out` (a new .keras file); ModelFileError naming the problem."""
    out = Path(out)
    check_out(out)
    data = archive_bytes(model)
    try:
        folders.write_file_atomically(out, data)
    except OSError as e:
        raise ModelFileError(
            _("cannot write '{out}': {value}; nothing was written").format(out=out, value=e.strerror or e)
        ) from None
    return out


def check_out(out: Path) -> None:
    """A new file ending in .keras, in a folder that exists."""
    if out.suffix != ".keras":
        raise ModelFileError(_("'{out}' does not end in .keras; Keras 3 opens an archive by that name").format(out=out))
    if os.path.lexists(out):
        raise ModelFileError(_("'{out}' already exists; give a new file name (nothing is overwritten)").format(out=out))
    if not out.absolute().parent.is_dir():
        raise ModelFileError(
            _("cannot write '{out}': the folder '{parent}' does not exist").format(out=out, parent=out.parent)
        )


def archive_bytes(model: Model) -> bytes:
    """The whole .keras archive, in memory."""
    config = keras_config(model)
    weights = weights_bytes(model)
    metadata = {"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights)
    return buffer.getvalue()


def _layer(class_name: str, config: dict) -> dict:
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


def input_shape(model: Model) -> tuple[int, int]:
    config = model.config
    timesteps = 1 if config.framing == "features" else config.seq_length
    return timesteps, input_features(config)


def keras_config(model: Model) -> dict:
    """config.json: a Sequential of InputLayer, [Masking], the recurrent layer, Dense softmax."""
    config = model.config
    if config.padding == "mask" and config.encoding == "onehot":
        raise ModelFileError(
            _(
                "cannot export a one-hot model with padding 'mask': Keras's Masking layer cannot tell a padded "
                "step (the first symbol's vector) from that symbol"
            )
        )
    timesteps, features = input_shape(model)
    batch_shape = [1 if config.stateful else None, timesteps, features]
    layers = [_layer("InputLayer", {"batch_shape": batch_shape, "dtype": "float32", "name": "input_layer"})]
    if config.padding == "mask":
        layers.append(_layer("Masking", {"name": "masking", "mask_value": 0.0}))
    kind = KERAS_LAYER[config.cell]
    recurrent = {
        "name": SNAKE[kind],
        "units": config.units,
        "activation": "tanh",
        "use_bias": True,
        "return_sequences": False,
        "return_state": False,
        "go_backwards": False,
        "stateful": config.stateful,
        "unroll": False,
    }
    if config.cell != "rnn":
        recurrent["recurrent_activation"] = config.recurrent_activation
    if config.cell == "gru":
        recurrent["reset_after"] = True
    layers.append(_layer(kind, recurrent))
    layers.append(
        _layer("Dense", {"name": "dense", "units": len(config.alphabet), "activation": "softmax", "use_bias": True})
    )
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": layers, "build_input_shape": batch_shape},
        "registered_name": None,
        "build_config": {"input_shape": batch_shape},
    }


def keras_weights(model: Model) -> dict[str, list[np.ndarray]]:
    """Keras layer name -> its weights in Keras's order (kernel, recurrent kernel, bias)."""
    config = model.config
    layer = model.params[config.cell]
    kernel, recurrent_kernel, bias = (np.asarray(layer[k], np.float32) for k in ("kernel", "recurrent_kernel", "bias"))
    units = config.units
    gates = {"lstm": (0, 1, 3), "lstm-1997": (0, 2), "gru": (0, 1), "rnn": ()}[config.cell]
    if config.recurrent_activation == "hard_sigmoid":
        kernel, recurrent_kernel, bias = (_scale(a, gates, units) for a in (kernel, recurrent_kernel, bias))
    if config.cell == "lstm-1997":  # i, g, o -> i, f, g, o with f fixed open
        kernel, recurrent_kernel = (_with_forget(a, units, 0.0) for a in (kernel, recurrent_kernel))
        bias = _with_forget(bias, units, FORGET_OPEN)
    dense = model.params["dense"]
    return {
        SNAKE[KERAS_LAYER[config.cell]]: [kernel, recurrent_kernel, bias],
        "dense": [np.asarray(dense["kernel"], np.float32), np.asarray(dense["bias"], np.float32)],
    }


def _scale(array: np.ndarray, blocks: tuple[int, ...], units: int) -> np.ndarray:
    out = np.array(array, np.float32)
    for block in blocks:
        out[..., block * units : (block + 1) * units] *= np.float32(KERAS3_HARD_SIGMOID_SCALE)
    return out


def _with_forget(array: np.ndarray, units: int, value: float) -> np.ndarray:
    forget = np.full((*array.shape[:-1], units), value, np.float32)
    return np.concatenate([array[..., :units], forget, array[..., units:]], axis=-1)


def weights_bytes(model: Model) -> bytes:
    """model.weights.h5 as Keras 3 lays it out: layers/<name>/vars/<k>, a recurrent layer's
    under layers/<name>/cell/vars/<k>."""
    import h5py  # here: the command line's start never pays for it

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as store:
        store.create_group("layers")
        for name, arrays in keras_weights(model).items():
            vars_path = f"layers/{name}/vars" if name == "dense" else f"layers/{name}/cell/vars"
            group = store.create_group(vars_path)
            group.attrs["name"] = name if name == "dense" else f"{name}_cell"
            if name != "dense":
                store[f"layers/{name}"].create_group("vars").attrs["name"] = name
            for k, array in enumerate(arrays):
                group.create_dataset(str(k), data=array)
        if model.config.padding == "mask":
            store.create_group("layers/masking/vars").attrs["name"] = "masking"
        store.create_group("vars").attrs["name"] = "sequential"
    return buffer.getvalue()

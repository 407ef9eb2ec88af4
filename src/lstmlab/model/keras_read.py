"""A model trained in Keras, read as an lstmlab model: a Keras 3 `.keras` archive
(config.json + model.weights.h5 in a zip) or a legacy Keras 2 `.h5` (its `model_config`
attribute and `model_weights` groups).

Read with zipfile, json and h5py only: nothing in the file is executed (no
`keras.models.load_model`, no pickle, no Lambda layer). What is read is what the tutorial
builds: a Sequential of an optional InputLayer, an optional Masking(0.0), one LSTM, GRU
(reset_after=True) or SimpleRNN, and a Dense softmax layer (or a linear Dense followed by
an Activation("softmax")). Every field that decides a prediction is checked; anything else
is refused by one ModelFileError naming the layer or field.

A file is not trusted: a zip's members are checked (relative, unique, unencrypted, not too
many) and read no further than a limit each; the weights are read from memory, every HDF5
link on the way is looked at before it is followed (a Keras file has no soft or external
links), and a dataset is read only after it is known to hold floating-point values inside
the file (no external storage, not virtual, HDF5's own filters only) in the shape its layer
asks for, and the layers' weights together fit MAX_WEIGHT_BYTES.

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
import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstmlab.errors import LstmlabError, ModelFileError
from lstmlab.i18n import _, ngettext
from lstmlab.model.trained import Model
from lstmlab.settings.config import load_config
from lstmlab.settings.experiments import ALPHABET, EXPERIMENTS, tutorial_settings

RECURRENT_LAYERS = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}
GATE_BLOCKS = {"lstm": (0, 1, 3), "gru": (0, 1)}  # the blocks a recurrent activation squashes
KERAS3_HARD_SIGMOID_SCALE = 1.2  # clip(1.2x/6 + 1/2) == clip(0.2x + 1/2)
SUPPORTED = "[InputLayer] [Masking] LSTM|GRU|SimpleRNN Dense(softmax)"
MAX_MEMBER_BYTES = 256 << 20  # a zip member larger than this is not a model of this size: refuse, unread
MAX_WEIGHT_BYTES = MAX_MEMBER_BYTES  # what the weights the layers ask for may take, checked before any is read
MAX_CONFIG_BYTES = 1 << 20  # config.json, metadata.json, an .h5's model_config: a few KB in a real model
MAX_MEMBERS = 1000  # a Keras archive holds three files (and maybe a few assets)
MAX_CHUNK_BYTES = 1 << 20  # a chunk larger than its weight (and than this) is read whole: refused
MAX_CHUNKS = 1 << 16  # a weight in more chunks than this costs more time to read than a model is worth
ZIP_ENCRYPTED = 0x1  # bit 0 of a zip member's flags
# The HDF5 filters a weight may be stored through: those built into HDF5 itself. Any other is
# a plugin, a shared library HDF5 would load from the machine to read the file: refused.
BUILT_IN_FILTERS = {1: "deflate", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset"}
FLOAT_BYTES = (2, 4, 8)  # float16, float32, float64: read as float32
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
# what h5py raises for a file it cannot read (a damaged header, a bad link, an odd object)
H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError)
# what zipfile raises for a damaged member (a bad header, a broken deflate stream, a bad CRC)
ZIP_ERRORS = (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, zlib.error, OSError)


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
        if not path.is_file():  # a pipe or a device: reading it could wait for ever or never end
            raise ModelFileError(
                _("'{path}' is not a regular file; give a Keras model file (.keras or .h5)").format(path=path)
            )
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
            names = _checked_members(archive.infolist(), label)
            for member in ("config.json", "model.weights.h5"):
                if member not in names:
                    shown = ", ".join(sorted(names)[:5]) or "nothing"
                    raise ModelFileError(
                        _("{label} is a zip but not a Keras archive: it has no {member} (it holds {shown})").format(
                            label=label, member=member, shown=shown
                        )
                    )
            config_bytes = _member(
                archive,
                "config.json",
                MAX_CONFIG_BYTES,
                _("{label}: config.json is larger than {limit}; not a model's config"),
                label,
            )
            weights_bytes = _member(
                archive,
                "model.weights.h5",
                MAX_MEMBER_BYTES,
                _("{label}: model.weights.h5 is larger than {limit}; not a model lstmlab reads"),
                label,
            )
            metadata = b"{}"
            if "metadata.json" in names:
                metadata = _member(
                    archive,
                    "metadata.json",
                    MAX_CONFIG_BYTES,
                    _("{label}: metadata.json is larger than {limit}; not a Keras archive's metadata"),
                    label,
                )
    except ZIP_ERRORS as e:
        raise ModelFileError(
            _("{label} is a damaged or truncated zip ({e}); save the model again").format(label=label, e=e)
        ) from None
    except zipfile.LargeZipFile as e:
        raise ModelFileError(_("{label}: {e}").format(label=label, e=e)) from None
    config = _json(config_bytes, f"{label} config.json")
    version = _json(metadata, f"{label} metadata.json")
    version = version.get("keras_version", "3") if isinstance(version, dict) else "3"
    version = version if isinstance(version, str) else "3"
    layers = _layers(config, f"{label} config.json")
    weights_label = f"{label} model.weights.h5"
    h5py = _h5py()
    try:
        # read from memory: nothing of the archive is written anywhere, no path in it is opened
        with h5py.File(io.BytesIO(weights_bytes), "r") as store:
            return _model(
                layers, lambda layer: _archive_weights(store, layer, weights_label), "Keras 3 archive", version, label
            )
    except H5_ERRORS as e:
        raise ModelFileError(
            _("{weights_label} is not a readable HDF5 file ({e})").format(weights_label=weights_label, e=e)
        ) from None


def _checked_members(infos: list, label: str) -> set[str]:
    """The members' names, once each checked: not too many, relative, unique, not encrypted."""
    if len(infos) > MAX_MEMBERS:
        raise ModelFileError(
            ngettext(
                "{label} holds {count} member; a Keras archive of lstmlab's kind holds at most {limit}",
                "{label} holds {count} members; a Keras archive of lstmlab's kind holds at most {limit}",
                len(infos),
            ).format(label=label, count=len(infos), limit=MAX_MEMBERS)
        )
    names: set[str] = set()
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise ModelFileError(
                _("{label} holds a member named {name!r}; a member's name must be a relative path without '..'").format(
                    label=label, name=name
                )
            )
        if name in names:
            raise ModelFileError(
                _("{label} holds two members named {name!r}; a Keras archive names each once").format(
                    label=label, name=name
                )
            )
        if info.flag_bits & ZIP_ENCRYPTED:
            raise ModelFileError(
                _("{label}: member {name!r} is encrypted; lstmlab reads unencrypted archives").format(
                    label=label, name=name
                )
            )
        names.add(name)
    return names


def _member(archive: zipfile.ZipFile, name: str, limit: int, message: str, label: str) -> bytes:
    """The bytes of member `name`, never more than `limit` read (whatever the zip declares);
    past it, `message` (translated, with {label} and {limit}) is the error."""
    too_large = ModelFileError(message.format(label=label, limit=_size(limit)))
    if archive.getinfo(name).file_size > limit:
        raise too_large
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


def _size(n: int) -> str:
    """A number of bytes in MB (or KB, below one MB), as the limits are set."""
    if n >= 1 << 20:
        return _("{value} MB").format(value=n >> 20)
    return _("{value} KB").format(value=n >> 10)


def _archive_weights(store, layer: dict, label: str) -> list[tuple]:
    """A Keras 3 archive keeps a layer's weights under layers/<its class in snake case,
    numbered _1, _2, ... when repeated>/vars (a recurrent layer's: .../cell/vars), as 0, 1, 2."""
    name = layer["name"]
    where = f"layers/{layer['path']}/" + ("cell/vars" if layer["class"] in RECURRENT_LAYERS else "vars")
    group = _walk(store, where, f"{label}: layer {name!r}")
    if group is None or not isinstance(group, _h5py().Group):
        raise ModelFileError(
            _("{label} lacks the weights of layer {name!r} ({value}): no group {where}").format(
                label=label, name=name, value=layer["class"], where=where
            )
        )
    labels = [f"{label}: layer {name!r} weight {k}" for k in range(_weight_count(layer))]
    return [(_dataset(group, str(k), shown), shown) for k, shown in enumerate(labels)]


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
            config = _json(_attribute(f, "model_config", label), f"{label} model_config")
            group = _walk(f, "model_weights", label)
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


def _legacy_weights(group, layer: dict, label: str) -> list[tuple]:
    """A Keras 2 file keeps a layer's weights under model_weights/<layer name>, at the paths
    its `weight_names` attribute lists, in Keras's order."""
    name, count = layer["name"], _weight_count(layer)
    sub = _walk(group, name, f"{label}: layer {name!r}")
    if sub is None or not isinstance(sub, _h5py().Group):
        raise ModelFileError(
            _("{label} lacks the weights of layer {name!r} (no group model_weights/{name})").format(
                label=label, name=name
            )
        )
    listed = _attribute(sub, "weight_names", label) if "weight_names" in sub.attrs else []
    names = [n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in np.atleast_1d(listed)]
    if len(names) != count:
        raise ModelFileError(
            _("{label}: layer {name!r} ({value}) has {n_names} weight(s); expected {count}").format(
                label=label, name=name, value=layer["class"], n_names=len(names), count=count
            )
        )
    labels = [f"{label}: layer {name!r} weight {n!r}" for n in names]
    return [(_dataset(sub, n, shown), shown) for n, shown in zip(names, labels, strict=True)]


def _h5py():
    import h5py  # here: the command line's start never pays for it

    return h5py


def _attribute(obj, name: str, label: str):
    """An attribute of at most MAX_CONFIG_BYTES (a model_config, a list of weight names)."""
    too_large = ModelFileError(
        _("{label}: the HDF5 attribute {name!r} is larger than {limit}; a Keras model keeps a few KB there").format(
            label=label, name=name, limit=_size(MAX_CONFIG_BYTES)
        )
    )
    if obj.attrs.get_id(name).get_storage_size() > MAX_CONFIG_BYTES:  # fixed-size values, before reading them
        raise too_large
    value = obj.attrs[name]
    if isinstance(value, (bytes, str)) and len(value) > MAX_CONFIG_BYTES:  # a variable-length text
        raise too_large
    return value


def _walk(root, path: str, label: str):
    """The object at `path` under `root` (None where nothing is), each link on the way looked
    at before it is followed: a Keras file has only plain (hard) links; a link to another file
    would read that file, a soft link is a name that may point anywhere or nowhere."""
    h5py = _h5py()
    node = root
    for part in (p for p in path.split("/") if p):
        if not isinstance(node, h5py.Group):
            return None
        link = node.get(part, getlink=True)
        where = posixpath.join(node.name, part)
        if link is None:
            return None
        if isinstance(link, h5py.ExternalLink):
            raise ModelFileError(
                _(
                    "{label} ({where}) is a link to {target!r} in another file {file!r}; lstmlab reads only "
                    "what is inside the model file"
                ).format(label=label, where=where, target=link.path, file=link.filename)
            )
        if isinstance(link, h5py.SoftLink):
            raise ModelFileError(
                _("{label} ({where}) is a link to {target!r}; a Keras file has no links").format(
                    label=label, where=where, target=link.path
                )
            )
        if not isinstance(link, h5py.HardLink):
            raise ModelFileError(
                _("{label} ({where}) is a link of a kind a program defined; a Keras file has no links").format(
                    label=label, where=where
                )
            )
        node = node[part]
    return node


def _dataset(group, name: str, label: str):
    """The dataset `name` of `group`, checked before anything of it is read: inside the file
    (no link, no external storage, not virtual), floating-point, through built-in filters only.
    Its shape is checked by the caller, against the layer's; then `_values` reads it."""
    h5py = _h5py()
    item = _walk(group, name, label)
    if item is None or not isinstance(item, h5py.Dataset):
        raise ModelFileError(_("{label} is missing").format(label=label))
    if item.is_virtual:
        raise ModelFileError(
            _(
                "{label} is an HDF5 virtual dataset (its values are in other files); lstmlab reads only "
                "values inside the model file"
            ).format(label=label)
        )
    if item.external:
        file = item.external[0][0]
        raise ModelFileError(
            _(
                "{label} keeps its values in another file {file!r} (HDF5 external storage); lstmlab reads "
                "only values inside the model file"
            ).format(label=label, file=file.decode("utf-8", "replace") if isinstance(file, bytes) else str(file))
        )
    what = _dtype_words(item.dtype)
    if what is not None:
        raise ModelFileError(
            _("{label} holds {what}; expected floating-point numbers (float32)").format(label=label, what=what)
        )
    plist = item.id.get_create_plist()
    for k in range(plist.get_nfilters()):
        code, _flags, _values_, filter_name = plist.get_filter(k)
        if code not in BUILT_IN_FILTERS:
            raise ModelFileError(
                _(
                    "{label} is compressed with the HDF5 filter {name!r} ({code}); lstmlab reads weights "
                    "stored plainly or through HDF5's own filters (deflate, shuffle)"
                ).format(label=label, name=filter_name.decode("utf-8", "replace"), code=code)
            )
    return item


def _dtype_words(dtype: np.dtype) -> str | None:
    """What a dataset holds, in words, if it is not floating-point numbers lstmlab reads; else None."""
    h5py = _h5py()
    if h5py.check_string_dtype(dtype) is not None or dtype.kind in "SU":
        return _("text (strings)")
    if h5py.check_ref_dtype(dtype) is not None:
        return _("references to other HDF5 objects")
    if h5py.check_vlen_dtype(dtype) is not None or dtype.kind == "O":
        return _("sequences of varying length")
    if dtype.subdtype is not None:
        return _("an array in each element")
    if dtype.names:
        return _("records of several fields")
    if dtype.kind in "iu":
        return _("whole numbers ({dtype})").format(dtype=dtype.name)
    if dtype.kind == "b":
        return _("true/false values")
    if dtype.kind == "c":
        return _("complex numbers")
    if dtype.kind in "mM":
        return _("dates or times")
    if dtype.kind != "f":
        return _("raw bytes (an HDF5 opaque type)")
    if dtype.itemsize not in FLOAT_BYTES:
        return _("floating-point numbers of {bits} bits").format(bits=dtype.itemsize * 8)
    return None


def _values(item, label: str) -> np.ndarray:
    """The values of a checked dataset (`_dataset`) of a checked shape, as float32."""
    if item.chunks is not None:
        chunks = int(np.prod([-(-n // c) for n, c in zip(item.shape, item.chunks, strict=True)], dtype=object))
        if chunks > MAX_CHUNKS:
            raise ModelFileError(
                ngettext(
                    "{label} is stored in {count} chunk; lstmlab reads a weight stored in at most {limit}",
                    "{label} is stored in {count} chunks; lstmlab reads a weight stored in at most {limit}",
                    chunks,
                ).format(label=label, count=chunks, limit=MAX_CHUNKS)
            )
        # HDF5 reads a whole chunk to give any of it, and a chunk may be declared far larger
        # than the weight (a (1, 128) kernel in one 4 GB chunk compresses to a few MB)
        chunk_bytes = int(np.prod(item.chunks, dtype=object)) * item.dtype.itemsize
        if chunk_bytes > max(int(np.prod(item.shape, dtype=object)) * item.dtype.itemsize, MAX_CHUNK_BYTES):
            raise ModelFileError(
                _(
                    "{label} is stored in HDF5 chunks of shape {chunks} ({value} each) for a weight of shape "
                    "{shape}; lstmlab reads chunks no larger than the weight or {limit}"
                ).format(
                    label=label,
                    chunks=item.chunks,
                    value=_size(chunk_bytes),
                    shape=item.shape,
                    limit=_size(MAX_CHUNK_BYTES),
                )
            )
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
    if not isinstance(document["class_name"], str):
        raise ModelFileError(
            _(
                "{label}: the model's class_name is {value}; expected a name (lstmlab imports a Sequential "
                "model: {SUPPORTED})"
            ).format(label=label, value=json.dumps(document["class_name"]), SUPPORTED=SUPPORTED)
        )
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
        name = settings.get("name", kind)
        if not isinstance(name, str):
            raise ModelFileError(
                _("{label}: layer {kind!r} is named {value}; a layer's name is a text").format(
                    label=label, kind=kind, value=json.dumps(name)
                )
            )
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
    blocks = BLOCKS[cell]
    bias_shape = (2, blocks * units) if cell == "gru" else (blocks * units,)
    expected = [  # by position, not name: two layers of one name are still two layers
        (
            recurrent,
            [(features, blocks * units), (units, blocks * units), bias_shape],
            ("kernel", "recurrent_kernel", "bias"),
        ),
        (dense, [(units, classes), (classes,)], ("kernel", "bias")),
    ]
    total = 4 * sum(int(np.prod(s, dtype=object)) for _layer, shapes, _names in expected for s in shapes)
    if total > MAX_WEIGHT_BYTES:  # before a weight is looked at: a declared shape that matches is bounded too
        raise ModelFileError(
            _(
                "{label}: the weights of layers {recurrent!r} and {dense!r} would take {value} (input shape "
                "({timesteps}, {features}), {units} units, {classes} classes); lstmlab reads models of up to {limit}"
            ).format(
                label=label,
                recurrent=recurrent["name"],
                dense=dense["name"],
                value=_size(total),
                timesteps=timesteps,
                features=features,
                units=units,
                classes=classes,
                limit=_size(MAX_WEIGHT_BYTES),
            )
        )
    arrays = []
    for layer, shapes, weight_names in expected:
        layer_name = layer["name"]
        found = read(layer)  # checked datasets, nothing of them read yet
        for (item, _shown), wanted, weight in zip(found, shapes, weight_names, strict=True):
            if item.shape is None:
                raise ModelFileError(
                    _(
                        "{label}: layer {layer_name!r} {value} has no values (an empty HDF5 dataset), expected "
                        "shape {wanted}"
                    ).format(label=label, layer_name=layer_name, value=weight, wanted=wanted)
                )
            if item.shape != wanted:
                raise ModelFileError(
                    _(
                        "{label}: layer {layer_name!r} {value} has shape {shape}, expected {wanted} (from "
                        "input shape ({timesteps}, {features}), {units} units, {classes} classes)"
                    ).format(
                        label=label,
                        layer_name=layer_name,
                        value=weight,
                        shape=item.shape,
                        wanted=wanted,
                        timesteps=timesteps,
                        features=features,
                        units=units,
                        classes=classes,
                    )
                )
        arrays.append([_values(item, shown) for item, shown in found])
    (kernel, recurrent_kernel, bias), dense_weights = arrays
    if activation == "hard_sigmoid" and not kind.startswith("Keras 2"):
        kernel, recurrent_kernel, bias = (
            _scale_gates(a, cell, units, 1 / KERAS3_HARD_SIGMOID_SCALE) for a in (kernel, recurrent_kernel, bias)
        )
    params = {
        cell: {"kernel": kernel, "recurrent_kernel": recurrent_kernel, "bias": bias},
        "dense": dict(zip(("kernel", "bias"), dense_weights, strict=True)),
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
            if isinstance(value, bool) or value != 0.0:  # false == 0.0 in Python, not in JSON
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

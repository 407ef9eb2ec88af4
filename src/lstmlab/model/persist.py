"""Models as files a user keeps: `config.json` beside `model.safetensors`, written atomically.

config.json holds everything needed to rebuild the model (the run's `Config`: alphabet,
experiment, framing, window length, units, encoding, padding, stateful, activation, ...),
which seed it is, the lstmlab and format versions, and the name, shape, dtype of every
tensor with a checksum of the tensor file. model.safetensors holds the weights, named by
their path in the parameter tree (`lstm.kernel`, `dense.bias`, ...). Never pickle: loading
a pickle runs whatever code it names.

A run trained with several seeds is saved as one model per seed, DIR/seed-<k>/.
"""

import dataclasses
import hashlib
import json
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import jax
import numpy as np
import safetensors
import safetensors.numpy

from lstmlab import __version__
from lstmlab.engine.network import init_model
from lstmlab.errors import LstmlabError, ModelFileError
from lstmlab.i18n import N_, _
from lstmlab.model import folders
from lstmlab.model.trained import Model
from lstmlab.settings.config import Config
from lstmlab.user_files import FileTooLarge, NotAFile, read_bounded

FORMAT = "lstmlab-model"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
SEED_FOLDER = "seed-{}"
# Settings that lstmlab gained after format 1's first release, with the value every model
# saved before then was trained with: those models still load, as the LSTMs they are.
SETTINGS_ADDED_LATER = {"cell": "lstm", "forget_bias": 1.0, "optimizer": "adam"}
REQUIRED_FIELDS = ("format", "format_version", "lstmlab_version", "seed", "config", "tensors", "sha256")
# safetensors' dtype codes as numpy spells them, so that a message compares like with like;
# others (F8_E4M3, ...) are shown as the file spells them
DTYPE_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}
DTYPE_NAMES |= {f"{k}{bits}": f"{kind}{bits}" for k, kind in (("I", "int"), ("U", "uint")) for bits in (8, 16, 32, 64)}


# --- parameter trees as flat, named tensors ---------------------------------------------


def flatten(params: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """{"lstm": {"kernel": a}} -> {"lstm.kernel": a}."""
    flat = {}
    for name, value in params.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def unflatten(flat: dict[str, np.ndarray]) -> dict:
    tree: dict = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".")
        node = tree
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = value
    return tree


def expected_tensors(config: Config) -> dict[str, tuple[tuple[int, ...], str]]:
    """Name -> (shape, dtype) of every tensor a model with this config has, from the same
    `init_params` training uses (traced for shapes only, nothing computed)."""
    shapes = jax.eval_shape(
        lambda: init_model(jax.random.key(0), config)
    )
    return {name: (tuple(s.shape), str(s.dtype)) for name, s in flatten(shapes).items()}


def _to_numpy(params: dict) -> dict:
    return jax.tree_util.tree_map(np.asarray, params)


# --- checking tensors (one set of rules for saving and loading) ---------------------------


Shapes = dict[str, tuple[tuple[int, ...], str]]  # tensor name -> (shape, dtype)


def _expected(config: Config, subject: str) -> Shapes:
    """expected_tensors(config), or one error where the settings build no network at all (say
    units 10**12 in a config.json: too many for an array's shape)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # JAX warns before it overflows: "int64 ... truncated to int32"
            return expected_tensors(config)
    except (OverflowError, ValueError, TypeError, MemoryError, UserWarning):
        raise ModelFileError(
            _(
                "{subject}: the settings describe no network lstmlab can build (units {units}, "
                "{n_alphabet} symbols: its arrays would be too large)"
            ).format(subject=subject, units=config.units, n_alphabet=len(config.alphabet))
        ) from None


def _listing(expected: Shapes) -> str:
    return ", ".join(f"{name} {shape} {dtype}" for name, (shape, dtype) in expected.items())


def _check_tensors(found: Shapes, expected: Shapes, subject: str, where: str) -> None:
    """Raise ModelFileError unless `found` has exactly the `expected` tensors, shapes and dtypes.

    `subject` starts the message (the file, or the model being saved); `where` says where the
    expected shapes come from.
    """
    listing = _listing(expected)
    for name in found:
        if name not in expected:
            raise ModelFileError(
                _("{subject} has an unexpected tensor {name!r}; expected only: {listing}").format(
                    subject=subject, name=name, listing=listing
                )
            )
    for name, (shape, dtype) in expected.items():
        if name not in found:
            raise ModelFileError(
                _("{subject} lacks the tensor {name!r}; expected: {listing}").format(
                    subject=subject, name=name, listing=listing
                )
            )
        found_shape, found_dtype = found[name]
        if found_shape != shape:
            raise ModelFileError(
                _("{subject}: tensor {name!r} has shape {found_shape}, expected {shape} (from {where})").format(
                    subject=subject, name=name, found_shape=found_shape, shape=shape, where=where
                )
            )
        if found_dtype != dtype:
            raise ModelFileError(
                _("{subject}: tensor {name!r} has dtype {found_dtype}, expected {dtype}").format(
                    subject=subject, name=name, found_dtype=found_dtype, dtype=dtype
                )
            )


def _check_finite(tensors: dict[str, np.ndarray], subject: str) -> None:
    """NaN or infinite weights make every prediction NaN: refuse them by name."""
    for name, values in tensors.items():
        bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        if bad:
            raise ModelFileError(
                _(
                    "{subject}: tensor {name!r} holds {bad} NaN or infinite value(s) of {value}; a "
                    "model with them predicts nothing"
                ).format(subject=subject, name=name, bad=bad, value=np.size(values))
            )


# --- saving -----------------------------------------------------------------------------


def save(directory: str | os.PathLike, models: Model | Sequence[Model]) -> Path:
    """Write one model to DIR, or several (one per seed) to DIR/seed-<k>/, atomically.

    Every model's weights are checked against its settings first (names, shapes, float32,
    finite): `save` never writes what `load` would refuse. Everything is written into a fresh
    folder beside DIR and swapped into place only when complete, so a failure, Ctrl-C or
    SIGTERM leaves DIR as it was. An existing DIR is replaced only if it is empty or holds an
    lstmlab model; a DIR that is a symbolic link to such a folder is written through (the
    link stays). Every mistake or failure raises one ModelFileError naming DIR.
    """
    models = [models] if isinstance(models, Model) else list(models)
    directory = Path(directory)
    label = f"cannot save to '{directory}':"
    if not models:
        raise ModelFileError(_("{label} no model to save").format(label=label))
    if len(models) > 1:
        _check_seeds(models, label)
    tensors = [_tensors_of(model, label, len(models) > 1) for model in models]
    check_target(directory)

    def write(folder: Path) -> None:
        if len(models) == 1:
            _write_model(folder, models[0], tensors[0])
            return
        for model, named in zip(models, tensors, strict=True):
            sub = folder / SEED_FOLDER.format(model.seed)
            sub.mkdir()
            _write_model(sub, model, named)

    folders.write_atomically(directory, write, error=ModelFileError, label=label)
    return directory


def check_target(directory: str | os.PathLike) -> Path:
    """Raise ModelFileError unless DIR may be (re)written: absent, empty, or a saved model,
    with the folders above it folders (not files) in which a folder can be created."""
    directory = Path(directory)
    return folders.check_target(
        directory,
        is_ours=_holds_only_models,
        label=_("cannot save to '{directory}':").format(directory=directory),
        kind=_("an lstmlab model"),
        error=ModelFileError,
    )


def _check_seeds(models: list[Model], label: str) -> None:
    """Several models go to seed-<k>/ folders: each needs a seed of its own."""
    seen = set()
    for model in models:
        if not _is_whole(model.seed):
            raise ModelFileError(
                _("{label} a model's seed is {seed!r}; each of several models needs a seed").format(
                    label=label, seed=model.seed
                )
            )
        if model.seed in seen:
            raise ModelFileError(
                _("{label} two models have seed {seed}; each is saved in its own seed-<k>/").format(
                    label=label, seed=model.seed
                )
            )
        seen.add(model.seed)


def _tensors_of(model: Model, label: str, several: bool) -> dict[str, np.ndarray]:
    """The model's weights as named arrays, checked against its settings."""
    subject = f"{label} the model of seed {model.seed}" if several else f"{label} the model"
    if not isinstance(model.params, dict):
        raise ModelFileError(
            _("{subject} has weights that are not a dict of arrays ({type_name})").format(
                subject=subject, type_name=type(model.params).__name__
            )
        )
    tensors = {name: np.ascontiguousarray(value) for name, value in flatten(_to_numpy(model.params)).items()}
    found = {name: (tuple(a.shape), str(a.dtype)) for name, a in tensors.items()}
    _check_tensors(found, _expected(model.config, subject), subject, "its settings")
    _check_finite(tensors, subject)
    return tensors


def _holds_only_models(directory: Path) -> bool:
    """Empty, one saved model, or seed-<k>/ folders that each hold one: what `save` may replace."""
    entries = list(directory.iterdir())
    if not entries:
        return True
    if _is_saved_model(directory):
        return True
    return all(p.is_dir() and p.name.startswith("seed-") and _is_saved_model(p) for p in entries)


def _is_saved_model(folder: Path) -> bool:
    """True if `folder` holds only config.json (ours: it says so) and model.safetensors.

    A user's own config.json beside nothing else is not a model and must not be replaced.
    """
    if not {p.name for p in folder.iterdir()} <= {CONFIG_FILE, WEIGHTS_FILE}:
        return False
    try:
        document = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(document, dict) and document.get("format") == FORMAT


def _write_model(folder: Path, model: Model, tensors: dict[str, np.ndarray]) -> None:
    # Serialised in memory, then written by Python: a full disk is then an OSError with its
    # reason, which write_atomically reports, and the checksum needs no second read.
    data = safetensors.numpy.save(tensors, metadata={"format": FORMAT, "format_version": "1"})
    (folder / WEIGHTS_FILE).write_bytes(data)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lstmlab_version": __version__,
        "seed": model.seed,
        "run_seeds": list(model.run_seeds),
        "saved": "this seed" if len(model.run_seeds) <= 1 else "one model per seed, this one in its own folder",
        "config": model.config.to_dict(),
        "tensors": {name: {"shape": list(a.shape), "dtype": str(a.dtype)} for name, a in tensors.items()},
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    (folder / CONFIG_FILE).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- loading ----------------------------------------------------------------------------


def load(directory: str | os.PathLike) -> Model:
    """Rebuild the model saved in DIR, checking every tensor's name, shape and dtype.

    Any problem (a missing or unreadable file, a broken or foreign one, weights that do not fit
    the settings or are not finite) raises one ModelFileError naming the file and what was
    expected.
    """
    directory = Path(directory)
    try:
        return _load(directory)
    except OSError as e:  # anything unforeseen the file system says (permission denied on the way, ...)
        raise ModelFileError(
            _("cannot read {value}: {value2}").format(value=e.filename or directory, value2=e.strerror or e)
        ) from None


def _load(directory: Path) -> Model:
    if not directory.exists():
        raise ModelFileError(_("no model at '{directory}': the folder does not exist").format(directory=directory))
    if not directory.is_dir():
        raise ModelFileError(
            _("'{directory}' is a file; give the folder that `lstmlab run … --save DIR` wrote").format(
                directory=directory
            )
        )
    config_path = directory / CONFIG_FILE
    if not config_path.exists():
        seeds = sorted(p.name for p in directory.glob("seed-*") if (p / CONFIG_FILE).is_file())
        if seeds:
            choices = ", ".join(str(directory / s) for s in seeds)
            raise ModelFileError(
                _("'{directory}' holds one model per seed; give one of: {choices}").format(
                    directory=directory, choices=choices
                )
            )
        raise ModelFileError(
            _(
                "'{directory}' is not an lstmlab model: it has no {CONFIG_FILE} (expected "
                "{CONFIG_FILE} and {WEIGHTS_FILE}, as `lstmlab run … --save DIR` writes)"
            ).format(directory=directory, CONFIG_FILE=CONFIG_FILE, WEIGHTS_FILE=WEIGHTS_FILE)
        )
    document = _read_document(config_path)
    config = _config_from(document["config"], config_path)
    expected = _expected(config, str(config_path))
    tensors = _read_tensors(directory / WEIGHTS_FILE, document, expected)
    return Model(
        config=config,
        params=unflatten(tensors),
        seed=document["seed"],
        run_seeds=tuple(document.get("run_seeds") or ()),
    )


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not a seed


def _shown(value) -> str:
    """A setting's value as the file spells it: true, null, Infinity; a text quoted."""
    return repr(value) if isinstance(value, str) else json.dumps(value)


MAX_CONFIG_BYTES = 1_000_000  # config.json is a few KB; what is past this is not ours

JSON_KINDS = {
    type(None): N_("a JSON null"),
    bool: N_("a JSON true or false"),
    int: N_("a JSON number"),
    float: N_("a JSON number"),
    str: N_("a JSON text"),
    list: N_("a JSON list"),
    dict: N_("a JSON object"),
}
SETTING_KINDS = {
    int: N_("a whole number"),
    float: N_("a number"),
    bool: N_("true or false"),
    str: N_("a text"),
    str | None: N_("a text or null"),
    int | None: N_("a whole number or null"),
}


def json_kind(value) -> str:
    """What a JSON value is, in words a user knows ("a JSON list"), not Python's type name."""
    return _(JSON_KINDS.get(type(value), N_("a JSON value")))


def _read_bounded(path: Path, limit: int) -> bytes:
    """A model folder's file: a regular file of at most `limit` bytes, or one line saying why not."""
    try:
        return read_bounded(path, limit)
    except OSError as e:
        raise ModelFileError(_("cannot read {path}: {value}").format(path=path, value=e.strerror or e)) from None
    except NotAFile as e:
        raise ModelFileError(_("{path} is {what}, not a regular file").format(path=path, what=e.what)) from None
    except FileTooLarge as e:
        raise ModelFileError(
            _("{path} is larger than {limit} bytes, more than its settings can need").format(path=path, limit=e.limit)
        ) from None


def _read_document(path: Path) -> dict:
    try:
        text = _read_bounded(path, MAX_CONFIG_BYTES).decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFileError(
            _("cannot read {path}: it is not UTF-8 text ({reason} at byte {start})").format(
                path=path, reason=e.reason, start=e.start
            )
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelFileError(
            _("{path} is not valid JSON ({e}); expected the config lstmlab wrote").format(path=path, e=e)
        ) from None
    except RecursionError:
        raise ModelFileError(_("{path} nests too deeply to be the config lstmlab wrote").format(path=path)) from None
    except ValueError:  # Python's guard on integers of over 4,300 digits
        raise ModelFileError(
            _("{path} holds a number too long to read; expected the config lstmlab wrote").format(path=path)
        ) from None
    if not isinstance(document, dict):
        raise ModelFileError(
            _("{path} holds {what}; expected a JSON object").format(path=path, what=json_kind(document))
        )
    for field in REQUIRED_FIELDS:
        if field not in document:
            raise ModelFileError(
                _("{path} lacks the field {field!r} (expected: {value})").format(
                    path=path, field=field, value=", ".join(REQUIRED_FIELDS)
                )
            )
    if document["format"] != FORMAT:
        raise ModelFileError(
            _("{path} has format {value!r}; expected {FORMAT!r}").format(
                path=path, value=document["format"], FORMAT=FORMAT
            )
        )
    version = document["format_version"]
    if not _is_whole(version) or version < 1:
        raise ModelFileError(
            _("{path} has format version {version}; expected a whole number 1..{FORMAT_VERSION}").format(
                path=path, version=_shown(version), FORMAT_VERSION=FORMAT_VERSION
            )
        )
    if version > FORMAT_VERSION:
        raise ModelFileError(
            _(
                "{path} has format version {version}, newer than this lstmlab ({version__}) reads "
                "(up to {FORMAT_VERSION}); upgrade lstmlab"
            ).format(path=path, version=version, version__=__version__, FORMAT_VERSION=FORMAT_VERSION)
        )
    seed = document["seed"]
    if seed is not None and not _is_whole(seed):
        raise ModelFileError(
            _("{path}: 'seed' is {value}; expected a whole number or null").format(path=path, value=json.dumps(seed))
        )
    run_seeds = document.get("run_seeds")
    if run_seeds is not None and not (isinstance(run_seeds, list) and all(_is_whole(s) for s in run_seeds)):
        raise ModelFileError(
            _("{path}: 'run_seeds' is {value}; expected a list of whole numbers").format(
                path=path, value=json.dumps(run_seeds)
            )
        )
    return document


def _config_from(saved, path: Path) -> Config:
    if not isinstance(saved, dict):
        raise ModelFileError(
            _("{path}: 'config' is {what}; expected a JSON object of settings").format(
                path=path, what=json_kind(saved)
            )
        )
    fields = {f.name: f for f in dataclasses.fields(Config)}
    saved = SETTINGS_ADDED_LATER | saved  # a model saved before they existed was trained with these
    for name, field in fields.items():
        if name not in saved:
            raise ModelFileError(
                _("{path} lacks the setting {name!r} in 'config' (expected: {value})").format(
                    path=path, name=name, value=", ".join(fields)
                )
            )
        value = saved[name]
        kind = (float, int) if field.type is float else field.type
        wanted = _(SETTING_KINDS.get(field.type, N_("a value of another kind")))
        # bool is a subclass of int: JSON true must not pass for a number
        if not isinstance(value, kind) or (isinstance(value, bool) and field.type is not bool):
            raise ModelFileError(
                _("{path}: setting {name!r} is {value}; expected {wanted}").format(
                    path=path, name=name, value=_shown(value), wanted=wanted
                )
            )
        if isinstance(value, float) and not math.isfinite(value):  # json reads NaN and Infinity
            raise ModelFileError(
                _("{path}: setting {name!r} is {value}; expected a finite number").format(
                    path=path, name=name, value=_shown(value)
                )
            )
    try:
        return Config().replace(**saved)
    except LstmlabError as e:
        raise ModelFileError(_("{path}: {e}").format(path=path, e=e)) from None


def _read_tensors(path: Path, document: dict, expected: Shapes) -> dict[str, np.ndarray]:
    """Hash the raw bytes first, then parse: a file that is not the one config.json describes
    is refused before any parser reads it."""
    if not path.exists():
        raise ModelFileError(
            _("{path} is missing; expected the weights ({value}) beside {CONFIG_FILE}").format(
                path=path, value=_listing(expected), CONFIG_FILE=CONFIG_FILE
            )
        )
    # The weights the settings ask for, at 8 bytes a number, and the header's room: no more is read.
    limit = 8 * sum(math.prod(shape) for shape, _dtype in expected.values()) + MAX_CONFIG_BYTES
    data = _read_bounded(path, limit)
    if hashlib.sha256(data).hexdigest() != document["sha256"]:
        raise ModelFileError(
            _("{path} does not match the checksum in {CONFIG_FILE}: the file is corrupted or was replaced").format(
                path=path, CONFIG_FILE=CONFIG_FILE
            )
        )
    try:
        # safetensors checks the header and every tensor's offsets; whatever it raises for a
        # file it cannot read (SafetensorError, or worse for a hostile header) is the same answer
        entries = dict(safetensors.deserialize(data))
    except Exception as e:
        raise ModelFileError(
            _("{path} is not a readable safetensors file ({e}); expected the tensors {value}").format(
                path=path, e=e, value=_listing(expected)
            )
        ) from None
    found = {name: (tuple(e["shape"]), DTYPE_NAMES.get(e["dtype"], e["dtype"])) for name, e in entries.items()}
    _check_tensors(found, expected, str(path), f"the settings in {CONFIG_FILE}")
    tensors = {
        name: np.frombuffer(e["data"], dtype=np.dtype(found[name][1]).newbyteorder("<")).reshape(found[name][0])
        for name, e in entries.items()
    }
    _check_finite(tensors, str(path))
    return tensors

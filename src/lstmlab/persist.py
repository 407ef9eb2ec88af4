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
import os
from collections.abc import Sequence
from pathlib import Path

import jax
import numpy as np
import safetensors
import safetensors.numpy

from lstmlab import __version__, folders
from lstmlab.config import Config
from lstmlab.data import input_features
from lstmlab.errors import LstmlabError, ModelFileError
from lstmlab.model import Model
from lstmlab.network import init_params

FORMAT = "lstmlab-model"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
SEED_FOLDER = "seed-{}"
REQUIRED_FIELDS = ("format", "format_version", "lstmlab_version", "seed", "config", "tensors", "sha256")


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
        lambda: init_params(jax.random.key(0), input_features(config), config.units, len(config.alphabet))
    )
    return {name: (tuple(s.shape), str(s.dtype)) for name, s in flatten(shapes).items()}


def _to_numpy(params: dict) -> dict:
    return jax.tree_util.tree_map(np.asarray, params)


# --- saving -----------------------------------------------------------------------------


def save(directory: str | os.PathLike, models: Model | Sequence[Model]) -> Path:
    """Write one model to DIR, or several (one per seed) to DIR/seed-<k>/, atomically.

    Everything is written into a fresh folder beside DIR and renamed into place only when
    complete, so a crash or Ctrl-C leaves DIR as it was. An existing DIR is replaced only
    if it is empty or holds an lstmlab model.
    """
    models = [models] if isinstance(models, Model) else list(models)
    if not models:
        raise ValueError("no model to save")
    directory = Path(directory)
    check_target(directory)

    def write(folder: Path) -> None:
        if len(models) == 1:
            _write_model(folder, models[0])
            return
        for model in models:
            sub = folder / SEED_FOLDER.format(model.seed)
            sub.mkdir()
            _write_model(sub, model)

    folders.write_atomically(directory, write)
    return directory


def check_target(directory: str | os.PathLike) -> Path:
    """Raise ModelFileError unless DIR may be (re)written: absent, empty, or a saved model,
    with the folders above it folders (not files) that can be written."""
    directory = Path(directory)
    return folders.check_target(
        directory,
        is_ours=_holds_only_models,
        label=f"cannot save to '{directory}':",
        kind="an lstmlab model",
        error=ModelFileError,
    )


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
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(document, dict) and document.get("format") == FORMAT


def _write_model(folder: Path, model: Model) -> None:
    tensors = {name: np.ascontiguousarray(value) for name, value in flatten(_to_numpy(model.params)).items()}
    weights = folder / WEIGHTS_FILE
    safetensors.numpy.save_file(tensors, str(weights), metadata={"format": FORMAT, "format_version": "1"})
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lstmlab_version": __version__,
        "seed": model.seed,
        "run_seeds": list(model.run_seeds),
        "saved": "this seed" if len(model.run_seeds) <= 1 else "one model per seed, this one in its own folder",
        "config": model.config.to_dict(),
        "tensors": {name: {"shape": list(a.shape), "dtype": str(a.dtype)} for name, a in tensors.items()},
        "sha256": _sha256(weights),
    }
    (folder / CONFIG_FILE).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- loading ----------------------------------------------------------------------------


def load(directory: str | os.PathLike) -> Model:
    """Rebuild the model saved in DIR, checking every tensor's name, shape and dtype.

    Any problem raises ModelFileError naming the file and what was expected.
    """
    directory = Path(directory)
    if not directory.exists():
        raise ModelFileError(f"no model at '{directory}': the folder does not exist")
    if not directory.is_dir():
        raise ModelFileError(f"'{directory}' is a file; give the folder that `lstmlab run … --save DIR` wrote")
    config_path = directory / CONFIG_FILE
    if not config_path.is_file():
        seeds = sorted(p.name for p in directory.glob("seed-*") if (p / CONFIG_FILE).is_file())
        if seeds:
            choices = ", ".join(str(directory / s) for s in seeds)
            raise ModelFileError(f"'{directory}' holds one model per seed; give one of: {choices}")
        raise ModelFileError(
            f"'{directory}' is not an lstmlab model: it has no {CONFIG_FILE} "
            f"(expected {CONFIG_FILE} and {WEIGHTS_FILE}, as `lstmlab run … --save DIR` writes)"
        )
    document = _read_document(config_path)
    config = _config_from(document["config"], config_path)
    weights_path = directory / WEIGHTS_FILE
    tensors = _read_tensors(weights_path, document, config)
    return Model(
        config=config,
        params=unflatten(tensors),
        seed=document["seed"],
        run_seeds=tuple(document.get("run_seeds") or ()),
    )


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not a seed


def _read_document(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ModelFileError(f"cannot read {path}: {e}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path} is not valid JSON ({e}); expected the config lstmlab wrote") from None
    if not isinstance(document, dict):
        raise ModelFileError(f"{path} holds a JSON {type(document).__name__}; expected an object")
    for field in REQUIRED_FIELDS:
        if field not in document:
            raise ModelFileError(f"{path} lacks the field {field!r} (expected: {', '.join(REQUIRED_FIELDS)})")
    if document["format"] != FORMAT:
        raise ModelFileError(f"{path} has format {document['format']!r}; expected {FORMAT!r}")
    version = document["format_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path} has format version {version!r}; expected a whole number 1..{FORMAT_VERSION}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format version {version}, newer than this lstmlab ({__version__}) reads "
            f"(up to {FORMAT_VERSION}); upgrade lstmlab"
        )
    seed = document["seed"]
    if seed is not None and not _is_whole(seed):
        raise ModelFileError(f"{path}: 'seed' is {json.dumps(seed)}; expected a whole number or null")
    run_seeds = document.get("run_seeds")
    if run_seeds is not None and not (isinstance(run_seeds, list) and all(_is_whole(s) for s in run_seeds)):
        raise ModelFileError(f"{path}: 'run_seeds' is {json.dumps(run_seeds)}; expected a list of whole numbers")
    return document


def _config_from(saved, path: Path) -> Config:
    if not isinstance(saved, dict):
        raise ModelFileError(f"{path}: 'config' is a JSON {type(saved).__name__}; expected an object of settings")
    fields = {f.name: f for f in dataclasses.fields(Config)}
    for name, field in fields.items():
        if name not in saved:
            raise ModelFileError(f"{path} lacks the setting {name!r} in 'config' (expected: {', '.join(fields)})")
        value = saved[name]
        kind = (float, int) if field.type is float else field.type
        if not isinstance(value, kind):
            wanted = getattr(field.type, "__name__", str(field.type))
            raise ModelFileError(f"{path}: setting {name!r} is {value!r}; expected {wanted}")
    try:
        return Config().replace(**saved)
    except LstmlabError as e:
        raise ModelFileError(f"{path}: {e}") from None


def _read_tensors(path: Path, document: dict, config: Config) -> dict[str, np.ndarray]:
    expected = expected_tensors(config)
    listing = ", ".join(f"{name} {shape} {dtype}" for name, (shape, dtype) in expected.items())
    if not path.is_file():
        raise ModelFileError(f"{path} is missing; expected the weights ({listing}) beside {CONFIG_FILE}")
    try:
        data = path.read_bytes()
        tensors = safetensors.numpy.load(data)
    except OSError as e:
        raise ModelFileError(f"cannot read {path}: {e}") from None
    except safetensors.SafetensorError as e:
        raise ModelFileError(
            f"{path} is not a readable safetensors file ({e}); expected the tensors {listing}"
        ) from None
    if hashlib.sha256(data).hexdigest() != document["sha256"]:
        raise ModelFileError(
            f"{path} does not match the checksum in {CONFIG_FILE}: the file is corrupted or was replaced"
        )
    for name in tensors:
        if name not in expected:
            raise ModelFileError(f"{path} has an unexpected tensor {name!r}; expected only: {listing}")
    for name, (shape, dtype) in expected.items():
        if name not in tensors:
            raise ModelFileError(f"{path} lacks the tensor {name!r}; expected: {listing}")
        found = tensors[name]
        if tuple(found.shape) != shape:
            raise ModelFileError(
                f"{path}: tensor {name!r} has shape {tuple(found.shape)}, "
                f"expected {shape} (from the settings in {CONFIG_FILE})"
            )
        if str(found.dtype) != dtype:
            raise ModelFileError(f"{path}: tensor {name!r} has dtype {found.dtype}, expected {dtype}")
    return tensors

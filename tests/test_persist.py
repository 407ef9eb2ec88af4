"""Saving and loading models: round trips, atomic writes, and one clear error per broken file."""

import errno
import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

from lstmlab.errors import ModelFileError
from lstmlab.model import folders, persist
from lstmlab.model.persist import load, save
from tests.untrained import CYRILLIC, untrained

SETTINGS = {
    "timesteps": ("timesteps", {}, "ABC"),
    "features-onehot-cyrillic": ("features", {"alphabet": CYRILLIC, "encoding": "onehot"}, "ЭЮЯ"),
    "stateful": ("stateful", {"units": 8}, "ABCD"),
    "variable-length-mask": ("variable-length", {"padding": "mask", "units": 8}, "BC"),
    "hard-sigmoid-digits": ("naive", {"alphabet": "0123456789", "recurrent_activation": "hard_sigmoid"}, "7"),
    "text": ("timesteps", {"sequence": "to be or not to be", "alphabet": "tobe rn", "encoding": "onehot"}, "to "),
    "gru-stateful": ("stateful", {"cell": "gru", "units": 5}, "ABCD"),
    "rnn": ("timesteps", {"cell": "rnn", "units": 5}, "ABC"),
    "lstm-1997": ("timesteps", {"cell": "lstm-1997", "units": 5}, "ABC"),
    "forget-bias-sgd": ("timesteps", {"forget_bias": 5.0, "optimizer": "sgd", "units": 5}, "ABC"),
}


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", SETTINGS)
def test_save_load_round_trip_gives_identical_predictions(tmp_path, name):
    experiment, overrides, text = SETTINGS[name]
    model = untrained(experiment, **overrides)
    save(tmp_path / "m", model)
    loaded = load(tmp_path / "m")
    assert loaded.config == model.config and loaded.seed == model.seed
    for part in (model.config.cell, "dense"):
        for leaf, value in model.params[part].items():
            np.testing.assert_array_equal(loaded.params[part][leaf], value)
            assert loaded.params[part][leaf].dtype == np.float32
    before, after = model.predict(text, top=3), loaded.predict(text, top=3)
    assert after == before
    assert loaded.generate(text, 4) == model.generate(text, 4)


def test_the_files_name_tensors_by_tree_path_and_record_the_settings(tmp_path):
    model = untrained("timesteps", units=4)
    save(tmp_path / "m", model)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors"]
    tensors = safetensors.numpy.load_file(tmp_path / "m" / "model.safetensors")
    assert {name: t.shape for name, t in tensors.items()} == {
        "lstm.kernel": (1, 16),
        "lstm.recurrent_kernel": (4, 16),
        "lstm.bias": (16,),
        "dense.kernel": (4, 26),
        "dense.bias": (26,),
    }
    document = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))
    assert document["format_version"] == persist.FORMAT_VERSION and document["lstmlab_version"]
    assert document["seed"] == 0 and document["run_seeds"] == [0]
    settings = document["config"]
    assert settings["alphabet"] == "ABCDEFGHIJKLMNOPQRSTUVWXYZ" and settings["units"] == 4
    for field in ("experiment", "framing", "seq_length", "encoding", "padding", "stateful", "recurrent_activation"):
        assert field in settings


def test_several_seeds_save_one_model_per_seed(tmp_path):
    models = [untrained("naive", seed=s, units=4) for s in (3, 5)]
    models = [persist.Model(m.config, m.params, m.seed, (3, 5)) for m in models]
    save(tmp_path / "m", models)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["seed-3", "seed-5"]
    for model in models:
        loaded = load(tmp_path / "m" / f"seed-{model.seed}")
        assert loaded.seed == model.seed and loaded.run_seeds == (3, 5)
        np.testing.assert_array_equal(loaded.params["lstm"]["kernel"], model.params["lstm"]["kernel"])
    with pytest.raises(ModelFileError, match=r"holds one model per seed; give one of: .*seed-3, .*seed-5"):
        load(tmp_path / "m")


def test_saving_over_a_model_replaces_it_whole(tmp_path):
    several = [untrained("naive", seed=s, units=4) for s in (1, 2)]
    save(tmp_path / "m", several)
    one = untrained("naive", seed=9, units=4)
    save(tmp_path / "m", one)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors"]
    assert load(tmp_path / "m").seed == 9
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary folders left beside it


@pytest.mark.parametrize(
    "interruption, raised",
    [(OSError("disk full"), ModelFileError), (KeyboardInterrupt(), KeyboardInterrupt)],
    ids=["disk-full", "ctrl-c"],
)
@pytest.mark.parametrize("existing", [True, False])
def test_an_interrupted_save_leaves_the_folder_as_it_was(tmp_path, monkeypatch, interruption, raised, existing):
    target = tmp_path / "m"
    if existing:
        save(target, untrained("naive", seed=1, units=4))
    before = listing(tmp_path)
    real_write_bytes = Path.write_bytes

    def write_half_then_fail(path, data):
        if path.name != "model.safetensors":
            return real_write_bytes(path, data)
        real_write_bytes(path, data[:100])  # a half-written file
        raise interruption

    monkeypatch.setattr(Path, "write_bytes", write_half_then_fail)
    # an OSError is one line naming the folder (and saying it is untouched); Ctrl-C stays Ctrl-C
    with pytest.raises(
        raised,
        match=f"cannot save to '{target}': disk full; '{target}' is as it was" if raised is ModelFileError else None,
    ):
        save(target, untrained("naive", seed=2, units=4))
    assert listing(tmp_path) == before
    assert target.exists() == existing
    if existing:
        assert load(target).seed == 1


def raise_(error: BaseException):
    raise error


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "renames"])
def test_a_failed_swap_puts_the_old_model_back(tmp_path, monkeypatch, exchange):
    target = tmp_path / "m"
    save(target, untrained("naive", seed=1, units=4))
    before = listing(tmp_path)
    real_replace = os.replace

    def replace_but_not_into_place(src, dst):
        if Path(dst) == target and ".saving-" in str(src):
            raise OSError("rename failed")
        return real_replace(src, dst)

    # the one-step exchange fails, or (a system without it) the rename after moving the old aside
    monkeypatch.setattr(folders, "_exchange", lambda a, b: raise_(OSError("rename failed")) if exchange else False)
    monkeypatch.setattr(os, "replace", replace_but_not_into_place)
    with pytest.raises(ModelFileError, match=f"cannot save to '{target}': rename failed; '{target}' is as it was"):
        save(target, untrained("naive", seed=2, units=4))
    assert listing(tmp_path) == before


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: (d / "notes.txt").write_text("mine"), r"holds files that are not an lstmlab model \(notes.txt\)"),
        (lambda d: d.rmdir() or d.write_text("a file"), "it is a file, not a folder"),
        (lambda d: (d / "config.json").write_text('{"mine": 1}'), r"not an lstmlab model \(config.json\)"),
        (lambda d: (d / "config.json").write_text("not JSON"), r"not an lstmlab model \(config.json\)"),
        (
            lambda d: (d / "seed-1").mkdir() or (d / "seed-1" / "config.json").write_text("{}"),
            r"not an lstmlab model \(seed-1\)",
        ),
    ],
)
def test_saving_never_clobbers_what_is_not_a_model(tmp_path, make, message):
    target = tmp_path / "m"
    target.mkdir()
    make(target)
    before = listing(tmp_path)
    with pytest.raises(ModelFileError, match=message):
        save(target, untrained("naive", units=4))
    assert listing(tmp_path) == before


# --- weights that do not fit their settings are never written ---------------------------------


def with_params(model: persist.Model, change) -> persist.Model:
    """`model` with `change` applied to a writable copy of its weights."""
    params = {part: {leaf: np.array(value) for leaf, value in leaves.items()} for part, leaves in model.params.items()}
    change(params)
    return persist.Model(model.config, params, model.seed, model.run_seeds)


def bfloat16_bias(params: dict) -> None:
    import jax.numpy as jnp  # ml_dtypes' bfloat16, as a JAX model in bfloat16 would hand over

    params["lstm"]["bias"] = np.asarray(jnp.asarray(params["lstm"]["bias"], jnp.bfloat16))


BAD_WEIGHTS = {
    "wrong shape": (
        lambda p: p["dense"].update(bias=np.zeros(27, np.float32)),
        r"the model: tensor 'dense.bias' has shape \(27,\), expected \(26,\) \(from its settings\)$",
    ),
    "float64": (
        lambda p: p["lstm"].update(bias=p["lstm"]["bias"].astype(np.float64)),
        "the model: tensor 'lstm.bias' has dtype float64, expected float32$",
    ),
    "bfloat16": (bfloat16_bias, "the model: tensor 'lstm.bias' has dtype bfloat16, expected float32$"),
    "missing tensor": (lambda p: p["dense"].pop("kernel"), "the model lacks the tensor 'dense.kernel'; expected: "),
    "extra tensor": (
        lambda p: p["lstm"].update(peephole=np.zeros(3, np.float32)),
        "the model has an unexpected tensor 'lstm.peephole'; expected only: ",
    ),
    "NaN": (
        lambda p: p["dense"]["bias"].__setitem__(0, np.nan),
        "the model: tensor 'dense.bias' holds 1 NaN or infinite value.* of 26",
    ),
    "infinity": (
        lambda p: p["lstm"]["kernel"].__setitem__((0, 0), -np.inf),
        "the model: tensor 'lstm.kernel' holds 1 NaN or infinite value.* of 16",
    ),
}


@pytest.mark.parametrize("case", BAD_WEIGHTS)
@pytest.mark.parametrize("existing", [True, False])
def test_weights_that_do_not_fit_their_settings_are_refused_before_writing(tmp_path, case, existing):
    change, message = BAD_WEIGHTS[case]
    target = tmp_path / "m"
    if existing:
        save(target, untrained("timesteps", seed=1, units=4))
    before = listing(tmp_path)
    with pytest.raises(ModelFileError, match=f"^cannot save to '{target}': {message}"):
        save(target, with_params(untrained("timesteps", seed=2, units=4), change))
    assert listing(tmp_path) == before


@pytest.mark.parametrize(
    "models, message",
    [
        ([], "no model to save"),
        (
            lambda: [untrained("naive", seed=3, units=4)] * 2,
            "two models have seed 3; each is saved in its own seed-<k>/",
        ),
        (
            lambda: [untrained("naive", seed=3, units=4), persist.Model(untrained("naive", units=4).config, {}, None)],
            "a model's seed is None; each of several models needs a seed",
        ),
        (
            lambda: persist.Model(untrained("naive", units=4).config, [1, 2], 0),
            r"the model has weights that are not a dict of arrays \(list\)",
        ),
    ],
    ids=["none", "same seed twice", "no seed", "weights not a dict"],
)
def test_models_that_cannot_be_saved_are_one_line(tmp_path, models, message):
    with pytest.raises(ModelFileError, match=f"^cannot save to '{tmp_path / 'm'}': {message}"):
        save(tmp_path / "m", models() if callable(models) else models)
    assert list(tmp_path.iterdir()) == []


# --- where a model is saved: links, read-only places -------------------------------------------


def test_saving_through_a_link_replaces_the_model_it_leads_to(tmp_path):
    save(tmp_path / "v1", untrained("naive", seed=1, units=4))
    (tmp_path / "latest").symlink_to("v1")
    save(tmp_path / "latest", untrained("naive", seed=2, units=4))
    assert (tmp_path / "latest").is_symlink() and os.readlink(tmp_path / "latest") == "v1"
    assert load(tmp_path / "latest").seed == 2 and load(tmp_path / "v1").seed == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "v1"]


def test_saving_to_a_dangling_link_is_one_line(tmp_path):
    (tmp_path / "latest").symlink_to("gone")
    message = f"^cannot save to '{tmp_path / 'latest'}': '{tmp_path / 'latest'}' is a symbolic link to 'gone'"
    with pytest.raises(ModelFileError, match=message + r", which cannot be followed \(No such file or directory\)$"):
        save(tmp_path / "latest", untrained("naive", units=4))
    assert [p.name for p in tmp_path.iterdir()] == ["latest"]


def test_saving_where_no_folder_can_be_created_is_refused_before_training(tmp_path):
    if not Path("/sys").is_dir():
        pytest.skip("no /sys here")
    try:
        os.rmdir(tempfile.mkdtemp(dir="/sys"))
        pytest.skip("folders can be created in /sys here")
    except OSError:
        pass
    with pytest.raises(ModelFileError, match="^cannot save to '/sys/lstmlab/m': cannot create a folder in '/sys': "):
        persist.check_target("/sys/lstmlab/m")  # what `lstmlab run --save` calls before training
    with pytest.raises(ModelFileError, match="^cannot save to '/sys/lstmlab/m': cannot create a folder in '/sys': "):
        save("/sys/lstmlab/m", untrained("naive", units=4))


# --- broken files: one clear error each ------------------------------------------------


@pytest.fixture
def saved(tmp_path) -> Path:
    return save(tmp_path / "m", untrained("timesteps", units=4))


def edit_config(folder: Path, change) -> None:
    path = folder / "config.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def resave_tensors(folder: Path, change) -> None:
    """Rewrite model.safetensors with `change` applied, and its checksum to match."""
    path = folder / "model.safetensors"
    tensors = safetensors.numpy.load_file(path)
    change(tensors)
    safetensors.numpy.save_file(tensors, path)
    edit_config(folder, lambda d: d.update(sha256=hashlib.sha256(path.read_bytes()).hexdigest()))


def rewrite_weights(folder: Path, data: bytes) -> None:
    """Replace model.safetensors by `data`, with its checksum to match: a file consistent with
    config.json that only the parser can refuse."""
    (folder / "model.safetensors").write_bytes(data)
    edit_config(folder, lambda d: d.update(sha256=hashlib.sha256(data).hexdigest()))


def handmade(tensors: dict, *, offsets: dict | None = None, header_length: int | None = None) -> bytes:
    """A safetensors file built by hand (8-byte header length, JSON header, data), so that it can
    say what the library's writer never would. tensors: name -> (dtype, shape, raw bytes)."""
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        span = (offsets or {}).get(name, [len(data), len(data) + len(raw)])
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": span}
        data += raw
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if header_length is None else header_length) + text + data


def as_written(folder: Path, **changed) -> dict:
    """The saved tensors as handmade() takes them, with `changed` ones replaced."""
    tensors = safetensors.numpy.load_file(folder / "model.safetensors")
    return {name: ("F32", a.shape, a.tobytes()) for name, a in tensors.items()} | changed


def bfloat16(values: np.ndarray) -> bytes:
    """The top half of each float32: bfloat16 as a file holds it."""
    return (values.astype(np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()


BROKEN = {
    "missing folder": (lambda d: None, "{d}/nothing", "no model at '{d}/nothing': the folder does not exist"),
    "a file": (lambda d: (d / "file").write_text("x"), "{d}/file", "is a file; give the folder"),
    "no config": (lambda d: (d / "m" / "config.json").unlink(), "{d}/m", "is not an lstmlab model: it has no config"),
    "config not JSON": (
        lambda d: (d / "m" / "config.json").write_text("{units: 3"),
        "{d}/m",
        r"config.json is not valid JSON \(.*line 1",
    ),
    "config a list": (lambda d: (d / "m" / "config.json").write_text("[]"), "{d}/m", "holds a JSON list"),
    "lacks format version": (
        lambda d: edit_config(d / "m", lambda c: c.pop("format_version")),
        "{d}/m",
        "config.json lacks the field 'format_version'",
    ),
    "seed not a number": (
        lambda d: edit_config(d / "m", lambda c: c.update(seed=True)),
        "{d}/m",
        "config.json: 'seed' is true; expected a whole number or null",
    ),
    "seed a text": (
        lambda d: edit_config(d / "m", lambda c: c.update(seed="7")),
        "{d}/m",
        "config.json: 'seed' is \"7\"; expected a whole number or null",
    ),
    "run_seeds not a list": (
        lambda d: edit_config(d / "m", lambda c: c.update(run_seeds=5)),
        "{d}/m",
        "config.json: 'run_seeds' is 5; expected a list of whole numbers",
    ),
    "run_seeds not whole numbers": (
        lambda d: edit_config(d / "m", lambda c: c.update(run_seeds=[1, 2.5])),
        "{d}/m",
        r"config.json: 'run_seeds' is \[1, 2.5\]; expected a list of whole numbers",
    ),
    "lacks a setting": (
        lambda d: edit_config(d / "m", lambda c: c["config"].pop("units")),
        "{d}/m",
        "config.json lacks the setting 'units'",
    ),
    "unknown setting": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(colour="red")),
        "{d}/m",
        "unknown setting 'colour'",
    ),
    "wrong type": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(units="four")),
        "{d}/m",
        "setting 'units' is 'four'; expected a whole number",
    ),
    "learning rate true": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(learning_rate=True)),
        "{d}/m",
        "config.json: setting 'learning_rate' is true; expected a number$",
    ),
    "holdout false": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(holdout=False)),
        "{d}/m",
        "config.json: setting 'holdout' is false; expected a number$",
    ),
    "units true": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(units=True)),
        "{d}/m",
        "config.json: setting 'units' is true; expected a whole number$",
    ),
    "batch size true": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(batch_size=True)),
        "{d}/m",
        r"config.json: setting 'batch_size' is true; expected a whole number or null$",
    ),
    "learning rate infinite": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(learning_rate=float("inf"))),
        "{d}/m",
        "config.json: setting 'learning_rate' is Infinity; expected a finite number$",
    ),
    "units beyond any array": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(units=10**12)),
        "{d}/m",
        "config.json: units 1000000000000 is too many; allowed: 1..4096",
    ),
    "bad setting": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(encoding="morse")),
        "{d}/m",
        "encoding 'morse' is not allowed",
    ),
    "newer format": (
        lambda d: edit_config(d / "m", lambda c: c.update(format_version=persist.FORMAT_VERSION + 1)),
        "{d}/m",
        "has format version 2, newer than this lstmlab .* reads \\(up to 1\\); upgrade lstmlab",
    ),
    "no weights": (
        lambda d: (d / "m" / "model.safetensors").unlink(),
        "{d}/m",
        r"model.safetensors is missing; expected the weights \(.*lstm.kernel \(1, 16\) float32",
    ),
    "truncated": (
        lambda d: rewrite_weights(d / "m", (d / "m" / "model.safetensors").read_bytes()[:-50]),
        "{d}/m",
        "model.safetensors is not a readable safetensors file .*; expected the tensors .*lstm.kernel",
    ),
    "truncated, checksum not updated": (
        lambda d: (d / "m" / "model.safetensors").write_bytes((d / "m" / "model.safetensors").read_bytes()[:-50]),
        "{d}/m",
        "model.safetensors does not match the checksum in config.json",
    ),
    "empty weights": (
        lambda d: rewrite_weights(d / "m", b""),
        "{d}/m",
        "model.safetensors is not a readable safetensors file",
    ),
    "not safetensors": (
        lambda d: rewrite_weights(d / "m", b"\x80\x04\x95 a pickle, say" * 10),
        "{d}/m",
        "model.safetensors is not a readable safetensors file",
    ),
    "a bfloat16 tensor": (
        lambda d: rewrite_weights(
            d / "m", handmade(as_written(d / "m", **{"lstm.bias": ("BF16", (16,), bfloat16(np.ones(16)))}))
        ),
        "{d}/m",
        "model.safetensors: tensor 'lstm.bias' has dtype bfloat16, expected float32",
    ),
    "a float8 tensor": (
        lambda d: rewrite_weights(
            d / "m", handmade(as_written(d / "m", **{"dense.bias": ("F8_E4M3", (26,), bytes(26))}))
        ),
        "{d}/m",
        # safetensors before 0.4 (the floor is 0.3.1) does not know float8 at all
        "model.safetensors(: tensor 'dense.bias' has dtype F8_E4M3, expected float32"
        "| is not a readable safetensors file .*InvalidHeader)",
    ),
    "a dtype safetensors does not know": (
        lambda d: rewrite_weights(d / "m", handmade(as_written(d / "m", **{"dense.bias": ("Q4", (26,), bytes(13))}))),
        "{d}/m",
        "model.safetensors is not a readable safetensors file .*(unknown variant `Q4`|InvalidHeader)",
    ),
    "offsets past the end": (
        lambda d: rewrite_weights(d / "m", handmade(as_written(d / "m"), offsets={"dense.bias": [0, 10**6]})),
        "{d}/m",
        "model.safetensors is not a readable safetensors file .*(offset|TensorInvalidInfo)",
    ),
    "offsets that disagree with the shape": (
        lambda d: rewrite_weights(d / "m", handmade(as_written(d / "m"), offsets={"lstm.bias": [0, 4]})),
        "{d}/m",
        "model.safetensors is not a readable safetensors file .*(offset|TensorInvalidInfo)",
    ),
    "a huge header length": (
        lambda d: rewrite_weights(d / "m", handmade(as_written(d / "m"), header_length=2**62)),
        "{d}/m",
        "model.safetensors is not a readable safetensors file .*([Hh]eader ?[Tt]oo ?[Ll]arge)",
    ),
    "NaN weights": (
        lambda d: resave_tensors(d / "m", lambda t: t.update({"dense.bias": np.full(26, np.nan, np.float32)})),
        "{d}/m",
        "model.safetensors: tensor 'dense.bias' holds 26 NaN or infinite value.* of 26",
    ),
    "an infinite weight": (
        lambda d: resave_tensors(d / "m", lambda t: t["lstm.kernel"].__setitem__((0, 3), np.inf)),
        "{d}/m",
        "model.safetensors: tensor 'lstm.kernel' holds 1 NaN or infinite value.* of 16",
    ),
    "weights a folder": (
        lambda d: (d / "m" / "model.safetensors").unlink() or (d / "m" / "model.safetensors").mkdir(),
        "{d}/m",
        "{d}/m/model.safetensors is a folder, not a regular file",
    ),
    "config a folder": (
        lambda d: (d / "m" / "config.json").unlink() or (d / "m" / "config.json").mkdir(),
        "{d}/m",
        "{d}/m/config.json is a folder, not a regular file",
    ),
    "config not UTF-8": (
        lambda d: (d / "m" / "config.json").write_bytes(b'{"format": "\xff"}'),
        "{d}/m",
        "cannot read {d}/m/config.json: it is not UTF-8 text",
    ),
    "config nested too deeply": (
        lambda d: (d / "m" / "config.json").write_text("[" * 100_000),
        "{d}/m",
        "config.json nests too deeply",
    ),
    "flipped bytes": (
        lambda d: (d / "m" / "model.safetensors").write_bytes(
            (d / "m" / "model.safetensors").read_bytes()[:-4] + b"\x00\x00\xc0\x7f"
        ),
        "{d}/m",
        "does not match the checksum in config.json: the file is corrupted",
    ),
    "wrong shape": (
        lambda d: resave_tensors(d / "m", lambda t: t.update({"dense.bias": np.zeros(27, np.float32)})),
        "{d}/m",
        r"tensor 'dense.bias' has shape \(27,\), expected \(26,\)",
    ),
    "wrong dtype": (
        lambda d: resave_tensors(d / "m", lambda t: t.update({"lstm.bias": t["lstm.bias"].astype(np.float64)})),
        "{d}/m",
        "tensor 'lstm.bias' has dtype float64, expected float32",
    ),
    "missing tensor": (
        lambda d: resave_tensors(d / "m", lambda t: t.pop("dense.kernel")),
        "{d}/m",
        "lacks the tensor 'dense.kernel'",
    ),
    "extra tensor": (
        lambda d: resave_tensors(d / "m", lambda t: t.update({"lstm.peephole": np.zeros(3, np.float32)})),
        "{d}/m",
        "has an unexpected tensor 'lstm.peephole'",
    ),
    "config for another model": (
        lambda d: edit_config(d / "m", lambda c: c["config"].update(units=5)),
        "{d}/m",
        r"tensor 'dense.kernel' has shape \(4, 26\), expected \(5, 26\) \(from the settings in config.json\)",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_model_gets_one_clear_error(saved, case):
    damage, where, message = BROKEN[case]
    folder = saved.parent
    damage(folder)
    with pytest.raises(ModelFileError, match=message.format(d=folder)) as raised:
        load(where.format(d=folder))
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("name", ["config.json", "model.safetensors"])
def test_a_file_that_cannot_be_read_gets_one_clear_error(saved, monkeypatch, name):
    # Root reads files whatever their mode, so the refusal is simulated where the file is read.
    real = persist.read_bounded

    def denied(path, limit):
        if Path(path).name == name:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path, limit)

    monkeypatch.setattr(persist, "read_bounded", denied)
    with pytest.raises(ModelFileError, match=f"^cannot read {saved / name}: Permission denied$"):
        load(saved)


def test_a_folder_that_cannot_be_listed_gets_one_clear_error(tmp_path, monkeypatch):
    (tmp_path / "m").mkdir()

    def denied(path, pattern):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(Path, "glob", denied)
    with pytest.raises(ModelFileError, match=f"^cannot read {tmp_path / 'm'}: Permission denied$"):
        load(tmp_path / "m")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_gets_one_clear_error(saved):
    (saved / "model.safetensors").chmod(0)
    with pytest.raises(ModelFileError, match="cannot read .*model.safetensors: Permission denied"):
        load(saved)


def test_a_model_without_a_seed_loads(saved):
    edit_config(saved, lambda c: c.update(seed=None))
    assert load(saved).seed is None


@pytest.mark.parametrize("cell, tensors", [("gru", ("gru.bias", (2, 15))), ("rnn", ("rnn.kernel", (1, 5)))])
def test_a_saved_model_records_its_cell_and_names_its_tensors_by_it(tmp_path, cell, tensors):
    save(tmp_path / "m", untrained("timesteps", cell=cell, units=5))
    document = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))
    assert document["config"]["cell"] == cell
    name, shape = tensors
    assert document["tensors"][name]["shape"] == list(shape)
    assert load(tmp_path / "m").config.cell == cell


def test_a_model_saved_before_cells_existed_loads_as_the_lstm_it_is(tmp_path):
    """Models saved by earlier lstmlab have no cell, forget_bias or optimizer in config.json."""
    model = untrained("timesteps", units=4)
    save(tmp_path / "m", model)
    path = tmp_path / "m" / "config.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    for name in ("cell", "forget_bias", "optimizer"):
        del document["config"][name]
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = load(tmp_path / "m")
    assert (loaded.config.cell, loaded.config.forget_bias, loaded.config.optimizer) == ("lstm", 1.0, "adam")
    assert loaded.predict("ABC").to_json() == model.predict("ABC").to_json()

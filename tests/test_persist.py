"""Saving and loading models: round trips, atomic writes, and one clear error per broken file."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

from lstmlab import persist
from lstmlab.errors import ModelFileError
from lstmlab.persist import load, save
from tests.untrained import CYRILLIC, untrained

SETTINGS = {
    "timesteps": ("timesteps", {}, "ABC"),
    "features-onehot-cyrillic": ("features", {"alphabet": CYRILLIC, "encoding": "onehot"}, "ЭЮЯ"),
    "stateful": ("stateful", {"units": 8}, "ABCD"),
    "variable-length-mask": ("variable-length", {"padding": "mask", "units": 8}, "BC"),
    "hard-sigmoid-digits": ("naive", {"alphabet": "0123456789", "recurrent_activation": "hard_sigmoid"}, "7"),
    "text": ("timesteps", {"sequence": "to be or not to be", "alphabet": "tobe rn", "encoding": "onehot"}, "to "),
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
    for part in ("lstm", "dense"):
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


@pytest.mark.parametrize("interruption", [OSError("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("existing", [True, False])
def test_an_interrupted_save_leaves_the_folder_as_it_was(tmp_path, monkeypatch, interruption, existing):
    target = tmp_path / "m"
    if existing:
        save(target, untrained("naive", seed=1, units=4))
    before = listing(tmp_path)
    real_save_file = safetensors.numpy.save_file

    def save_half_then_fail(tensors, filename, metadata=None):
        real_save_file(tensors, filename, metadata=metadata)
        Path(filename).write_bytes(Path(filename).read_bytes()[:100])  # a half-written file
        raise interruption

    monkeypatch.setattr(safetensors.numpy, "save_file", save_half_then_fail)
    with pytest.raises(type(interruption)):
        save(target, untrained("naive", seed=2, units=4))
    assert listing(tmp_path) == before
    assert target.exists() == existing
    if existing:
        assert load(target).seed == 1


def test_a_failed_swap_puts_the_old_model_back(tmp_path, monkeypatch):
    target = tmp_path / "m"
    save(target, untrained("naive", seed=1, units=4))
    before = listing(tmp_path)
    real_replace = os.replace

    def replace_but_not_into_place(src, dst):
        if Path(dst) == target and ".saving-" in str(src):
            raise OSError("rename failed")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_but_not_into_place)
    with pytest.raises(OSError, match="rename failed"):
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
    edit_config(folder, lambda d: d.update(sha256=persist._sha256(path)))


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
        "setting 'units' is 'four'; expected int",
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
        lambda d: (d / "m" / "model.safetensors").write_bytes((d / "m" / "model.safetensors").read_bytes()[:-50]),
        "{d}/m",
        "model.safetensors is not a readable safetensors file .*; expected the tensors .*lstm.kernel",
    ),
    "empty weights": (
        lambda d: (d / "m" / "model.safetensors").write_bytes(b""),
        "{d}/m",
        "model.safetensors is not a readable safetensors file",
    ),
    "not safetensors": (
        lambda d: (d / "m" / "model.safetensors").write_bytes(b"\x80\x04\x95 a pickle, say" * 10),
        "{d}/m",
        "model.safetensors is not a readable safetensors file",
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
    with pytest.raises(ModelFileError, match=message.format(d=folder)):
        load(where.format(d=folder))


def test_a_model_without_a_seed_loads(saved):
    edit_config(saved, lambda c: c.update(seed=None))
    assert load(saved).seed is None

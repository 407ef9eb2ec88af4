"""Issue 21 (trust), the Keras import: a hostile HDF5 feature (external storage, external or
soft links, virtual datasets, a huge declared shape, a dtype that is not float, an unknown
filter) or a hostile zip (an encrypted member, a bomb, odd or duplicate member names) is
refused in one line with status 2, before anything is read from it, and no model folder is
written; messages name what the file holds in words a user knows, not Python's types."""

import io
import json
import os
import re
import shutil
import warnings
import zipfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.cli import invoke

DATA = Path(__file__).parent / "data" / "keras"
SECRET = b"LSTMLAB_TRUST_TOKEN=hunter2-do-not-leak;" * 40  # 1600 bytes: more than any weight asks for

# the timesteps fixture's weights, as the two formats keep them (the LSTM kernel, (1, 128))
ARCHIVE_VARS = "layers/lstm/cell/vars"
LEGACY_CELL = "model_weights/lstm_2/sequential_2/lstm_2/lstm_cell"


def refused(source: Path, out: Path, *options) -> str:
    """Import `source`; assert status 2, one `Error:` line, no traceback, no folder; the line."""
    result = invoke("import-keras", source, "--out", out, *options)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert not out.exists()
    return lines[0]


# --- building hostile files -------------------------------------------------------------------


def zip_members(source: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(source) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(target: Path, members, compression=zipfile.ZIP_STORED) -> Path:
    """`members`: (name, bytes) pairs, duplicates allowed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name; here it is the point
        with zipfile.ZipFile(target, "w", compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return target


def archive_with(tmp: Path, change) -> Path:
    """timesteps.keras with its model.weights.h5 changed by `change(h5py.File, tmp)`."""
    members = zip_members(DATA / "timesteps.keras")
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        change(f, tmp)
    members["model.weights.h5"] = buffer.getvalue()
    return write_zip(tmp / "hostile.keras", members.items())


def legacy_with(tmp: Path, change) -> Path:
    """timesteps.h5 changed by `change(h5py.File, tmp)`."""
    shutil.copy(DATA / "timesteps.h5", tmp / "hostile.h5")
    with h5py.File(tmp / "hostile.h5", "a") as f:
        change(f, tmp)
    return tmp / "hostile.h5"


def kernel_place(f) -> tuple[h5py.Group, str]:
    """The group that holds the LSTM kernel, and its name there, in either format."""
    if ARCHIVE_VARS in f:
        return f[ARCHIVE_VARS], "0"
    return f[LEGACY_CELL], "kernel"


# Each builder replaces the weight `name` of `group` (in the open file `f`; `tmp` for other files).


def replace(group, name, **create):
    del group[name]
    group.create_dataset(name, **create)


def external_storage(group, name, f, tmp):
    secret = tmp / "environ"
    secret.write_bytes(SECRET)
    shape = group[name].shape
    replace(group, name, shape=shape, dtype="<f4", external=[(str(secret), 0, 4 * int(np.prod(shape)))])


def external_link(group, name, f, tmp):
    with h5py.File(tmp / "other.h5", "w") as other:
        other.create_dataset("kernel", data=group[name][()])
    del group[name]
    group[name] = h5py.ExternalLink(str(tmp / "other.h5"), "/kernel")


def external_link_above(group, name, f, tmp):
    """A group on the path, not the dataset, is the link (the whole LSTM layer in another file)."""
    layer = "model_weights/lstm_2" if "model_weights" in f else "layers/lstm"
    with h5py.File(tmp / "other.h5", "w") as other:
        f.copy(f[layer], other, "layer")
    del f[layer]
    f[layer] = h5py.ExternalLink(str(tmp / "other.h5"), "/layer")


def soft_link_missing(group, name, f, tmp):
    del group[name]
    group[name] = h5py.SoftLink("/no/such/kernel")


def soft_link(group, name, f, tmp):
    f.create_dataset("elsewhere", data=group[name][()])
    del group[name]
    group[name] = h5py.SoftLink("/elsewhere")


def virtual_dataset(group, name, f, tmp):
    shape = group[name].shape
    with h5py.File(tmp / "source.h5", "w") as other:
        other.create_dataset("x", data=group[name][()])
    layout = h5py.VirtualLayout(shape=shape, dtype="<f4")
    layout[...] = h5py.VirtualSource(str(tmp / "source.h5"), "x", shape=shape)
    del group[name]
    group.create_virtual_dataset(name, layout)


HUGE = (1 << 40, 128)  # 512 TiB of float32 declared in a few KB: refused before any allocation


def huge_shape(group, name, f, tmp):
    replace(group, name, shape=HUGE, dtype="<f4", chunks=(1, 128), compression="gzip")


def integer_dtype(group, name, f, tmp):
    replace(group, name, data=np.zeros(group[name].shape, np.int32))


def string_dtype(group, name, f, tmp):
    replace(group, name, data=np.full(group[name].shape, b"x", dtype="S4"))


def vlen_string_dtype(group, name, f, tmp):
    replace(group, name, shape=group[name].shape, dtype=h5py.string_dtype())


def compound_dtype(group, name, f, tmp):
    replace(group, name, shape=group[name].shape, dtype=np.dtype([("a", "<f4"), ("b", "<i4")]))


def unknown_filter(group, name, f, tmp):
    shape = group[name].shape
    replace(group, name, data=np.zeros(shape, np.float32), chunks=shape, compression="lzf")


def empty_dataset(group, name, f, tmp):
    replace(group, name, data=h5py.Empty("<f4"))


def at_the_kernel(build):
    def change(f, tmp):
        group, name = kernel_place(f)
        build(group, name, f, tmp)

    return change


# feature -> (what builds it, the line's expected text as a regex, after "layer 'lstm_2' weight ...")
HDF5_FEATURES = {
    "external-storage": (external_storage, r"keeps its values in another file '.*environ' \(HDF5 external storage\)"),
    "external-link": (external_link, r"is a link to '/kernel' in another file '.*other\.h5'"),
    "external-link-above": (external_link_above, r"is a link to '/layer' in another file '.*other\.h5'"),
    "soft-link-missing": (soft_link_missing, r"is a link to '/no/such/kernel'; a Keras file has no links"),
    "soft-link": (soft_link, r"is a link to '/elsewhere'; a Keras file has no links"),
    "virtual-dataset": (virtual_dataset, r"is an HDF5 virtual dataset \(its values are in other files\)"),
    "huge-shape": (huge_shape, r"kernel has shape \(1099511627776, 128\), expected \(1, 128\) \(from input"),
    "integer-dtype": (integer_dtype, r"holds whole numbers \(int32\); expected floating-point numbers"),
    "string-dtype": (string_dtype, r"holds text \(strings\); expected floating-point numbers"),
    "vlen-string-dtype": (vlen_string_dtype, r"holds text \(strings\); expected floating-point numbers"),
    "compound-dtype": (compound_dtype, r"holds records of several fields; expected floating-point numbers"),
    "unknown-filter": (unknown_filter, r"is compressed with the HDF5 filter 'lzf' \(32000\); lstmlab reads"),
    "empty-dataset": (empty_dataset, r"kernel has no values \(an empty HDF5 dataset\), expected shape \(1, 128\)"),
}
FORMATS = {
    "keras": (archive_with, r"'[^']*hostile\.keras'( model\.weights\.h5)?: layer 'lstm_2' "),
    "h5": (legacy_with, r"'[^']*hostile\.h5': layer 'lstm_2' "),
}


@pytest.mark.parametrize("form", list(FORMATS))
@pytest.mark.parametrize("feature", list(HDF5_FEATURES))
def test_a_hostile_hdf5_feature_is_refused_naming_the_layer(tmp_path, feature, form):
    build, expected = HDF5_FEATURES[feature]
    write, prefix = FORMATS[form]
    source = write(tmp_path, at_the_kernel(build))
    line = refused(source, tmp_path / "out")
    assert re.fullmatch(r"Error: " + prefix + r".*" + expected + r".*", line), line


def test_external_storage_never_copies_a_local_file_into_the_model(tmp_path):
    """The review's case: the dataset's values named /proc/self/environ; the process's
    environment (tokens included) ended up in model.safetensors."""
    source = archive_with(tmp_path, at_the_kernel(external_storage))
    line = refused(source, tmp_path / "out")
    assert "hunter2" not in line
    assert not any(b"hunter2" in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "environ")


def test_the_proc_environ_of_the_review_is_refused(tmp_path):
    def environ(group, name, f, tmp):
        replace(group, name, shape=(1, 128), dtype="<f4", external=[("/proc/self/environ", 0, 512)])

    line = refused(legacy_with(tmp_path, at_the_kernel(environ)), tmp_path / "out")
    assert line.endswith(
        "layer 'lstm_2' weight 'sequential_2/lstm_2/lstm_cell/kernel' keeps its values in another file "
        "'/proc/self/environ' (HDF5 external storage); lstmlab reads only values inside the model file"
    ), line


def test_a_huge_declared_shape_is_refused_before_it_is_read(tmp_path, monkeypatch):
    source = archive_with(tmp_path, at_the_kernel(huge_shape))
    read = []
    original = h5py.Dataset.__getitem__

    def watched(self, key):
        read.append(self.name)
        return original(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", watched)
    refused(source, tmp_path / "out")
    assert "/layers/lstm/cell/vars/0" not in read


def test_a_model_too_large_to_read_is_refused_before_its_weights(tmp_path):
    """The shapes the layers ask for are bounded too: an input of 10**9 features would make
    the kernel (10**9, 128) a dataset that matches and still asks for 512 GB."""

    def wide(document):
        document["config"]["layers"][0]["config"]["batch_shape"] = [None, 3, 10**9]
        return document

    members = zip_members(DATA / "timesteps.keras")
    members["config.json"] = json.dumps(wide(json.loads(members["config.json"]))).encode()
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        replace(f[ARCHIVE_VARS], "0", shape=(10**9, 128), dtype="<f4", chunks=(1, 128), compression="gzip")
    members["model.weights.h5"] = buffer.getvalue()
    line = refused(write_zip(tmp_path / "wide.keras", members.items()), tmp_path / "out")
    assert line.endswith(
        "the weights of layers 'lstm_2' and 'dense_2' would take 488281 MB (input shape (3, 1000000000), "
        "32 units, 26 classes); lstmlab reads models of up to 256 MB"
    ), line


def test_a_weight_in_too_many_chunks_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """Time is bounded too: a weight of the right shape kept in one chunk per number."""
    import lstmlab.model.keras_read as keras_read

    monkeypatch.setattr(keras_read, "MAX_CHUNKS", 100)

    def tiny_chunks(group, name, f, tmp):
        replace(group, name, data=group[name][()], chunks=(1, 1))

    line = refused(legacy_with(tmp_path, at_the_kernel(tiny_chunks)), tmp_path / "out")
    assert line.endswith(
        "layer 'lstm_2' weight 'sequential_2/lstm_2/lstm_cell/kernel' is stored in 128 chunks; lstmlab reads a "
        "weight stored in at most 100"
    ), line


@pytest.mark.parametrize("source", ["timesteps.h5", "timesteps.keras"])
def test_a_config_past_its_limit_is_refused_naming_the_limit(tmp_path, monkeypatch, source):
    import lstmlab.model.keras_read as keras_read

    monkeypatch.setattr(keras_read, "MAX_CONFIG_BYTES", 1024)  # the fixture's config is 3438 bytes
    line = refused(DATA / source, tmp_path / "out")
    assert line == f"Error: '{DATA / source}'" + (
        ": the HDF5 attribute 'model_config' is larger than 1 KB; a Keras model keeps a few KB there"
        if source.endswith(".h5")
        else ": config.json is larger than 1 KB; not a model's config"
    ), line


# --- hostile zips -----------------------------------------------------------------------------


def encrypted(tmp: Path) -> Path:
    """timesteps.keras with its config.json marked encrypted (bit 0 of the zip's flags)."""
    write_zip(tmp / "hostile.keras", zip_members(DATA / "timesteps.keras").items())
    data = bytearray((tmp / "hostile.keras").read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local header, central directory
        at = 0
        while (at := data.find(signature, at)) >= 0:
            data[at + offset] |= 1
            at += 4
    (tmp / "hostile.keras").write_bytes(bytes(data))
    return tmp / "hostile.keras"


def with_members(extra, change=None):
    def make(tmp: Path) -> Path:
        members = zip_members(DATA / "timesteps.keras")
        if change is not None:
            members = change(members)
        return write_zip(tmp / "hostile.keras", [*members.items(), *extra], zipfile.ZIP_DEFLATED)

    return make


def padded_config(size: int):
    def change(members):
        return {**members, "config.json": members["config.json"] + b" " * size}

    return change


ZIP_HAZARDS = {
    "encrypted": (encrypted, "'{src}': member 'metadata.json' is encrypted; lstmlab reads unencrypted archives"),
    "absolute-name": (
        with_members([("/etc/cron.d/job", b"x")]),
        "'{src}' holds a member named '/etc/cron.d/job'; a member's name must be a relative path without '..'",
    ),
    "dotdot-name": (
        with_members([("assets/../../escape.txt", b"x")]),
        "'{src}' holds a member named 'assets/../../escape.txt'; a member's name must be a relative path without '..'",
    ),
    "duplicate-name": (
        with_members([("config.json", b"{}")]),
        "'{src}' holds two members named 'config.json'; a Keras archive names each once",
    ),
    "config-too-large": (
        with_members([], padded_config(2_000_000)),
        "'{src}': config.json is larger than 1 MB; not a model's config",
    ),
    "too-many-members": (
        with_members([(f"assets/{k}", b"") for k in range(1001)]),
        "'{src}' holds 1004 members; a Keras archive of lstmlab's kind holds at most 1000",
    ),
}


@pytest.mark.parametrize("hazard", list(ZIP_HAZARDS))
def test_a_hostile_zip_is_refused_in_one_line(tmp_path, hazard):
    make, expected = ZIP_HAZARDS[hazard]
    source = make(tmp_path)
    assert refused(source, tmp_path / "out") == "Error: " + expected.format(src=source)


def test_a_member_past_its_limit_is_refused_naming_the_limit(tmp_path, monkeypatch):
    import lstmlab.model.keras_read as keras_read

    monkeypatch.setattr(keras_read, "MAX_MEMBER_BYTES", 1 << 16)  # the weights are 83024 bytes
    source = write_zip(tmp_path / "big.keras", zip_members(DATA / "timesteps.keras").items(), zipfile.ZIP_DEFLATED)
    assert refused(source, tmp_path / "out") == (
        f"Error: '{source}': model.weights.h5 is larger than 64 KB; not a model lstmlab reads"
    )


def test_a_member_larger_than_its_zip_declares_is_refused(tmp_path):
    """A bomb that lies: the central directory says 1000 bytes, the member inflates to 83024."""
    source = write_zip(tmp_path / "liar.keras", zip_members(DATA / "timesteps.keras").items(), zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo("model.weights.h5")
        size = info.file_size
    data = bytearray(source.read_bytes())
    at = -1
    name = b"model.weights.h5"
    while True:  # the central directory entry of the weights: its uncompressed size at offset 24
        at = data.find(b"PK\x01\x02", at + 1)
        if data[at + 46 : at + 46 + len(name)] == name:
            break
    assert int.from_bytes(data[at + 24 : at + 28], "little") == size
    data[at + 24 : at + 28] = (1000).to_bytes(4, "little")
    source.write_bytes(bytes(data))
    line = refused(source, tmp_path / "out")
    assert line.startswith(f"Error: '{source}' is a damaged or truncated zip"), line


def test_a_pipe_is_refused_without_waiting_on_it(tmp_path):
    os.mkfifo(tmp_path / "model.keras")  # opening it to read would wait for a writer, for ever
    assert refused(tmp_path / "model.keras", tmp_path / "out") == (
        f"Error: '{tmp_path / 'model.keras'}' is not a regular file; give a Keras model file (.keras or .h5)"
    )


# --- messages in words a user knows (no Python type names) -----------------------------------


def edited_config(change):
    def make(tmp: Path) -> Path:
        members = zip_members(DATA / "timesteps.keras")
        members["config.json"] = json.dumps(change(json.loads(members["config.json"]))).encode()
        return write_zip(tmp / "edited.keras", members.items())

    return make


def set_top(field, value):
    def change(document):
        document[field] = value
        return document

    return change


def set_layer(index, field, value):
    def change(document):
        document["config"]["layers"][index]["config"][field] = value
        return document

    return change


WORDS = {
    "class-name-null": (edited_config(set_top("class_name", None)), "the model's class_name is null; expected a name"),
    "class-name-true": (edited_config(set_top("class_name", True)), "the model's class_name is true; expected a name"),
    "class-name-list": (edited_config(set_top("class_name", ["S"])), 'the model\'s class_name is ["S"]; expected a'),
    "layer-name-null": (
        edited_config(set_layer(1, "name", None)),
        "layer 'LSTM' is named null; a layer's name is a text",
    ),
    "mask-value-false": (
        edited_config(
            lambda d: {
                **d,
                "config": {
                    **d["config"],
                    "layers": [
                        d["config"]["layers"][0],
                        {"class_name": "Masking", "config": {"name": "masking", "mask_value": False}},
                        *d["config"]["layers"][1:],
                    ],
                },
            }
        ),
        "layer 'masking' (Masking): mask_value is false; lstmlab pads with 0.0",
    ),
}


@pytest.mark.parametrize("case", list(WORDS))
def test_a_message_names_json_values_as_json_does(tmp_path, case):
    make, expected = WORDS[case]
    line = refused(make(tmp_path), tmp_path / "out")
    assert expected in line, line
    assert not re.search(r"\b(None|True|False|NoneType|bool|dict|list|str)\b", line), line


# --- fuzz: a valid file with one random hostile HDF5 feature ----------------------------------

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# the weight a feature replaces: (the archive's group and name, the legacy file's)
WEIGHTS = {
    "kernel": ((ARCHIVE_VARS, "0"), (LEGACY_CELL, "kernel")),
    "recurrent-kernel": ((ARCHIVE_VARS, "1"), (LEGACY_CELL, "recurrent_kernel")),
    "bias": ((ARCHIVE_VARS, "2"), (LEGACY_CELL, "bias")),
    "dense-kernel": (("layers/dense/vars", "0"), ("model_weights/dense_2/sequential_2/dense_2", "kernel")),
    "dense-bias": (("layers/dense/vars", "1"), ("model_weights/dense_2/sequential_2/dense_2", "bias")),
}


@FUZZ
@given(
    feature=st.sampled_from(list(HDF5_FEATURES)),
    form=st.sampled_from(list(FORMATS)),
    weight=st.sampled_from(list(WEIGHTS)),
)
def test_fuzz_a_random_hdf5_feature_is_one_line_and_no_folder(tmp_path_factory, feature, form, weight):
    tmp = tmp_path_factory.mktemp("fuzz")
    build, _ = HDF5_FEATURES[feature]
    (group_path, name) = WEIGHTS[weight][0 if form == "keras" else 1]

    def change(f, tmp):
        build(f[group_path], name, f, tmp)

    write, _ = FORMATS[form]
    line = refused(write(tmp, change), tmp / "out")
    assert re.search(r"layer '(lstm_2|dense_2)'", line), line

def test_a_weight_in_one_huge_chunk_is_refused_before_it_is_read(tmp_path):
    """Memory is bounded too: HDF5 reads a whole chunk to give any of it, and a (1, 128) kernel
    may be declared in one chunk of 8 MB (or 4 GB) that compresses to a few KB."""

    def big_chunk(group, name, f, tmp):
        data = group[name][()]
        replace(
            group, name, shape=(1, 128), maxshape=(None, 128), chunks=(1 << 14, 128), dtype="<f4", compression="gzip"
        )
        group[name][...] = data

    line = refused(legacy_with(tmp_path, at_the_kernel(big_chunk)), tmp_path / "out")
    assert line.endswith(
        "layer 'lstm_2' weight 'sequential_2/lstm_2/lstm_cell/kernel' is stored in HDF5 chunks of shape (16384, 128) "
        "(8 MB each) for a weight of shape (1, 128); lstmlab reads chunks no larger than the weight or 1 MB"
    ), line

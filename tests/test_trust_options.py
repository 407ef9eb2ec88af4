"""Issue 21, trust: a kept program is checked before it runs (a damaged one is rebuilt, said
in one line, and the numbers are a clean cache's)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lstmlab import programs
from lstmlab.cli import app
from lstmlab.config import load_config
from lstmlab.data import make_dataset
from lstmlab.training import train

# --- item 9: the kept programs carry a checksum ------------------------------------------------

CONFIG = load_config("timesteps", epochs=4, units=5)
PATTERNS = make_dataset(CONFIG).train
LEARNING_RATE = np.float32(CONFIG.learning_rate).tobytes()  # a constant inside the epochs program


def kept(cache: Path) -> dict[str, Path]:
    return {p.name.split("-")[0]: p for p in (cache / "programs").glob(f"*{programs.SUFFIX}")}


def same_training(a, b) -> None:
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    for name in ("kernel", "recurrent_kernel", "bias"):
        np.testing.assert_array_equal(a.params["lstm"][name], b.params["lstm"][name])


def flip(data: bytes) -> bytes:
    middle = bytearray(data)
    for i in range(len(data) // 2, len(data) // 2 + 8):
        middle[i] ^= 0xFF
    return bytes(middle)


def another_learning_rate(data: bytes) -> bytes:
    """The same program, still parseable, with twice the learning rate: only a checksum tells."""
    assert data.count(LEARNING_RATE) == 1
    return data.replace(LEARNING_RATE, np.float32(2 * CONFIG.learning_rate).tobytes())


def without_header(data: bytes) -> bytes:
    """The program alone, without the line of its checksum."""
    header, newline, program = data.partition(b"\n")
    return program if header.startswith(b"lstmlab-program sha256 ") else data


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A training from an empty cache, and the program files it kept (by file name: the key
    of a program does not name the cache's folder)."""
    cache = tmp_path_factory.mktemp("clean-cache")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LSTMLAB_CACHE_DIR", str(cache))
        result = train(CONFIG, PATTERNS, seeds=[3])
    return result, {path.name: path.read_bytes() for path in kept(cache).values()}


@pytest.mark.parametrize(
    "damage",
    [
        flip,
        another_learning_rate,
        lambda data: data[: len(data) // 2],  # cut off
        lambda data: b"",
        without_header,
    ],
    ids=["flipped-bytes", "changed-constant", "truncated", "empty", "no-checksum"],
)
def test_a_damaged_kept_program_is_rebuilt_said_in_one_line_and_gives_a_clean_caches_numbers(
    damage, clean, tmp_path, monkeypatch, capsys
):
    first, files = clean
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path))
    (tmp_path / "programs").mkdir()
    for name, data in files.items():
        (tmp_path / "programs" / name).write_bytes(data)
    epochs = kept(tmp_path)["epochs"]
    epochs.write_bytes(damage(files[epochs.name]))

    again = train(CONFIG, PATTERNS, seeds=[3])

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    pattern = rf"Warning: the kept program '{re.escape(str(epochs))}' was damaged \(.+\); building it again"
    assert re.fullmatch(pattern, lines[0]), lines[0]
    same_training(first, again)
    same_training(first, train(CONFIG, PATTERNS, seeds=[3]))  # from the program written over it
    assert capsys.readouterr().err == ""  # which is whole


def test_a_damaged_kept_program_is_one_warning_line_for_the_command_and_status_0(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path))
    args = ["run", "naive", "--epochs", "2", "--units", "3", "--json"]
    clean_run = CliRunner().invoke(app, args)
    assert clean_run.exit_code == 0, clean_run.output
    for path in kept(tmp_path).values():
        path.write_bytes(flip(path.read_bytes()))

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == len(kept(tmp_path)) == 3  # one line per program: init, epochs, evaluate
    pattern = r"Warning: the kept program '.+\.jaxexport' was damaged \(.+\); building it again"
    assert all(re.fullmatch(pattern, line) for line in lines), lines
    untimed = [{k: v for k, v in json.loads(r.stdout).items() if k != "timing"} for r in (clean_run, result)]
    assert untimed[0] == untimed[1]


def test_the_source_digest_covers_every_module_in_every_folder(tmp_path):
    package = tmp_path / "package"
    (package / "engine").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "engine" / "loop.py").write_text("STEPS = 1\n")
    before = programs.digest_of(package)
    (package / "engine" / "loop.py").write_text("STEPS = 2\n")
    edited = programs.digest_of(package)
    (package / "engine" / "loop.py").rename(package / "loop.py")
    moved = programs.digest_of(package)
    assert len({before, edited, moved}) == 3
    assert programs.source_digest() == programs.digest_of(Path(programs.__file__).parent)

"""Trust in what a user names (issue 21, items 4, 5, 8, 11, 13): every text setting can be
written before training starts, a fault after training keeps the models, the current folder
is never a target, a killed save's leftovers are cleaned, SIGHUP is Ctrl-C, every file a user
names is read bounded, and stdout may be closed, a pipe that goes away or an ASCII terminal."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lstmlab.engine import runner
from lstmlab.model import folders
from lstmlab.model.persist import load, save
from lstmlab.settings import request
from tests.cli import invoke, one_error_line
from tests.untrained import untrained

LSTMLAB = [sys.executable, "-m", "lstmlab.cli"]


@pytest.fixture
def no_training(monkeypatch):
    """A check that is meant to come before training fails the test if training starts."""

    def train(*args, **kwargs):
        raise AssertionError("training started before the check")

    monkeypatch.setattr(runner, "train", train)


# --- 4: a text setting that cannot be written is refused before training ----------------------


def test_an_alphabet_of_bytes_that_are_not_utf8_is_refused_before_training(tmp_path, no_training):
    # $'\xff\xfeABCD' in a shell: Python hands such bytes over as lone surrogates
    line = one_error_line(invoke("run", "naive", "--alphabet", "\udcff\udcfeABCD", "--save", tmp_path / "m"))
    assert line == (
        "Error: the alphabet is not valid text: position 0 holds U+DCFF, which is not a character "
        "(bytes that were not UTF-8?); give it as UTF-8 text"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", ["--save", "--out"])
def test_a_folder_name_that_is_not_utf8_is_refused_before_training(tmp_path, no_training, option):
    target = tmp_path / "m\udcff"
    args = ["run", "timesteps", "--epochs", "2", option, target] + (["--seeds", "2"] if option == "--out" else [])
    line = one_error_line(invoke(*args))
    shown = str(target).encode("utf-8", "backslashreplace").decode()  # as stderr shows it
    label = f"cannot save to '{shown}':" if option == "--save" else f"--out {str(target)!r}:"
    assert (
        line
        == f"Error: {label} the name is not UTF-8 text, and lstmlab records it in what it writes; give a UTF-8 name"
    )
    assert list(tmp_path.iterdir()) == []


# --- 5: save first, always --------------------------------------------------------------------


def _evaluation_runs_out_of_memory(monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise MemoryError("cannot allocate 8 GiB")

    monkeypatch.setattr(runner, "answers_many", out_of_memory)


def test_a_failure_while_evaluating_keeps_the_saved_model_and_says_where(tmp_path, monkeypatch):
    _evaluation_runs_out_of_memory(monkeypatch)
    line = one_error_line(invoke("run", "naive", "--epochs", "3", "--save", tmp_path / "m"))
    assert line == (
        "Error: evaluating the trained models failed (MemoryError: cannot allocate 8 GiB); "
        f"they are saved in '{tmp_path / 'm'}'"
    )
    model = load(tmp_path / "m")
    assert model.config.epochs == 3 and model.config.experiment == "naive"


def test_a_failure_while_evaluating_a_run_not_saved_keeps_its_models_in_the_cache(monkeypatch):
    _evaluation_runs_out_of_memory(monkeypatch)
    line = one_error_line(invoke("run", "naive", "--epochs", "3", "--seeds", "2"))
    prefix = "Error: evaluating the trained models failed (MemoryError: cannot allocate 8 GiB); they are saved in '"
    assert line.startswith(prefix) and line.endswith("'")
    kept = Path(line.removeprefix(prefix)[:-1])
    assert kept.parent.name == "unsaved" and kept.name.startswith("naive-")
    assert [load(folder).seed for folder in sorted(kept.iterdir())] == [1, 2]  # --seeds 2: seeds 1 and 2


# --- 8: the current folder, a killed save's leftovers, SIGHUP --------------------------------


@pytest.mark.parametrize(
    ("args", "label", "example"),
    [
        (["run", "naive", "--save", "."], "cannot save to '.':", "lstmlab-out"),
        (["run", "naive", "--save", ".."], "cannot save to '..':", "../lstmlab-out"),
        (["run", "timesteps", "--seeds", "2", "--out", "."], "--out '.':", "lstmlab-out"),
        (["reproduce", "--seeds", "2", "--out", ".."], "--out '..':", "../lstmlab-out"),
    ],
)
def test_the_current_folder_or_one_above_it_is_refused_before_any_work(
    tmp_path, monkeypatch, no_training, args, label, example
):
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    line = one_error_line(invoke(*args, "--epochs", "2"))
    assert line == (
        f"Error: {label} it is the current folder or a folder above it; "
        f"give the name of a folder to create, such as '{example}'"
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["here"]


def _a_finished_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_save_removes_what_a_killed_save_left_and_keeps_a_running_ones(tmp_path):
    gone, alive = _a_finished_pid(), os.getppid()  # the test runner's parent is still running
    left = [tmp_path / f".m.saving-{gone}-x1", tmp_path / f".m.old-{gone}-x2", tmp_path / f".m.writing-{gone}-x3.tmp"]
    for path in left[:2]:
        path.mkdir()
        (path / "config.json").write_text("{}")
    left[2].write_bytes(b"half")
    running = tmp_path / f".m.saving-{alive}-x4"
    running.mkdir()
    others = [tmp_path / f".n.saving-{gone}-x5", tmp_path / ".m.saving-x6"]  # another target's; an older lstmlab's
    for path in others:
        path.mkdir()
    save(tmp_path / "m", untrained("naive", units=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m", running.name, *(p.name for p in others)])


def test_a_file_write_removes_what_a_killed_write_left(tmp_path):
    gone = _a_finished_pid()
    (tmp_path / f".r.json.writing-{gone}-ab.tmp").write_bytes(b"{")
    folders.write_file_atomically(tmp_path / "r.json", b"{}")
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def _catches(pid: int, signum: int) -> bool:
    """Whether process `pid` has a handler for `signum` (SigCgt in /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    return bool(caught >> (signum - 1) & 1)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc to know the handler is in place")
@pytest.mark.parametrize(
    "signum, delay",
    [(signal.SIGHUP, 0.0), (signal.SIGHUP, 0.5), (signal.SIGTERM, 0.2), (signal.SIGTERM, 0.5)]
    + [(signal.SIGINT, 0.5), (signal.SIGINT, 1.5)],
    ids=lambda value: value.name if isinstance(value, signal.Signals) else f"{value}s",
)
def test_sighup_and_sigterm_are_ctrl_c_one_line_and_nothing_written(tmp_path, signum, delay):
    """Sent as the command starts, while JAX imports (an interrupt cutting jaxlib's set-up
    short crashed the process, or left Python to end itself by SIGINT), and while training,
    where JAX's garbage-collection callback nearly always is when a signal arrives (a
    KeyboardInterrupt raised there used to be ignored, and training went on)."""
    target = tmp_path / "m"
    child = subprocess.Popen(
        [*LSTMLAB, "run", "timesteps", "--epochs", "100000", "--seeds", "4", "--save", target],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not _catches(child.pid, signal.SIGHUP) and time.monotonic() < deadline:  # lstmlab's handlers are set
        time.sleep(0.05)
    time.sleep(delay)  # into the start-up, the import of JAX, the work
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 128 + signum, stderr  # 130 for Ctrl-C
    assert stderr.strip().splitlines()[-1] == "Interrupted." and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


# --- 11: bounded reads of every file a user names --------------------------------------------


def test_a_sequence_file_that_is_not_a_regular_file_is_refused(tmp_path, no_training):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    for path, what in (
        (Path("/dev/zero"), "a device"),
        (fifo, "a named pipe"),
        (tmp_path, "a folder"),
        (link, "a device"),
    ):
        line = one_error_line(invoke("run", "naive", "--sequence-file", path))
        assert line == f"Error: the sequence file '{path}' is {what}, not a regular file; give a text file"


def test_a_sequence_file_past_the_limit_is_refused_without_reading_it_whole(tmp_path, monkeypatch, no_training):
    monkeypatch.setattr(request, "MAX_SEQUENCE_BYTES", 1000)
    (tmp_path / "t.txt").write_text("AB" * 501)
    line = one_error_line(invoke("run", "naive", "--sequence-file", tmp_path / "t.txt"))
    assert line == (
        f"Error: the sequence file '{tmp_path / 't.txt'}' is larger than 1000 bytes, the most lstmlab reads; "
        "give a shorter text"
    )
    (tmp_path / "t.txt").write_text("AB" * 500)  # at the limit: read
    assert request.read_sequence(tmp_path / "t.txt") == "AB" * 500


def test_a_text_of_20000_distinct_characters_is_refused_before_its_one_hot_array_is_made(tmp_path, no_training):
    (tmp_path / "t.txt").write_text("".join(chr(0x4E00 + i) for i in range(20000)), encoding="utf-8")
    line = one_error_line(invoke("run", "naive", "--sequence-file", tmp_path / "t.txt"))
    # 19,999 windows of one symbol: 19,999 × (20,000 one-hot inputs + 20,000 targets)
    assert line == (
        "Error: 19999 patterns over an alphabet of 20000 symbols need 799960000 numbers for inputs and targets; "
        f"allowed: up to {2**28} (give a shorter text, fewer distinct symbols or scalar encoding)"
    )


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("model") / "m"
    save(folder, untrained("naive", units=2))
    return folder


def _variant(saved_model: Path, tmp_path: Path, change) -> Path:
    folder = tmp_path / "v"
    shutil.copytree(saved_model, folder)
    change(folder)
    return folder


def _config_with(**fields):
    def change(folder):
        document = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps(document | fields))

    return change


def _linked_to_dev_zero(name):
    def change(folder):
        (folder / name).unlink()
        (folder / name).symlink_to("/dev/zero")

    return change


def _grown(folder):
    with open(folder / "model.safetensors", "ab") as file:
        file.write(b"\0" * 2_000_000)


def _huge_number(folder):
    text = (folder / "config.json").read_text()
    (folder / "config.json").write_text(text.replace('"seed": 7', '"seed": ' + "9" * 5001, 1))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_linked_to_dev_zero("config.json"), "{v}/config.json is a device, not a regular file"),
        (_linked_to_dev_zero("model.safetensors"), "{v}/model.safetensors is a device, not a regular file"),
        (_grown, r"{v}/model.safetensors is larger than \d+ bytes, more than its settings can need"),
        (_huge_number, "{v}/config.json holds a number too long to read; expected the config lstmlab wrote"),
        (_config_with(format_version=True), "{v}/config.json has format version true; expected a whole number 1..1"),
        (_config_with(config=[1]), "{v}/config.json: 'config' is a JSON list; expected a JSON object of settings"),
        (_config_with(config=None), "{v}/config.json: 'config' is a JSON null; expected a JSON object of settings"),
    ],
    ids=[
        "config-dev-zero",
        "weights-dev-zero",
        "weights-too-large",
        "5001-digits",
        "version-true",
        "config-list",
        "config-null",
    ],
)
def test_a_model_folder_file_out_of_bounds_is_one_line(saved_model, tmp_path, change, expected):
    import re

    folder = _variant(saved_model, tmp_path, change)
    line = one_error_line(invoke("predict", folder, "A"))
    assert re.fullmatch("Error: " + expected.format(v=re.escape(str(folder))), line), line


def test_a_setting_of_the_wrong_kind_is_named_in_words(saved_model, tmp_path):
    def units_true(folder):
        document = json.loads((folder / "config.json").read_text())
        document["config"]["units"] = True
        (folder / "config.json").write_text(json.dumps(document))

    folder = _variant(saved_model, tmp_path, units_true)
    line = one_error_line(invoke("predict", folder, "A"))
    assert line == f"Error: {folder}/config.json: setting 'units' is true; expected a whole number"


# --- 13: output streams ----------------------------------------------------------------------


def test_help_into_a_pipe_that_closes_early_exits_0_quietly():
    shell = f"{' '.join(LSTMLAB)} --help | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "0" and done.stderr == ""


def test_a_closed_stdout_still_trains_and_saves(tmp_path):
    shell = f"{' '.join(LSTMLAB)} run naive --epochs 2 --save {tmp_path / 'm'} >&-"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert load(tmp_path / "m").config.epochs == 2


def test_an_ascii_terminal_gets_escapes_not_a_crash():
    env = os.environ | {"PYTHONIOENCODING": "ascii", "LSTMLAB_LANG": "ru"}
    done = subprocess.run([*LSTMLAB, "list"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.isascii() and "\\u042d" in done.stdout  # Cyrillic, escaped
    done = subprocess.run([*LSTMLAB, "run", "nope"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2 and done.stderr.startswith("\\u041e\\u0448\\u0438\\u0431\\u043a\\u0430: ")


def test_an_interrupt_while_the_options_are_read_is_the_same_line(monkeypatch):
    """Typer turns a KeyboardInterrupt while it reads the options into a silent status 130 (a
    signal just after start-up): it is `Interrupted.` as everywhere else."""
    from lstmlab.cli.group import OneLineErrors

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(OneLineErrors, "make_context", interrupted)
    result = invoke("list")
    assert (result.exit_code, result.output) == (130, "Interrupted.\n")

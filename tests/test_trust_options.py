"""Issue 21, trust: a kept program is checked before it runs (a damaged one is rebuilt, said
in one line, and the numbers are a clean cache's); an option given as zero or empty is refused,
never read as "the default"; every number an option or a saved config takes has a cap, checked
before any work."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import lstmlab
from lstmlab.cli.app import app
from lstmlab.engine import programs
from lstmlab.engine.data import make_dataset
from lstmlab.engine.training import train
from lstmlab.settings.config import load_config

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
    assert programs.source_digest() == programs.digest_of(Path(lstmlab.__file__).parent)  # every subpackage


# --- items 10 and 12: zero or empty is refused, every number has a cap ---------------------------


def refused(args: list[str], folder: Path, monkeypatch) -> str:
    """The one line a refused command prints, after checking status 2 and that nothing was written."""
    monkeypatch.chdir(folder)  # reproduce and compare write to ./report and ./compare by default
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert list(folder.iterdir()) == [], list(folder.iterdir())
    return lines[0]


QUICK_TASK = ["--cells", "rnn", "--seeds", "1", "--budget", "10"]  # were a refused option run, it is quick
NO_LAGS = "--lags is empty; give lags like 10,20,50,100, or leave it out for those"

ZERO_OR_EMPTY = [
    (["gradients", "long-lag", "--cell", "rnn", "--seeds", "1", "--lag", "3", "--budget", "0", "--out", "g.png"],
     "budget must be a positive whole number, got 0"),
    (["compare", "long-lag", "--lags", "", *QUICK_TASK], NO_LAGS),
    (["compare", "long-lag", "--lags", " ", *QUICK_TASK], NO_LAGS),
    (["compare", "long-lag", "--cells", "", "--lags", "3"], "--cells is empty; give cells like lstm,lstm:5,gru"),
    (["gradients", "long-lag", "--cell", "", "--lag", "3"], "--cells is empty; give cells like lstm,lstm:5,gru"),
    (["reproduce", "--experiments", "", "--seeds", "1", "--epochs", "1"],
     "--experiments is empty; give experiments like naive,timesteps, or leave it out for all"),
    (["gradients", "long-lag", "--cell", "rnn", "--seeds", "1", "--lag", "0"],
     "lag must be a positive whole number, got 0"),
    (["compare", "long-lag", "--lags", "3", "--cells", "rnn", "--seeds", "1", "--budget", "0"],
     "budget must be a positive whole number, got 0"),
    (["compare", "long-lag", "--lags", "3", "--cells", "rnn", "--seeds", "1", "--check-every", "0"],
     "check every must be a positive whole number, got 0"),
    (["run", "long-lag", "--lag", "3", "--budget", "0"], "budget must be a positive whole number, got 0"),
    (["reproduce", "--epochs", "0", "--seeds", "1"], "epochs must be a positive whole number, got 0"),
    (["reproduce", "--epochs-scale", "0", "--seeds", "1"], "--epochs-scale must be positive and finite, got 0.0"),
    (["predict", "no-model", "A", "--top", "0"], "--top 0 is not allowed; give a whole number in 1..1,000"),
    (["generate", "no-model", "--start", "A", "--steps", "0"],
     "--steps 0 is not allowed; give a whole number in 1..10,000"),
]  # fmt: skip


@pytest.mark.parametrize("args, line", ZERO_OR_EMPTY, ids=[" ".join(a)[:70] for a, _ in ZERO_OR_EMPTY])
def test_zero_or_empty_is_refused_never_read_as_the_default(args, line, tmp_path, monkeypatch):
    assert refused(args, tmp_path, monkeypatch) == f"Error: {line}"


ABOVE_THE_CAP = [
    (["run", "naive", "--epochs", "100001"], "epochs 100,001 is too many; allowed: 1..100,000"),
    (["run", "naive", "--epochs", str(10**12)], "epochs 1,000,000,000,000 is too many; allowed: 1..100,000"),
    (["run", "naive", "--batch-size", "1000001"], "batch size 1,000,001 is too large; allowed: 1..1,000,000"),
    (["run", "naive", "--units", "4097"], "units 4097 is too many; allowed: 1..4096"),
    (["run", "naive", "--learning-rate", "100.5"], "learning rate 100.5 is too large; allowed: above 0, up to 100"),
    (["run", "naive", "--learning-rate", "inf"], "learning rate must be positive, got inf"),
    (["run", "naive", "--learning-rate", "nan"], "learning rate must be positive, got nan"),
    (["run", "naive", "--forget-bias", "100.5"], "forget bias 100.5 is not allowed; give a number in -100..100"),
    (["run", "naive", "--forget-bias", "-inf"], "forget bias -inf is not allowed; give a number in -100..100"),
    (["run", "timesteps", "--seq-length", "1001"], "seq length 1,001 is too long; allowed: 1..1,000"),
    (["run", "naive", "--seed", str(2**63)],
     "seed must be a whole number in 0..9223372036854775807, got 9223372036854775808"),
    (["run", "naive", "--seeds", "100001"], "--seeds '100001' names 100,001 seeds; at most 100,000 are allowed"),
    (["run", "naive", "--holdout", "nan"], "holdout nan must be a fraction in [0, 1)"),
    (["run", "naive", "--holdout", "1"], "holdout 1.0 must be a fraction in [0, 1)"),
    (["run", "naive", "--seeds", "2", "--group", "100001", "--out", "sweep"],
     "--group 100001 is not allowed; give a whole number in 1..100,000"),
    (["run", "adding", "--lag", "10001"], "lag 10001 is not allowed for 'adding'; allowed: 10..10000"),
    (["run", "adding", "--budget", "100000001"],
     "budget 100,000,001 is too large; allowed: 1..100,000,000 training sequences"),
    (["run", "adding", "--batch-size", "1000001"], "batch size 1,000,001 is too large; allowed: 1..1,000,000"),
    (["run", "adding", "--learning-rate", "101"], "learning rate 101.0 is too large; allowed: above 0, up to 100"),
    (["run", "adding", "--units", "4097"], "units 4097 is too many; allowed: 1..4096"),
    (["reproduce", "--epochs", "100001", "--seeds", "1"], "epochs 100,001 is too many; allowed: 1..100,000"),
    (["reproduce", "--epochs-scale", "20.5", "--seeds", "1"],
     "--epochs-scale 20.5 is too large; allowed: above 0, up to 20"),
    (["reproduce", "--epochs-scale", "1e300", "--seeds", "1"],
     "--epochs-scale 1e+300 is too large; allowed: above 0, up to 20"),
    (["reproduce", "--epochs-scale", "inf", "--seeds", "1"], "--epochs-scale must be positive and finite, got inf"),
    (["compare", "long-lag", "--lags", "10001", "--cells", "rnn"],
     "lag 10001 is not allowed for 'long-lag'; allowed: 2..10000"),
    (["compare", "long-lag", "--lags", ",".join(map(str, range(1, 52))), "--cells", "rnn"],
     "--lags names 51 lags; at most 50 are allowed"),
    (["compare", "long-lag", "--cells", ",".join(f"lstm:{b}" for b in range(21)), "--lags", "3"],
     "--cells names 21 cells; at most 20 are allowed"),
    (["compare", "long-lag", "--lags", "3", "--units", "4097"], "units 4097 is too many; allowed: 1..4096"),
    (["compare", "long-lag", "--lags", "3", "--learning-rate", "1e3"],
     "learning rate 1000.0 is too large; allowed: above 0, up to 100"),
    (["compare", "long-lag", "--lags", "3", "--group", "100001"],
     "--group 100001 is not allowed; give a whole number in 1..100,000"),
    (["compare", "long-lag", "--lags", "3", "--budget", "100000001"],
     "budget 100,000,001 is too large; allowed: 1..100,000,000 training sequences"),
    (["gradients", "long-lag", "--lag", "10001"], "lag 10001 is not allowed for 'long-lag'; allowed: 2..10000"),
    (["gradients", "long-lag", "--lag", "3", "--budget", "100000001"],
     "budget 100,000,001 is too large; allowed: 1..100,000,000 training sequences"),
    (["predict", "no-model", "A", "--top", "1001"], "--top 1001 is not allowed; give a whole number in 1..1,000"),
    (["generate", "no-model", "--start", "A", "--steps", "10001"],
     "--steps 10001 is not allowed; give a whole number in 1..10,000"),
    (["generate", "no-model", "--start", "A", "--steps", str(10**12)],
     "--steps 1000000000000 is not allowed; give a whole number in 1..10,000"),
    (["serve", "--port", "65536"], "port 65536 is not allowed; give 1..65535, or 0 for any free port"),
]  # fmt: skip


@pytest.mark.parametrize("args, line", ABOVE_THE_CAP, ids=[" ".join(a)[:70] for a, _ in ABOVE_THE_CAP])
def test_just_above_the_cap_is_one_line_before_any_work(args, line, tmp_path, monkeypatch):
    assert refused(args, tmp_path, monkeypatch) == f"Error: {line}"


def test_at_the_cap_is_allowed():
    from lstmlab.results.comparison import parse_cells, parse_lags
    from lstmlab.results.reproduction import scaled_config
    from lstmlab.settings import config
    from lstmlab.settings.experiments import EXPERIMENTS, get_experiment

    assert load_config("naive", epochs=config.MAX_EPOCHS).epochs == 100_000
    assert load_config("naive", batch_size=config.MAX_BATCH_SIZE, learning_rate=100.0).learning_rate == 100.0
    text = "".join(chr(0x4E00 + i) for i in range(1200))
    assert load_config("timesteps", sequence=text, alphabet=text, seq_length=1000).seq_length == config.MAX_SEQ_LENGTH
    task = config.load_task_config(
        "adding", lag=config.MAX_LAG, budget=config.MAX_BUDGET, batch_size=config.MAX_BATCH_SIZE,
        check_every=config.MAX_BATCH_SIZE, learning_rate=config.MAX_LEARNING_RATE, units=config.MAX_UNITS,
    )  # fmt: skip
    assert (task.lag, task.budget) == (10_000, 100_000_000)
    longest = max(EXPERIMENTS, key=lambda name: load_config(name).epochs)  # 5,000 epochs
    assert scaled_config(get_experiment(longest), None, config.MAX_EPOCHS_SCALE).epochs == config.MAX_EPOCHS
    assert len(parse_lags(",".join(map(str, range(1, 51))), "long-lag")) == config.MAX_LAGS
    assert len(parse_cells(",".join(f"lstm:{b}" for b in range(20)))) == config.MAX_CELLS
    assert config.check_count("--top", config.MAX_TOP, config.MAX_TOP) == 1000
    assert config.check_count("--steps", config.MAX_STEPS, config.MAX_STEPS) == 10_000


def test_a_saved_config_past_a_cap_is_refused_by_name(tmp_path):
    from lstmlab.model.persist import save
    from tests.untrained import untrained

    save(tmp_path / "m", untrained("timesteps", units=3))
    path = tmp_path / "m" / "config.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["config"]["epochs"] = 100_001
    path.write_text(json.dumps(document), encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "m"), "ABC"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"Error: {path}: epochs 100,001 is too many; allowed: 1..100,000"


@pytest.mark.parametrize(
    "command, option, text",
    [
        ("run", "--epochs", "1..100,000"),
        ("run", "--batch-size", "1..1,000,000"),
        ("run", "--units", "1..4096"),
        ("run", "--learning-rate", "above 0 up to 100"),
        ("run", "--seq-length", "1..1000"),
        ("run", "--group", "1..100,000"),
        ("reproduce", "--epochs", "1..100,000"),
        ("reproduce", "--epochs-scale", "above 0, up to 20"),
        ("compare", "--cells", "at most 20"),
        ("compare", "--lags", "at most 50"),
        ("compare", "--units", "1..4096"),
        ("predict", "--top", "1..1000"),
        ("generate", "--steps", "1..10,000"),
    ],
)
def test_the_help_says_each_cap(command, option, text, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    result = CliRunner().invoke(app, [command, "--help"])
    row = next(line for line in result.output.splitlines() if re.match(rf"│ (\* +)?{option} ", line))
    assert text in row, row

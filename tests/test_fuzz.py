"""Fuzzing as tests: whatever a user types or a disk does to a model folder, a command ends
with a result (status 0) or one `Error:` line (status 2): never a traceback, never a file
changed outside the target it names."""

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.model.persist import save
from tests.untrained import untrained

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-models")
    save(root / "window", untrained("timesteps", units=4))
    save(root / "stateful", untrained("stateful", units=4))
    save(root / "runs", untrained("variable-length", units=4))
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def check(args: list[str], folder: Path, target: str | None = None) -> None:
    """Run; assert status 0 with output, or status 2 with one Error line; and that nothing
    in `folder` changed except under `target`, the folder the command was told to write."""
    before = snapshot(folder)
    result = CliRunner().invoke(app, args)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:
        assert result.stdout.strip()
    else:
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (args, result.output)
    after = snapshot(folder)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert {name for name in changed if target is None or name.split("/")[0] != target} == set(), changed


TEXT = st.text(st.characters(codec="utf-8"), max_size=8) | st.text("ABCXYZ", max_size=8)


@FUZZ
@given(kind=st.sampled_from(["window", "stateful", "runs"]), text=TEXT, command=st.sampled_from(["predict", "inspect"]))
def test_any_text_to_predict_or_inspect(models, kind, text, command):
    check([command, str(models / kind), text], models)


@FUZZ
@given(kind=st.sampled_from(["window", "stateful", "runs"]), start=TEXT, warmup=TEXT, steps=st.integers(-3, 6))
def test_any_text_to_generate(models, kind, start, warmup, steps):
    check(["generate", str(models / kind), "--start", start, "--steps", str(steps), "--warmup", warmup], models)


@FUZZ
@given(
    name=st.sampled_from(["config.json", "model.safetensors"]),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=4),
    cut=st.none() | st.integers(0, 10**6),
)
def test_damaged_model_files(models, tmp_path, name, flips, cut):
    model = shutil.copytree(models / "window", tmp_path / f"m-{len(list(tmp_path.iterdir()))}")
    data = bytearray((model / name).read_bytes())
    for position, mask in flips:
        data[position % len(data)] ^= mask
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    (model / name).write_bytes(bytes(data))
    check(["predict", str(model), "ABC"], tmp_path)


OPTION_VALUES = {
    "--epochs": st.sampled_from(["-1", "0", "1", "2", "x", "1e3", ""]),
    "--batch-size": st.sampled_from(["0", "1", "7", "all", "half", "-2"]),
    "--units": st.sampled_from(["0", "1", "3", "-4", "many"]),
    "--seq-length": st.sampled_from(["0", "1", "2", "5", "25", "26", "99"]),
    "--alphabet": st.sampled_from(["", "A", "AB", "ABCA", "ABCDEFG", "абвгд", "🙂🙃😀😁😂"]),
    "--holdout": st.sampled_from(["0", "0.2", "1", "-0.1", "nan", "inf", "x"]),
    "--padding": st.sampled_from(["zero", "mask", "left"]),
    "--activation": st.sampled_from(["sigmoid", "hard_sigmoid", "relu"]),
    "--encoding": st.sampled_from(["scalar", "onehot", "morse"]),
    "--seed": st.sampled_from(["0", "7", "-1", "99999999999999999999", "x"]),
    "--seeds": st.sampled_from(["2", "1,3", "3-1", "0", "1,1", "x"]),
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    experiment=st.sampled_from(["naive", "features", "stateful", "variable-length", "nope"]),
    options=st.dictionaries(st.sampled_from(sorted(OPTION_VALUES)), st.none(), max_size=4).flatmap(
        lambda chosen: st.fixed_dictionaries({name: OPTION_VALUES[name] for name in chosen})
    ),
    save_to=st.booleans(),
)
def test_any_options_to_run(tmp_path, experiment, options, save_to):
    options.setdefault("--epochs", "1")
    if options["--epochs"] not in {"-1", "0", "x", ""}:  # a real training run: keep it short
        options["--epochs"] = "1"
    args = ["run", experiment, *(part for item in options.items() for part in item), "--json"]
    target = f"saved-{len(list(tmp_path.iterdir()))}"
    if save_to:
        args += ["--save", str(tmp_path / target)]
    check(args, tmp_path, target if save_to else None)

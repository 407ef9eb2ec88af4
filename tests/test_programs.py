"""Training programs kept between runs (lstmlab.engine.programs): a warm run loads the exported
program instead of tracing it, gets the very same numbers, and a broken or unwritable
cache only costs time."""

import numpy as np
import pytest

from lstmlab.engine import programs
from lstmlab.engine.data import make_dataset
from lstmlab.engine.training import train
from lstmlab.settings.config import load_config

CONFIG = load_config("timesteps", epochs=4, units=6)
PATTERNS = make_dataset(CONFIG).train


def kept(cache) -> list[str]:
    return sorted(p.name for p in (cache / "programs").glob(f"*{programs.SUFFIX}"))


def same_training(a, b) -> None:
    np.testing.assert_array_equal(a.loss, b.loss)
    for name in ("kernel", "recurrent_kernel", "bias"):
        np.testing.assert_array_equal(a.params["lstm"][name], b.params["lstm"][name])


def test_a_second_run_loads_the_kept_programs_and_gets_the_same_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path))
    first = train(CONFIG, PATTERNS, seeds=[3, 4])
    files = kept(tmp_path)
    assert [name.split("-")[0] for name in files] == ["epochs", "init"]

    traced = []
    monkeypatch.setattr(programs.export, "export", lambda *a, **k: traced.append(a) or pytest.fail("traced"))
    second = train(CONFIG, PATTERNS, seeds=[3, 4])
    assert kept(tmp_path) == files and traced == []
    same_training(first, second)


def test_the_kept_program_computes_what_plain_jit_computes(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path))
    exported = train(CONFIG, PATTERNS, seeds=[5])
    monkeypatch.setattr(programs, "cached", lambda name, fn, args, key, donate=False: programs.jax.jit(fn))
    same_training(exported, train(CONFIG, PATTERNS, seeds=[5]))


def test_a_damaged_program_file_is_replaced_and_the_run_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path))
    first = train(CONFIG, PATTERNS, seeds=[1])
    for path in (tmp_path / "programs").iterdir():
        path.write_bytes(path.read_bytes()[:100])
    same_training(first, train(CONFIG, PATTERNS, seeds=[1]))
    assert all(p.stat().st_size > 100 for p in (tmp_path / "programs").iterdir())


def test_an_unwritable_cache_costs_time_not_the_run(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path / "file" / "cache"))
    result = train(CONFIG, PATTERNS, seeds=[2])
    assert result.loss.shape == (1, 4) and np.isfinite(result.loss).all()


def test_the_key_names_everything_that_shapes_a_program(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(tmp_path))
    args = (np.zeros((2, 3), np.float32),)
    base = programs.program_path("epochs", {"config": CONFIG.to_dict()}, args)
    assert base == programs.program_path("epochs", {"config": CONFIG.to_dict()}, args)
    assert base != programs.program_path("epochs", {"config": CONFIG.replace(units=7).to_dict()}, args)
    assert base != programs.program_path("epochs", {"config": CONFIG.to_dict()}, (np.zeros((3, 3), np.float32),))
    assert base != programs.program_path("init", {"config": CONFIG.to_dict()}, args)
    monkeypatch.setattr(programs, "source_digest", lambda: "another lstmlab")
    assert base != programs.program_path("epochs", {"config": CONFIG.to_dict()}, args)

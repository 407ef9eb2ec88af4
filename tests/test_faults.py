"""Nothing lost, no traceback: what happens after training when something fails, a reader
that goes away, Ctrl-C, stateful demonstrations that do not fit, and prose that says only
what the run showed."""

import json
import os
import subprocess
import sys

import pytest

from lstmlab.model.persist import load
from lstmlab.results import run as results
from tests.cli import invoke, one_error_line


@pytest.mark.parametrize(
    "args",
    [
        ["run", "stateful", "--seq-length", "20", "--epochs", "2", "--units", "4"],
        ["run", "stateful", "--alphabet", "ABCDE", "--seq-length", "3", "--epochs", "2", "--units", "4"],
    ],
)
def test_a_stateful_demonstration_that_does_not_fit_is_skipped_and_the_model_saved(tmp_path, args):
    result = invoke(*args, "--save", tmp_path / "m", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    demos = document["demonstrations"]
    assert [g["title"].split(" ")[0] for g in demos["generations"]] == ["From"]  # no restart fits
    assert demos["explanation"].startswith("No restart demonstration")
    window = int(args[args.index("--seq-length") + 1])
    assert document["saved"] == str(tmp_path / "m") and load(tmp_path / "m").config.seq_length == window


def test_a_save_that_fails_after_training_keeps_the_models_elsewhere_and_says_where(tmp_path, monkeypatch):
    real_save = results.save
    calls = []

    def disk_full_first(folder, models):
        calls.append(folder)
        if len(calls) == 1:
            raise OSError(28, "No space left on device", str(folder))
        return real_save(folder, models)

    monkeypatch.setattr(results, "save", disk_full_first)
    line = one_error_line(invoke("run", "naive", "--epochs", "2", "--save", tmp_path / "m"))
    assert f"cannot save to '{tmp_path / 'm'}': No space left on device" in line
    rescue = calls[1]
    assert f"the trained models were saved to '{rescue}' instead" in line
    assert load(rescue).config.epochs == 2 and not (tmp_path / "m").exists()


def test_ctrl_c_during_training_is_one_line_status_130_and_nothing_written(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "run", interrupted)
    line = one_error_line(invoke("run", "naive", "--epochs", "2", "--save", tmp_path / "m"), status=130)
    assert line == "Interrupted."
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    env = os.environ | {"LSTMLAB_CACHE_DIR": os.environ["LSTMLAB_CACHE_DIR"]}
    script = f"{sys.executable} -m lstmlab.cli run naive --epochs 2 | head -1; echo status ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.stdout.splitlines() == ["naive: one letter in, the next letter out", "status 0"]
    assert done.stderr == ""


def test_the_stateful_explanation_says_only_what_the_run_showed():
    """After 2 epochs the model has learned nothing: the explanation must not say it answers right."""
    document = json.loads(invoke("run", "stateful", "--epochs", "2", "--units", "4", "--json").stdout)
    demos = document["demonstrations"]
    warmed = demos["generations"][2]["generation"]["steps"][0]["predicted"]
    if warmed != "L":
        assert f"answers {warmed}, not L" in demos["explanation"]
    assert "and it answers L" not in demos["explanation"] or warmed == "L"


def test_the_report_says_which_settings_differ_from_the_tutorials(tmp_path):
    out = tmp_path / "report"
    result = invoke("reproduce", "--seeds", "2", "--epochs", "2", "--experiments", "naive", "--out", out)
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "at the tutorial's settings" not in text
    assert "at settings changed from the tutorial's" in text
    assert "Changed from the tutorial: epochs 2 (the tutorial's: 500)." in text
    changed = json.loads((out / "results.json").read_text(encoding="utf-8"))["experiments"][0]["changed_settings"]
    assert changed == [{"setting": "epochs", "tutorial": 500, "used": 2}]

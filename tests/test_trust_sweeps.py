"""Issue 21 ("Trust"), sweeps: a sweep folder is claimed by one process at a time (a second
sweep on it is one line, exit 2, nothing written); --resume runs a job again when its file
does not check whole, values included, and says so; an unusable --out is one line before any
work."""

import fcntl
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.errors import ConfigError
from lstmlab.settings.config import load_task_config
from lstmlab.sweeps import compare_jobs, seed_jobs, sweep

TASK_RUN = ["run", "long-lag", "--lag", "4", "--budget", "400", "--seeds", "2"]
EXPERIMENT_RUN = ["run", "timesteps", "--epochs", "2", "--seeds", "2"]
COMPARE = ["compare", "long-lag", "--cells", "rnn", "--lags", "3", "--seeds", "2", "--budget", "200"]
REPRODUCE = ["reproduce", "--seeds", "2", "--epochs", "1", "--experiments", "naive"]
CODE = "import sys; from lstmlab.cli.app import app; sys.argv[0] = 'lstmlab'; app()"


def in_use(out: Path, pid: int) -> str:
    return (
        f"Error: --out '{out}': it is in use by another lstmlab sweep (pid {pid}); "
        "wait for it to finish, or give another --out"
    )


def without_timing(document: dict) -> dict:
    """A document less what differs between two runs of one sweep: seconds, the command line,
    the folder's name."""
    if isinstance(document, dict):
        return {
            k: without_timing(v)
            for k, v in document.items()
            if k not in ("timing", "command", "report_folder") and not k.endswith("seconds")
        }
    if isinstance(document, list):
        return [without_timing(v) for v in document]
    return document


def folder_document(folder: Path) -> dict:
    return without_timing(json.loads((folder / "results.json").read_text(encoding="utf-8")))


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished sweep's folder per command, made once; each test edits a copy."""
    made: dict[str, Path] = {}

    def folder(command: list[str]) -> Path:
        key = " ".join(command)
        if key not in made:
            made[key] = tmp_path_factory.mktemp("finished") / "out"
            result = CliRunner().invoke(app, [*command, "--out", str(made[key])])
            assert result.exit_code == 0, result.output
        return made[key]

    return folder


class Held:
    """The claim another lstmlab sweep holds on `out`, taken the way a sweep takes it."""

    def __init__(self, out: Path):
        out.mkdir(exist_ok=True)
        self.fd = os.open(out / "sweep.lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())

    def release(self):
        os.close(self.fd)


# --- item 6: one sweep per folder at a time ------------------------------------------------------


@pytest.mark.parametrize("command", [TASK_RUN, EXPERIMENT_RUN, COMPARE, REPRODUCE], ids=lambda c: c[1])
def test_a_folder_another_sweep_holds_is_refused_in_one_line(tmp_path, command):
    """Every command that writes a sweep folder: while another sweep holds the new folder, a
    second start is one line naming the holder, exit 2, and nothing is written there."""
    out = tmp_path / "out"
    held = Held(out)
    try:
        before = listing(out)
        result = CliRunner().invoke(app, [*command, "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert result.output == in_use(out, os.getpid()) + "\n"
        assert listing(out) == before == ["sweep.lock"]
    finally:
        held.release()


def test_two_resumes_of_one_sweep_the_second_refused(tmp_path, finished):
    """A sweep cut short, its --resume running: a second --resume is refused and runs nothing."""
    out = tmp_path / "out"
    shutil.copytree(finished(TASK_RUN), out)
    (out / "jobs" / "seeds1-2.json").unlink()
    for name in ("results.json", "report.txt"):
        (out / name).unlink()
    held = Held(out)
    try:
        result = CliRunner().invoke(app, [*TASK_RUN, "--out", str(out), "--resume"])
        assert result.exit_code == 2, result.output
        assert result.output == in_use(out, os.getpid()) + "\n"
        assert listing(out) == ["jobs", "sweep.json", "sweep.lock"]
    finally:
        held.release()
    resumed = CliRunner().invoke(app, [*TASK_RUN, "--out", str(out), "--resume"])  # the claim given back
    assert resumed.exit_code == 0, resumed.output
    assert folder_document(out) == folder_document(finished(TASK_RUN))
    assert sorted(p.name for p in out.iterdir()) == ["jobs", "report.txt", "results.json", "sweep.json"]


def test_a_killed_sweeps_claim_is_not_left_behind(tmp_path, finished):
    """The claim is the OS's lock: a sweep killed outright leaves its lock file, never a claim."""
    out = tmp_path / "out"
    held = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
         "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'%d' % os.getpid()); print(1, flush=True); time.sleep(60)",
         str(out / "sweep.lock")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    out.mkdir()
    assert held.stdout.readline() == "1\n"
    refused = CliRunner().invoke(app, [*TASK_RUN, "--out", str(out)])
    assert refused.output == in_use(out, held.pid) + "\n"
    held.kill()
    held.communicate()
    result = CliRunner().invoke(app, [*TASK_RUN, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert folder_document(out) == folder_document(finished(TASK_RUN))


def test_library_sweeps_claim_the_folder_too(tmp_path):
    out = tmp_path / "out"
    held = Held(out)
    try:
        with pytest.raises(ConfigError, match=r"is in use by another lstmlab sweep \(pid \d+\)"):
            seed_jobs.run_sweep(load_task_config("long-lag", lag=4, budget=400), [1, 2], out)
    finally:
        held.release()
    assert listing(out) == ["sweep.lock"]


def test_sweep_json_is_created_exclusively(tmp_path):
    """Recording a new sweep never overwrites one there (a second start that got past the checks)."""
    from lstmlab.results.comparison import parse_cells, plan_jobs

    jobs = plan_jobs("long-lag", parse_cells("rnn"), (3,), (1, 2), None, budget=200)
    settings = compare_jobs.sweep_settings("compare", jobs, (1, 2), None, cores=1)
    ids = [compare_jobs.job_id(job) for job in jobs]
    out = tmp_path / "out"
    sweep.begin(out, settings, ids, resume=False)
    recorded = (out / "sweep.json").read_bytes()
    other = compare_jobs.sweep_settings("compare", jobs, (1, 2), None, cores=2)
    with pytest.raises(ConfigError, match="it holds a sweep already"):
        sweep.begin(out, other, ids, resume=False)
    assert (out / "sweep.json").read_bytes() == recorded
    assert sorted(p.name for p in out.iterdir()) == ["jobs", "sweep.json"]


def start(out: Path, command: list[str], delay: float) -> subprocess.Popen:
    time.sleep(delay)
    return subprocess.Popen(
        [sys.executable, "-c", CODE, *command, "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def one_winner(out: Path, processes: list[subprocess.Popen]) -> subprocess.Popen:
    """Exactly one process finished the sweep; every other said the folder is in use, in one line."""
    outputs = [p.communicate(timeout=600) for p in processes]
    winners = [p for p in processes if p.returncode == 0]
    assert len(winners) == 1, [(p.returncode, e) for p, (_, e) in zip(processes, outputs, strict=True)]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        if process is not winners[0]:
            assert (process.returncode, stdout, stderr) == (2, "", in_use(out, winners[0].pid) + "\n")
    return winners[0]


def test_two_sweeps_started_at_once_one_runs_and_the_other_is_refused(tmp_path, finished):
    out = tmp_path / "out"
    one_winner(out, [start(out, TASK_RUN, 0), start(out, TASK_RUN, 0)])
    assert folder_document(out) == folder_document(finished(TASK_RUN))
    assert sorted(p.name for p in out.iterdir()) == ["jobs", "report.txt", "results.json", "sweep.json"]


@pytest.mark.parametrize("draw", [1, 2])
def test_fuzz_concurrent_sweep_starts(tmp_path, finished, draw):
    """Two or three processes at small random delays on one new folder: one finishes the
    sweep, the others are refused, and the folder is a single run's."""
    rng = random.Random(draw)
    out = tmp_path / "out"
    processes = [start(out, TASK_RUN, rng.uniform(0, 0.3)) for _ in range(rng.choice([2, 3]))]
    one_winner(out, processes)
    assert folder_document(out) == folder_document(finished(TASK_RUN))
    assert [p.name for p in (out / "jobs").iterdir()] == ["seeds1-2.json"]


# --- item 7: a job file is done only if it checks whole -------------------------------------------


def edited(name, value, index=None):
    def edit(document):
        if index is None:
            return document | {name: value}
        values = list(document[name])
        values[index] = value
        return document | {name: values}

    return edit


def of_first_result(name, value):
    return lambda document: document | {"results": [document["results"][0] | {name: value}, *document["results"][1:]]}


def of_first_seed_outcome(name, value):
    def edit(document):
        outcome = document["outcome"]
        per_seed = [outcome["per_seed"][0] | {name: value}, *outcome["per_seed"][1:]]
        return document | {"outcome": outcome | {"per_seed": per_seed}}

    return edit


SOLVED = "not -1 (never solved) or a number of training sequences from 1 to 400"
DAMAGED_TEXT = [
    ("truncated", lambda text: text[: len(text) // 2], r"it is not JSON \(.+\)"),
    ("empty", lambda text: "", r"it is not JSON \(Expecting value: line 1 column 1 \(char 0\)\)"),
    ("a JSON list", lambda text: "[1, 2]", "it is not a JSON object"),
]
DAMAGED_VALUES = [
    (TASK_RUN, "seeds1-2", "a seed outside the job", edited("seeds", 99, 1), None),
    (TASK_RUN, "seeds1-2", "solved_at past the budget", edited("solved_at", 401, 0),
     f"its 'solved_at[0]' is 401, {SOLVED}"),
    (TASK_RUN, "seeds1-2", "solved_at a string", edited("solved_at", "5", 0), f"its 'solved_at[0]' is \"5\", {SOLVED}"),
    (TASK_RUN, "seeds1-2", "solved_at true", edited("solved_at", True, 0), f"its 'solved_at[0]' is true, {SOLVED}"),
    (TASK_RUN, "seeds1-2", "wrong NaN", edited("wrong", math.nan, 0), "its 'wrong[0]' is NaN, not a share from 0 to 1"),
    (TASK_RUN, "seeds1-2", "check_every other", edited("check_every", 50), "its 'check_every' is 50, not 100"),
    (EXPERIMENT_RUN, "seeds1-2", "accuracy 1.5", of_first_result("accuracy", 1.5),
     "its 'results[0].accuracy' is 1.5, not a share from 0 to 1"),
    (EXPERIMENT_RUN, "seeds1-2", "a result's seed", of_first_result("seed", 7), "its 'results[0].seed' is 7, not 1"),
    (EXPERIMENT_RUN, "seeds1-2", "a bit that is not", edited("correct", "2" * 23, 0),
     "its 'correct[0]' is \"22222222222222222222222\", not a string of 0s and 1s"),
    (EXPERIMENT_RUN, "seeds1-2", "steps a float", edited("steps", 2.0),
     "its 'steps' is 2.0, not a whole number of at least 1"),
    (COMPARE, "rnn-lag3-seeds1-2", "solved_at past the budget", edited("solved_at", 300, 0),
     "its 'solved_at[0]' is 300, not -1 (never solved) or a number of training sequences from 1 to 200"),
    (COMPARE, "rnn-lag3-seeds1-2", "sequences negative", edited("sequences", -5, 1),
     "its 'sequences[1]' is -5, not a whole number from 0 to 200"),
    (COMPARE, "rnn-lag3-seeds1-2", "seconds NaN", edited("seconds", math.nan),
     "its 'seconds' is NaN, not a number of seconds (0 or more)"),
    (REPRODUCE, "naive", "accuracy NaN", of_first_seed_outcome("accuracy", math.nan),
     "its 'outcome.per_seed[0].accuracy' is NaN, not a share from 0 to 1"),
    (REPRODUCE, "naive", "a seed outside the job", of_first_seed_outcome("seed", 9),
     "its 'outcome.per_seed[0].seed' is 9, not 1"),
    (REPRODUCE, "naive", "train_patterns a bool", lambda d: d | {"outcome": d["outcome"] | {"train_patterns": True}},
     "its 'outcome.train_patterns' is true, not a whole number of at least 0"),
]  # fmt: skip


def resumed_after(tmp_path, finished, command, job, damage) -> tuple[Path, Path, object]:
    out = tmp_path / "out"
    shutil.copytree(finished(command), out)
    path = out / "jobs" / f"{job}.json"
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = CliRunner().invoke(app, [*command, "--out", str(out), "--resume", "--json"])
    assert result.exit_code == 0, result.output
    return out, path, result


@pytest.mark.parametrize("what, damage, problem", DAMAGED_TEXT, ids=[d[0] for d in DAMAGED_TEXT])
def test_a_damaged_job_file_is_run_again_with_a_line(tmp_path, finished, what, damage, problem):
    out, path, result = resumed_after(tmp_path, finished, TASK_RUN, "seeds1-2", damage)
    lines, where = result.stderr.splitlines(), re.escape(f"'{path}'")
    assert any(re.fullmatch(rf"{where} is damaged \({problem}\); running that job again", text) for text in lines)
    assert "0 of 1 jobs already done, running 1." in lines
    assert without_timing(json.loads(result.stdout)) == folder_document(finished(TASK_RUN)) == folder_document(out)


@pytest.mark.parametrize("command, job, what, edit, problem", DAMAGED_VALUES, ids=[d[2] for d in DAMAGED_VALUES])
def test_a_job_file_of_foreign_values_is_run_again_with_a_line(tmp_path, finished, command, job, what, edit, problem):
    """Values no sweep writes (a seed outside the job, solved_at past the budget or not a whole
    number, a share outside [0, 1], NaN): the file is not done; its job runs again, with a line."""
    out, path, result = resumed_after(tmp_path, finished, command, job, lambda text: json.dumps(edit(json.loads(text))))
    if problem is None:  # the job's own identity: another job's seeds
        line = f"'{path}' is not job {job}'s: its 'seeds' field differs; running that job again"
    else:
        line = f"'{path}' is damaged ({problem}); running that job again"
    assert line in result.stderr.splitlines(), result.stderr
    assert "0 of 1 jobs already done, running 1." in result.stderr.splitlines()
    assert without_timing(json.loads(result.stdout)) == folder_document(finished(command)) == folder_document(out)


def test_an_undamaged_job_file_is_not_run_again(tmp_path, finished):
    out = tmp_path / "out"
    shutil.copytree(finished(COMPARE), out)
    before = (out / "jobs" / "rnn-lag3-seeds1-2.json").read_bytes()
    result = CliRunner().invoke(app, [*COMPARE, "--out", str(out), "--resume"])
    assert result.exit_code == 0 and "1 of 1 jobs already done, running 0." in result.stderr
    assert "is damaged (" not in result.output and (out / "jobs" / "rnn-lag3-seeds1-2.json").read_bytes() == before


# --- item 8: an output folder that cannot be used, before any work -------------------------------


@pytest.mark.parametrize("command", [TASK_RUN, COMPARE, REPRODUCE], ids=lambda c: c[1])
@pytest.mark.parametrize("where", [".", "..", "file"])
def test_an_unusable_out_is_one_line_before_any_work(tmp_path, monkeypatch, command, where):
    cwd = tmp_path / "here"
    cwd.mkdir()
    (cwd / "file").write_text("mine")
    monkeypatch.chdir(cwd)
    before = listing(tmp_path)
    result = CliRunner().invoke(app, [*command, "--out", where])
    assert result.exit_code == 2, result.output
    assert len(result.output.splitlines()) == 1, result.output
    problem = "it is a file, not a folder" if where == "file" else "it is the current folder or a folder above it"
    assert result.output.startswith(f"Error: --out '{where}': {problem}")
    assert listing(tmp_path) == before


def test_the_library_checks_out_before_any_training(tmp_path, monkeypatch):
    """run_sweep called from Python: '.' refused at once, not after training."""
    monkeypatch.chdir(tmp_path)
    trained = []
    config = load_task_config("long-lag", lag=4, budget=400)
    with pytest.raises(ConfigError, match=r"^--out '\.': it is the current folder or a folder above it"):
        seed_jobs.run_sweep(config, [1, 2], Path("."), on_start=trained.append)
    assert trained == [] and list(tmp_path.iterdir()) == []

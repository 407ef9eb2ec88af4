"""A sweep's folder (lstmlab.sweeps.sweep) and the local engine: every finished job kept at once,
`--resume` running only what is missing and refusing other settings, an interrupted sweep
finished with the same report as an undisturbed one. Ray's engine: tests/test_engine_ray.py."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.errors import ConfigError
from lstmlab.results.comparison import JobResult, parse_cells, plan_jobs
from lstmlab.sweeps import compare_jobs, sweep

SMALL = ["long-lag", "--cells", "lstm,rnn", "--lags", "5", "--seeds", "6", "--group", "2", "--budget", "2000"]


def small_jobs(**settings):
    return plan_jobs("long-lag", parse_cells("lstm,rnn"), (5,), (1, 2, 3, 4, 5, 6), 2, **({"budget": 2000} | settings))


def same_report(folder: Path) -> dict:
    """results.json less what may differ between two runs of one sweep: timings, the command
    line and the folder's name."""
    document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    for name in ("command", "report_folder"):
        document.pop(name)
    for row in document["rows"]:
        row.pop("seconds")
    return document


def job_outcomes(folder: Path) -> dict:
    """Per job file: what the job computed (per-seed solved_at, sequences and loss history)."""
    outcomes = {}
    for path in sorted((folder / "jobs").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        outcomes[path.name] = {k: document[k] for k in ("config", "seeds", "solved_at", "sequences", "loss")}
    return outcomes


def test_job_ids_are_readable_and_unique():
    jobs = plan_jobs("long-lag", parse_cells("lstm,lstm:5,lstm:0.5"), (5, 10), (1, 2, 3), 2)
    ids = [compare_jobs.job_id(job) for job in jobs]
    assert ids[:2] == ["lstm-lag5-seeds1-2", "lstm-lag5-seeds3"]
    assert "lstm_5-lag10-seeds1-2" in ids and "lstm_0p5-lag10-seeds3" in ids
    assert len(set(ids)) == len(ids) == 12


def test_settings_are_resolved_and_the_first_difference_named():
    settings = compare_jobs.sweep_settings("compare", small_jobs(), range(1, 7), 2, cores=2)
    assert settings["budget"] == 2000 and settings["check_every"] == 100 and settings["units"] == 8
    assert settings["cells"] == ["lstm", "rnn"] and settings["lags"] == [5] and settings["group"] == 2
    assert settings["cores_per_job"] == 2 and settings["seeds"] == [1, 2, 3, 4, 5, 6]
    assert sweep.first_difference(settings, dict(settings)) is None
    other = compare_jobs.sweep_settings("compare", small_jobs(budget=3000, units=4), range(1, 7), 2, cores=2)
    assert sweep.first_difference(settings, other) == "units is 8 there, 4 now"
    nested = sweep.first_difference({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3}})
    assert nested == "a.c is 2 there, 3 now"
    fewer = compare_jobs.sweep_settings("compare", small_jobs()[:5], range(1, 7), 2, cores=2)
    assert sweep.first_difference(settings, fewer).startswith("jobs is ")  # the job list itself


def test_results_written_at_once_are_read_back_in_plan_order(tmp_path):
    jobs = small_jobs()
    settings = compare_jobs.sweep_settings("compare", jobs, range(1, 7), 2, cores=2)
    out, ids = tmp_path / "sweep", [compare_jobs.job_id(job) for job in jobs]
    assert sweep.begin(out, settings, ids, resume=False) == [0, 1, 2, 3, 4, 5]
    made = {}
    for index in (4, 1):  # finished in any order
        job = jobs[index]
        made[index] = JobResult(job, (100 * index, -1), (100 * index, 2000), 1.5, ((0.5, 0.25), (0.75,)))
        sweep.save_result(out, compare_jobs.job_document(made[index]))
    assert sorted(p.name for p in (out / "jobs").iterdir()) == ["lstm-lag5-seeds3-4.json", "rnn-lag5-seeds3-4.json"]
    assert sweep.begin(out, settings, ids, resume=True) == [0, 2, 3, 5]
    for index in (0, 2, 3, 5):
        sweep.save_result(out, compare_jobs.job_document(JobResult(jobs[index], (1, 2), (3, 4), 0.0)))
    results = compare_jobs.load_results(out, jobs)
    assert [r.job for r in results] == jobs
    assert results[1] == made[1] and results[4] == made[4]
    expected = sorted(f"jobs/{compare_jobs.job_id(j)}.json" for j in jobs) + ["sweep.json"]
    assert sorted(sweep.sweep_files(out)) == expected


def test_a_job_file_of_other_settings_is_never_mixed_in(tmp_path):
    jobs, others = small_jobs(), small_jobs(units=4)
    out = tmp_path / "sweep"
    settings = compare_jobs.sweep_settings("compare", jobs, range(1, 7), 2, cores=2)
    sweep.begin(out, settings, [compare_jobs.job_id(job) for job in jobs], resume=False)
    sweep.save_result(out, compare_jobs.job_document(JobResult(others[0], (1, 2), (3, 4), 0.0)))
    message = r"lstm-lag5-seeds1-2.json' is not job lstm-lag5-seeds1-2's: its 'config' field differs"
    with pytest.raises(ConfigError, match=message):
        compare_jobs.load_results(out, jobs[:1])


def test_a_write_cut_short_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    sweep.write_atomically(path, {"n": 1})

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        sweep.write_atomically(path, {"n": 2})
    assert json.loads(path.read_text()) == {"n": 1} and [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_the_folder_is_checked_before_any_work(tmp_path):
    assert sweep.check_folder(tmp_path / "new", resume=False) == tmp_path / "new"
    assert sweep.check_folder(tmp_path / "new", resume=True) == tmp_path / "new"  # nothing to resume: a start
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds files that are not an lstmlab report or sweep"):
        sweep.check_folder(tmp_path / "theirs", resume=True)
    report = tmp_path / "report"
    (report / "figures").mkdir(parents=True)
    for name in ("report.md", "report.html", "results.json"):
        (report / name).write_text("")
    assert sweep.check_folder(report, resume=False) == report  # a report from before sweeps: replaced
    with pytest.raises(ConfigError, match=r"^--resume: '.*report' holds no sweep \(sweep.json is missing\)"):
        sweep.check_folder(report, resume=True)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--engine", "spark"], "Error: --engine 'spark' is not an engine; choose one of: local, ray"),
        (["--address", "auto"], "Error: --address 'auto' is for --engine ray; add it, or leave out --address"),
        (["--group", "0"], "Invalid value for '--group'"),
    ],
)
def test_bad_engine_options_are_one_line(tmp_path, args, message):
    result = CliRunner().invoke(app, ["compare", *SMALL, "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2 and result.output.strip().splitlines() == [result.output.strip()], result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_ray_missing_is_one_line_naming_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed: importing it fails
    result = CliRunner().invoke(app, ["compare", *SMALL, "--engine", "ray", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert result.output == "Error: --engine ray needs Ray, which is not installed: pip install 'lstmlab[ray]'\n"


CODE = "import sys; from lstmlab.cli.app import app; sys.argv[0] = 'lstmlab'; app()"


def lstmlab(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CODE, *args], text=True, **popen)


def run(*args: str, **env) -> tuple[int, str]:
    """The command in a process of its own: its exit status and what it wrote on stderr."""
    done = subprocess.run(
        [sys.executable, "-c", CODE, *args], capture_output=True, text=True, env=os.environ | env, timeout=600
    )
    return done.returncode, done.stderr


def test_an_interrupted_sweep_resumes_with_only_the_missing_jobs(tmp_path):
    """The whole story in processes of their own: an undisturbed sweep; the same one given
    Ctrl-C (SIGINT) as its third job starts; --resume runs the four jobs left, and the report
    is the undisturbed one's. Then --resume with another budget is refused."""
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert run("compare", *SMALL, "--out", str(whole))[0] == 0

    starts = tmp_path / "starts"
    starts.mkdir()
    env = os.environ | {"LSTMLAB_JOB_STARTS": str(starts)}
    driver = lstmlab("compare", *SMALL, "--out", str(cut), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 300
    while len(list(starts.iterdir())) < 3 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    driver.send_signal(signal.SIGINT)
    stderr = driver.communicate(timeout=120)[1]
    assert driver.returncode == 130 and stderr.strip().splitlines()[-1] == "Interrupted."
    done = sorted(p.name for p in (cut / "jobs").glob("*.json"))
    assert done == ["lstm-lag5-seeds1-2.json", "lstm-lag5-seeds3-4.json"]
    assert not (cut / "results.json").exists()  # no report from part of a sweep

    assert run("compare", *SMALL, "--out", str(cut)) == (
        2,
        f"Error: --out '{cut}': it holds a sweep already; add --resume to finish it, or give another --out\n",
    )

    for path in starts.iterdir():
        path.unlink()
    status, stderr = run("compare", *SMALL, "--out", str(cut), "--resume", LSTMLAB_JOB_STARTS=str(starts))
    assert status == 0 and stderr.splitlines()[0] == "2 of 6 jobs already done, running 4."
    assert sorted(p.name.split(".")[0] for p in starts.iterdir()) == [
        "lstm-lag5-seeds5-6", "rnn-lag5-seeds1-2", "rnn-lag5-seeds3-4", "rnn-lag5-seeds5-6"
    ]  # fmt: skip
    assert same_report(cut) == same_report(whole)
    assert job_outcomes(cut) == job_outcomes(whole)
    names = ["figures", "jobs", "report.html", "report.md", "results.json", "sweep.json"]
    assert sorted(p.name for p in cut.iterdir()) == names

    assert run("compare", *SMALL[:-1], "3000", "--out", str(cut), "--resume") == (
        2,
        f"Error: --resume: '{cut}' holds a sweep with other settings: budget is 2000 there, 3000 now; "
        "give the same settings, or another --out\n",
    )


def reproduce_report(folder: Path) -> dict:
    document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    for name in ("command", "report_folder"):
        document.pop(name)
    for experiment in document["experiments"]:
        for name in ("train_seconds", "compile_seconds"):
            experiment.pop(name)
    return document


def test_reproduce_is_a_sweep_of_one_job_per_experiment_and_resumes(tmp_path):
    """Ctrl-C as the second experiment starts keeps the first's outcome; --resume runs only
    the second; the report is the one the plain in-memory path makes (reproduction_document
    over run_experiments), nothing lost or changed by the trip through the job files."""
    from lstmlab.render.report import report_files
    from lstmlab.results.reproduction import plan, reproduction_document, run_experiments
    from lstmlab.sweeps.experiment_jobs import reproduce

    configs = plan("naive,timesteps", epochs=2)
    out = tmp_path / "report"

    def interrupt_second(index, config):
        if index == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reproduce(configs, (1, 2, 3), out, on_start=interrupt_second)
    assert sorted(p.name for p in (out / "jobs").iterdir()) == ["naive.json"] and not (out / "report.md").exists()

    args = ["reproduce", "--seeds", "3", "--epochs", "2", "--experiments", "naive,timesteps", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--resume"])
    assert result.exit_code == 0, result.output
    assert "1 of 2 jobs already done, running 1." in result.output
    reference = reproduction_document(run_experiments(configs, (1, 2, 3)), (1, 2, 3), tmp_path / "direct")
    direct = tmp_path / "direct"
    direct.mkdir()
    for name, data in report_files(reference).items():
        (direct / name).parent.mkdir(exist_ok=True)
        (direct / name).write_bytes(data)
    assert reproduce_report(out) == reproduce_report(direct)

    other = CliRunner().invoke(app, [*args[:4], "3", *args[5:], "--resume"])
    assert other.exit_code == 2
    assert other.output == (
        f"Error: --resume: '{out}' holds a sweep with other settings: experiments.naive.epochs is 2 there, 3 now; "
        "give the same settings, or another --out\n"
    )

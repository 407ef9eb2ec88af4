"""`lstmlab run ... --seeds N --out DIR` as a sweep (lstmlab.sweeps.seed_jobs): its document is the
one an ordinary run makes in one go, whatever the groups; an interrupted one resumes with only
the missing groups; every sweep option is checked before any work. On Ray: tests/test_engine_ray.py."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.results.run import run_experiment
from lstmlab.results.task import run_task
from lstmlab.settings.config import load_config, load_task_config
from lstmlab.sweeps import seed_jobs


def without_timing(document: dict) -> dict:
    """A document less what differs between two runs of the same thing: seconds and the command."""
    document = dict(document)
    for name in ("timing", "command", "train_seconds", "compile_seconds"):
        document.pop(name, None)
    return document


def folder_document(folder: Path) -> dict:
    return without_timing(json.loads((folder / "results.json").read_text(encoding="utf-8")))


def test_seed_groups_keep_the_runs_order_and_list_answers_for_its_first_100_seeds():
    config = load_config("timesteps")
    jobs = seed_jobs.plan(config, list(range(1, 251)), group=40)
    assert [job.id for job in jobs[:2]] == ["seeds1-40", "seeds41-80"] and jobs[-1].id == "seeds241-250"
    assert [job.detailed for job in jobs] == [40, 40, 20, 0, 0, 0, 0]
    assert [seed for job in jobs for seed in job.seeds] == list(range(1, 251))
    assert [job.id for job in seed_jobs.plan(config, [7, 3, 9])] == ["seeds7-9"]  # one job: all of them
    assert seed_jobs.plan(load_config("stateful"), [1])[0].demonstrate
    assert not any(job.demonstrate for job in seed_jobs.plan(load_config("stateful"), [1, 2], group=1))


def test_an_experiments_sweep_in_groups_is_the_ordinary_runs_document(tmp_path):
    """Groups of two, each a job of its own, trained and read back from JSON: the same seeds,
    accuracies, answers (held-out ones too), histories and statistics as the seeds trained in one go."""
    config = load_config("timesteps", epochs=60, holdout=0.2)
    seeds = [1, 2, 3, 4]
    whole = run_experiment(config, seeds)
    started, epochs_done = [], []
    swept = seed_jobs.run_sweep(
        config, seeds, tmp_path / "sweep", group=2, on_start=started.append,
        on_progress=lambda epoch, metrics: epochs_done.append(epoch),
    )  # fmt: skip
    assert started == [0, 1] and epochs_done.count(60) == 2  # the local engine's bar
    assert without_timing(swept.to_json()) == without_timing(whole.to_json())
    assert len({s.accuracy for s in whole.seeds}) > 1  # the seeds differ: the comparison means something
    assert whole.holdout_patterns > 0 and all(s.holdout_predictions for s in whole.seeds)
    assert swept.timing.seeds == 4 and swept.timing.steps == whole.timing.steps
    assert folder_document(tmp_path / "sweep") == without_timing(whole.to_json())
    assert sorted(p.name for p in (tmp_path / "sweep" / "jobs").iterdir()) == ["seeds1-2.json", "seeds3-4.json"]
    report = (tmp_path / "sweep" / "report.txt").read_text(encoding="utf-8")
    assert f"Accuracy over 4 seeds: mean {100 * whole.statistics.summary.mean:.2f}%" in report


def test_a_stateful_sweep_of_one_seed_shows_the_tutorials_generations(tmp_path):
    config = load_config("stateful", epochs=5, units=4)
    whole = run_experiment(config)
    swept = seed_jobs.run_sweep(config, [config.seed], tmp_path / "sweep")
    assert swept.demonstrations is not None
    assert without_timing(swept.to_json()) == without_timing(whole.to_json())


def test_a_tasks_sweep_of_one_group_is_the_ordinary_runs_document(tmp_path):
    config = load_task_config("long-lag", lag=5, budget=1500)
    whole = run_task(config, [1, 2, 3])
    seen = []
    swept = seed_jobs.run_sweep(config, [1, 2, 3], tmp_path / "sweep", on_progress=lambda done, _: seen.append(done))
    assert seen == list(range(100, max(seen) + 1, 100))  # sequences seen at each check, for the local engine's bar
    assert without_timing(swept.to_json()) == without_timing(whole.to_json())
    assert folder_document(tmp_path / "sweep") == without_timing(whole.to_json())
    job = json.loads((tmp_path / "sweep" / "jobs" / "seeds1-3.json").read_text(encoding="utf-8"))
    assert job["kind"] == "task-run-job" and job["solved_at"] == [s.sequences or -1 for s in whole.seeds]


RUN = ["run", "timesteps", "--epochs", "40", "--seeds", "5", "--group", "2"]


def test_an_interrupted_run_resumes_with_only_the_missing_groups(tmp_path):
    """Ctrl-C after the first group is kept: --resume trains the other two and the document is
    an undisturbed sweep's; a second --resume trains nothing; other settings, or a job file of
    other seeds, are refused."""
    config = load_config("timesteps", epochs=40)
    seeds = [1, 2, 3, 4, 5]
    undisturbed = seed_jobs.run_sweep(config, seeds, tmp_path / "whole", group=2)

    def stop(index):
        raise KeyboardInterrupt

    cut = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        seed_jobs.run_sweep(config, seeds, cut, group=2, on_done=stop)
    assert sorted(p.name for p in (cut / "jobs").iterdir()) == ["seeds1-2.json"]
    assert not (cut / "results.json").exists()  # no results from part of the seeds

    refused = CliRunner().invoke(app, [*RUN, "--out", str(cut)])
    assert refused.exit_code == 2
    assert refused.output == (
        f"Error: --out '{cut}': it holds a sweep already; add --resume to finish it, or give another --out\n"
    )
    resumed = CliRunner().invoke(app, [*RUN, "--out", str(cut), "--resume", "--json"])
    assert resumed.exit_code == 0, resumed.output
    assert "1 of 3 jobs already done, running 2." in resumed.stderr
    assert without_timing(json.loads(resumed.stdout)) == without_timing(undisturbed.to_json())
    assert folder_document(cut) == without_timing(undisturbed.to_json())
    assert sorted(p.name for p in cut.iterdir()) == ["jobs", "report.txt", "results.json", "sweep.json"]

    again = CliRunner().invoke(app, [*RUN, "--out", str(cut), "--resume"])
    assert again.exit_code == 0 and "3 of 3 jobs already done, running 0." in again.stderr

    other = CliRunner().invoke(app, [*RUN[:3], "50", *RUN[4:], "--out", str(cut), "--resume"])
    assert other.exit_code == 2
    assert other.output.startswith(f"Error: --resume: '{cut}' holds a sweep with other settings: config.epochs is 40")

    path = cut / "jobs" / "seeds5.json"  # a job file of other seeds put in its place: never mixed in, run again
    path.write_text(path.read_text(encoding="utf-8").replace('"seeds": [\n  5\n ]', '"seeds": [\n  6\n ]'))
    mixed = CliRunner().invoke(app, [*RUN, "--out", str(cut), "--resume"])
    assert mixed.exit_code == 0, mixed.output
    assert f"'{path}' is not job seeds5's: its 'seeds' field differs; running that job again" in mixed.stderr
    assert "2 of 3 jobs already done, running 1." in mixed.stderr
    assert folder_document(cut) == without_timing(undisturbed.to_json())


FOR_A_SWEEP = "is for a sweep, whose finished seeds are kept in a folder: add --out DIR"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--engine", "ray"], f"Error: --engine {FOR_A_SWEEP}"),
        (["--resume"], f"Error: --resume {FOR_A_SWEEP}"),
        (["--group", "2"], f"Error: --group {FOR_A_SWEEP}"),
        (["--address", "auto", "--out", "OUT"], "Error: --address 'auto' is for --engine ray; add it, or leave out"),
        (["--engine", "spark", "--out", "OUT"], "Error: --engine 'spark' is not an engine; choose one of: local, ray"),
        (
            ["--save", "MODELS", "--out", "OUT"],
            "Error: --save keeps the models of a run in this process; a sweep (--out) keeps each seed's results, "
            "not its models: leave out one of them",
        ),
        (["--group", "0", "--out", "OUT"], "Invalid value for '--group'"),
    ],
)
def test_bad_sweep_options_are_one_line_before_any_work(tmp_path, args, message):
    args = [str(tmp_path / a) if a in ("OUT", "MODELS") else a for a in args]
    for command in (["run", "timesteps", "--seeds", "3"], ["run", "long-lag", "--seeds", "3"]):
        if "--save" in args and command[1] == "long-lag":
            continue  # a task has no --save at all (tests/test_tasks.py)
        result = CliRunner().invoke(app, [*command, *args])
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert message in result.output
        assert sorted(tmp_path.iterdir()) == []  # nothing written


TASK_RUN = ["run", "long-lag", "--lag", "4", "--budget", "400", "--seeds", "2"]
EXPERIMENT_RUN = ["run", "timesteps", "--epochs", "2", "--seeds", "2"]
COMPARE = ["compare", "long-lag", "--cells", "rnn", "--lags", "3", "--seeds", "2", "--budget", "200"]
REPRODUCE = ["reproduce", "--seeds", "2", "--epochs", "1", "--experiments", "naive"]


NOT_PER_SEED = "does not hold one value per seed: 1 for 2"


def replace_field(name, value):
    return lambda document: document | {name: value}


def drop_field(name):
    return lambda document: {k: v for k, v in document.items() if k != name}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished sweep's folder per command, made once; each test edits a copy."""
    made: dict[str, Path] = {}

    def folder(command: list[str]) -> Path:
        key = " ".join(command)
        if key not in made:
            made[key] = tmp_path_factory.mktemp("finished") / "out"
            assert CliRunner().invoke(app, [*command, "--out", str(made[key])]).exit_code == 0
        return made[key]

    return folder


@pytest.mark.parametrize(
    "command, job, edit, problem",
    [
        (TASK_RUN, "seeds1-2", drop_field("wrong"), "it has no 'wrong' field"),
        (TASK_RUN, "seeds1-2", replace_field("solved_at", ["x", 1]), "its 'solved_at[0]' is \"x\", not -1 (never "
         "solved) or a number of training sequences from 1 to 400"),  # fmt: skip
        (TASK_RUN, "seeds1-2", replace_field("solved_at", [100]), f"its 'solved_at' {NOT_PER_SEED}"),
        (EXPERIMENT_RUN, "seeds1-2", replace_field("correct", ["1", "0"]), "its 'correct' does not hold an answer "
         "per pattern (23)"),  # fmt: skip
        (EXPERIMENT_RUN, "seeds1-2", replace_field("results", [{"seed": 1}] * 2), "it has no 'accuracy' field"),
        (COMPARE, "rnn-lag3-seeds1-2", drop_field("seconds"), "it has no 'seconds' field"),
        (COMPARE, "rnn-lag3-seeds1-2", replace_field("sequences", [1]), f"its 'sequences' {NOT_PER_SEED}"),
        (REPRODUCE, "naive", drop_field("outcome"), "it has no 'outcome' field"),
    ],
)
def test_a_job_file_edited_out_of_shape_is_run_again_with_a_line(tmp_path, finished, command, job, edit, problem):
    """A job file that is its job's (settings and seeds) but not whole is not done: --resume
    says so in one line naming the file and what is wrong, and runs that job again."""
    out = tmp_path / "out"
    shutil.copytree(finished(command), out)
    path = out / "jobs" / f"{job}.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    result = CliRunner().invoke(app, [*command, "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    assert f"'{path}' is damaged ({problem}); running that job again" in result.stderr.splitlines()
    assert "0 of 1 jobs already done, running 1." in result.stderr


def test_a_job_file_deleted_or_not_a_json_object_is_run_again(tmp_path, finished):
    out = tmp_path / "out"
    shutil.copytree(finished(TASK_RUN), out)
    path = out / "jobs" / "seeds1-2.json"
    path.write_text("[1, 2]", encoding="utf-8")
    result = CliRunner().invoke(app, [*TASK_RUN, "--out", str(out), "--resume", "--json"])
    assert result.exit_code == 0, result.output
    assert f"'{path}' is damaged (it is not a JSON object); running that job again" in result.stderr
    assert without_timing(json.loads(result.stdout)) == folder_document(finished(TASK_RUN))
    path.unlink()
    result = CliRunner().invoke(app, [*TASK_RUN, "--out", str(out), "--resume", "--json"])
    assert result.exit_code == 0 and "0 of 1 jobs already done, running 1." in result.stderr
    assert without_timing(json.loads(result.stdout)) == folder_document(finished(TASK_RUN))

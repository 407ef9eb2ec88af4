"""`lstmlab run ... --seeds N --out DIR`: one experiment or paper task over many seeds, as a
sweep of seed groups (see `lstmlab.sweeps.sweep`) that any engine can run and `--resume` can finish.

plan(...)          - the seed groups, one job each
settings(...)      - what decides the sweep's results, as sweep.json records it
group_work(job)    - what an engine runs: train the group, its per-seed outcome as a document
document_from(...) - the run's document from the job documents, as `lstmlab run` makes it in one go
run_sweep(...)     - all of it: missing jobs run, the folder written whole (results.json, report.txt)

A seed's training does not depend on the seeds beside it in a group, so the document is the
one an ordinary `run` makes (timings aside), whichever groups, engines and resumes made it.
"""

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstmlab.document import Document, plain
from lstmlab.i18n import _
from lstmlab.model.generation import StatefulDemonstrations, shows_demonstrations
from lstmlab.results.run import DETAILED_SEEDS, SeedResult
from lstmlab.settings.config import Config, TaskConfig
from lstmlab.sweeps import sequence, sweep
from lstmlab.sweeps.experiment_jobs import decode

REPORT = ("results.json", "report.txt")


@dataclass(frozen=True)
class SeedGroup:
    """One job of a run's sweep: these seeds of this experiment or task, trained side by side."""

    config: Config | TaskConfig
    seeds: tuple[int, ...]
    detailed: int = 0  # how many of its seeds list every answer: those among the run's first 100
    demonstrate: bool = False  # a stateful run of one seed shows the tutorial's generations

    @property
    def id(self) -> str:
        first, last = self.seeds[0], self.seeds[-1]
        return f"seeds{first}" + (f"-{last}" if last != first else "")


def plan(config: Config | TaskConfig, seeds: Sequence[int], group: int | None = None) -> list[SeedGroup]:
    """The seeds in groups of `group` (default: one group of them all), in the seeds' order."""
    size = group or len(seeds)
    demonstrate = shows_demonstrations(config, len(seeds))
    return [
        SeedGroup(config, tuple(seeds[first : first + size]), max(0, min(size, DETAILED_SEEDS - first)), demonstrate)
        for first in range(0, len(seeds), size)
    ]


def settings(jobs: Sequence[SeedGroup], seeds: Sequence[int], group: int | None, cores: int) -> dict:
    """Everything that decides the results, resolved: two folders with equal settings hold
    results that may be mixed."""
    config = jobs[0].config
    name = config.task if isinstance(config, TaskConfig) else config.experiment
    return {
        "command": "run",
        "experiment": name,
        "config": config.to_dict(),
        "seeds": list(seeds),
        "group": group or len(seeds),
        "cores_per_job": cores,
        "jobs": sweep.digest([job.id for job in jobs] + [json.dumps(config.to_dict())]),
    }


# --- one job ------------------------------------------------------------------------------------


def group_work(job: SeedGroup, on_progress: Callable | None = None) -> dict:
    """Train the job's seeds and return their outcome as a plain document (floats exact in JSON).
    on_progress(epochs done, metrics) for an experiment, (sequences seen, solved) for a task."""
    document = {"id": job.id, "config": job.config.to_dict(), "seeds": list(job.seeds)}
    if isinstance(job.config, TaskConfig):
        return {"kind": "task-run-job"} | document | _task_outcome(job, on_progress)
    return {"kind": "run-job"} | document | _experiment_outcome(job, on_progress)


def _task_outcome(job: SeedGroup, on_progress) -> dict:
    from lstmlab.engine.until_solved import train_until_solved
    from lstmlab.results.task import last_wrong

    training = train_until_solved(job.config, job.seeds, on_progress)
    return {
        "solved_at": [int(s) for s in training.solved_at],
        "wrong": [None if np.isnan(w) else float(w) for w in last_wrong(training)],
        "check_every": training.check_every,
        "heldout": training.heldout_size,
        "compile_seconds": training.compile_seconds,
        "train_seconds": training.train_seconds,
    }


def _experiment_outcome(job: SeedGroup, on_progress) -> dict:
    from lstmlab.engine.runner import run
    from lstmlab.model.generation import seeded_generations
    from lstmlab.results.run import seed_results, steps_of

    result = run(job.config, seeds=job.seeds, on_progress=on_progress)
    demonstrations = seeded_generations(result.params(), job.config) if job.demonstrate else None
    return {
        "results": plain(seed_results(result, job.detailed)),
        "correct": [_bits(row) for row in result.correct],
        "holdout_correct": None if result.holdout_correct is None else [_bits(r) for r in result.holdout_correct],
        "steps": steps_of(result),
        "compile_seconds": result.training.compile_seconds,
        "train_seconds": result.training.train_seconds,
        "demonstrations": None if demonstrations is None else plain(demonstrations),
    }


def _bits(row) -> str:
    """A seed's right answers, pattern by pattern, as '0110...': compact in JSON."""
    return "".join("1" if right else "0" for right in row)


def _unbits(rows: Sequence[str]) -> np.ndarray:
    return np.array([[c == "1" for c in row] for row in rows], dtype=bool)


# --- the run's document from its jobs -----------------------------------------------------------


def document_from(jobs: Sequence[SeedGroup], parts: Sequence[dict]) -> Document:
    """The run's document from the jobs' outcomes (job_check's, in plan order), as an ordinary
    run makes it; its timings are the jobs' summed."""
    from lstmlab.engine.data import make_dataset

    config = jobs[0].config
    dataset = None if isinstance(config, TaskConfig) else make_dataset(config)
    seeds = tuple(seed for job in jobs for seed in job.seeds)
    compile_seconds = sum(p["compile_seconds"] for p in parts)
    train_seconds = sum(p["train_seconds"] for p in parts)
    if dataset is None:
        from lstmlab.results.task import task_document_of

        solved_at = np.concatenate([p["solved_at"] for p in parts])
        wrong = np.concatenate([p["wrong"] for p in parts])
        first = parts[0]
        return task_document_of(
            config, seeds, solved_at, wrong, first["check_every"], first["heldout"], train_seconds, compile_seconds
        )
    from lstmlab.results.run import assembled_document, pattern_distribution, timing_of

    results = tuple(r for p in parts for r in p["results"])
    statistics = None
    if len(seeds) > 1:
        correct = np.concatenate([p["correct"] for p in parts])
        held_out = dataset.holdout is not None
        holdout = np.concatenate([p["holdout_correct"] for p in parts]) if held_out else None
        statistics = pattern_distribution(config, dataset, correct, holdout)
    timing = timing_of(parts[0]["steps"], len(seeds), compile_seconds, train_seconds)
    return assembled_document(config, dataset, results, statistics, timing, parts[0]["demonstrations"])


def job_check(jobs: Sequence[SeedGroup]) -> sweep.Outcome:
    """The check of a run sweep's job files (for sweep.begin and sweep.read_checked): each its
    job's outcome, checked whole."""
    from lstmlab.engine.data import make_dataset

    config = jobs[0].config
    dataset = None if isinstance(config, TaskConfig) else make_dataset(config)
    return lambda index, document, where: _outcome(jobs[index], where, document, dataset)


def _outcome(job: SeedGroup, where: str, document: dict, dataset) -> dict:
    """A job's outcome from its file, checked whole (see `sweep.checked`): this job's settings
    and seeds, every value of its kind and range, one value per seed in the seeds' order, an
    answer per pattern of `dataset` (an experiment's)."""
    n = len(job.seeds)

    def read(document: dict) -> dict:
        outcome = {name: sweep.seconds(document[name], name) for name in ("compile_seconds", "train_seconds")}
        if isinstance(job.config, TaskConfig):
            budget = job.config.budget
            solved_at = sweep.listed(document["solved_at"], "solved_at", n)
            wrong = enumerate(sweep.listed(document["wrong"], "wrong", n))  # null: no check done
            return outcome | {
                "solved_at": np.array([sweep.solved(a, f"solved_at[{i}]", budget) for i, a in enumerate(solved_at)]),
                "wrong": np.array([np.nan if w is None else sweep.share(w, f"wrong[{i}]") for i, w in wrong]),
                "check_every": sweep.equal(document["check_every"], "check_every", job.config.check_every),
                "heldout": sweep.whole(document["heldout"], "heldout", 1),
            }
        listed = sweep.listed(document["results"], "results", n)
        results = tuple(decode(SeedResult, r, f"results[{i}]") for i, r in enumerate(listed))
        for i, (result, seed) in enumerate(zip(results, job.seeds, strict=True)):
            sweep.equal(result.seed, f"results[{i}].seed", seed)
        demonstrations, holdout = document["demonstrations"], document["holdout_correct"]
        if demonstrations is not None:
            demonstrations = decode(StatefulDemonstrations, demonstrations, "demonstrations")
        outcome |= {
            "results": results,
            "correct": _answers(document["correct"], "correct", n, dataset.train),
            "holdout_correct": None if holdout is None else _answers(holdout, "holdout_correct", n, dataset.holdout),
            "steps": sweep.whole(document["steps"], "steps", 1),
            "demonstrations": demonstrations,
        }
        if (holdout is None) != (dataset.holdout is None):
            count = 0 if dataset.holdout is None else len(dataset.holdout)
            message = _("its {name!r} does not hold an answer per pattern ({n})")
            raise sweep.Damaged(message.format(name="holdout_correct", n=count))
        return outcome

    return sweep.checked(where, job.id, {"config": job.config.to_dict(), "seeds": list(job.seeds)}, document, read)


def _answers(rows, name: str, seeds: int, patterns) -> np.ndarray:
    """A job's right answers, a row of '0's and '1's per seed, an answer per pattern."""
    count = 0 if patterns is None else len(patterns)
    for i, row in enumerate(sweep.listed(rows, name, seeds)):
        if not isinstance(row, str) or set(row) - {"0", "1"}:
            message = _("its {name!r} is {value}, not a string of 0s and 1s")
            raise sweep.Damaged(message.format(name=f"{name}[{i}]", value=sweep.shown(row)))
        if patterns is None or len(row) != count:
            message = _("its {name!r} does not hold an answer per pattern ({n})")
            raise sweep.Damaged(message.format(name=name, n=count))
    return _unbits(rows)


def report_files(document: Document) -> dict[str, bytes]:
    """results.json (what --json prints) and report.txt (what the terminal shows, plain)."""
    from rich.console import Console

    from lstmlab.render.text import lines

    text = io.StringIO()
    console = Console(file=text, width=100, color_system=None, highlight=False, soft_wrap=False)
    for line in lines(document):
        console.print(line, markup=False) if isinstance(line, str) else console.print(line)
    return {
        "results.json": (json.dumps(document.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8"),
        "report.txt": text.getvalue().encode("utf-8"),
    }


def run_sweep(
    config: Config | TaskConfig,
    seeds: Sequence[int],
    out: Path,
    *,
    group: int | None = None,
    engine: str = "local",
    address: str | None = None,
    resume: bool = False,
    on_plan: Callable[[list[int]], None] | None = None,
    on_done: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable | None = None,
) -> Document:
    """Run the seed groups not yet in `out` (each kept there as it finishes), then write the
    folder whole: sweep.json, jobs/, results.json and report.txt. First on_plan(the indices
    of the jobs to run, in plan(...)'s order); on_done(index) as each finishes. The local
    engine only: on_start(index) as a job starts, and its on_progress (see group_work)."""
    jobs = plan(config, seeds, group)
    ids = [job.id for job in jobs]

    def local_work(job: SeedGroup) -> dict:
        if on_start is not None:
            on_start(ids.index(job.id))
        return group_work(job, on_progress)

    kind = sequence.Sweep(
        jobs=jobs,
        ids=ids,
        check=job_check(jobs),
        settings=lambda cores: settings(jobs, seeds, group, cores),
        work=group_work,
        document=lambda parts, folder: document_from(jobs, parts),
        report_files=report_files,
    )
    where = dict(resume=resume, engine=engine, address=address)
    return sequence.run(kind, out, **where, local_work=local_work, on_plan=on_plan, on_done=on_done)

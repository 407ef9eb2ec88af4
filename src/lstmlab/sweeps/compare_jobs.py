"""compare's sweep: one job per (cell, lag, group of seeds), its job files, and `compare`.

    job_id(job)               - a job's readable name, its file's name
    sweep_settings(...)       - what decides the sweep's results, recorded in sweep.json
    compare_work(job)         - what an engine runs for one job: its plain document
    result_from_document(...) - a job's result back from its file, checked whole
    compare(...)              - the sweep itself (sweeps.sequence), then the report
"""

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.results.comparison import ComparisonDocument, Job, JobResult, comparison_document, run_job
from lstmlab.sweeps import sequence
from lstmlab.sweeps.sweep import (
    Outcome,
    checked,
    digest,
    listed,
    number,
    read_checked,
    seconds,
    solved,
    whole,
)

PER_JOB = ("task", "lag", "cell", "forget_bias", "seed")  # settings that differ between jobs


def job_id(job: Job) -> str:
    """A readable name, unique within a sweep: 'lstm_5-lag10-seeds1-2'."""
    cell = job.label.replace(":", "_").replace(".", "p")
    lag = "" if job.config.lag is None else f"-lag{job.config.lag}"
    first, last = job.seeds[0], job.seeds[-1]
    return f"{cell}{lag}-seeds{first}" + (f"-{last}" if last != first else "")


def sweep_settings(command: str, jobs: Sequence[Job], seeds: Sequence[int], group: int | None, cores: int) -> dict:
    """Everything that decides the sweep's results, resolved (defaults filled in): two folders
    with equal settings hold results that may be mixed. `cores` is the CPU devices each job's
    seeds are split over: float32 rounding depends on that split, so it is fixed per sweep."""
    if not jobs:
        raise ConfigError(_("nothing to run: no jobs"))
    first = jobs[0].config
    shared = {k: v for k, v in first.to_dict().items() if k not in PER_JOB}
    return {
        "command": command,
        "task": first.task,
        "cells": list(dict.fromkeys(job.label for job in jobs)),
        "lags": list(dict.fromkeys(job.config.lag for job in jobs)),
        "seeds": list(seeds),
        "group": group or len(seeds),
        "cores_per_job": cores,
        **shared,
        "jobs": digest([job_id(job) for job in jobs] + [json.dumps(job.config.to_dict()) for job in jobs]),
    }


def job_document(result: JobResult) -> dict:
    """One finished job as a plain JSON document: its settings and seeds, and per seed the
    training sequences to solve (-1: never), those seen and the training loss at each check
    (float32 values, exact in JSON), and its seconds. The engine adds where it ran."""
    job = result.job
    return {
        "kind": "compare-job",
        "id": job_id(job),
        "cell": job.label,
        "config": job.config.to_dict(),
        "seeds": list(job.seeds),
        "solved_at": list(result.solved_at),
        "sequences": list(result.sequences),
        "loss": [list(row) for row in result.loss],
        "seconds": round(result.seconds, 3),
    }


def compare_work(job: Job) -> dict:
    """What an engine runs for one of compare's jobs (in a worker, perhaps on another machine)."""
    return job_document(run_job(job))


def result_from_document(job: Job, document: dict, where: str = "") -> JobResult:
    """The job's result from its document, checked whole (see `checked`): this job's cell,
    settings and seeds; per seed, solved_at -1 (never) or within the budget, the sequences
    seen within it, the loss at each check; the seconds it took."""
    budget, n = job.config.budget, len(job.seeds)

    def read(document: dict) -> JobResult:
        loss = listed(document.get("loss", []), "loss")
        if loss:
            loss = listed(loss, "loss", n)
        checks, name, seen = budget // job.config.check_every, "solved_at", "sequences"
        return JobResult(
            job,
            tuple(solved(v, f"solved_at[{i}]", budget) for i, v in enumerate(listed(document["solved_at"], name, n))),
            tuple(whole(v, f"sequences[{i}]", 0, budget) for i, v in enumerate(listed(document["sequences"], seen, n))),
            seconds(document["seconds"], "seconds"),
            tuple(
                tuple(number(x, f"loss[{i}][{k}]") for k, x in enumerate(listed(row, f"loss[{i}]", most=checks)))
                for i, row in enumerate(loss)
            ),
        )

    expected = {"cell": job.label, "config": job.config.to_dict(), "seeds": list(job.seeds)}
    return checked(where or _("a job result"), job_id(job), expected, document, read)


def load_results(out: Path, jobs: Sequence[Job]) -> list[JobResult]:
    """compare's job results, read back in plan order, each checked whole."""
    return read_checked(out, [job_id(job) for job in jobs], compare_outcome(jobs))


def compare_outcome(jobs: Sequence[Job]) -> Outcome:
    """The check of compare's job files (for begin and read_checked)."""
    return lambda index, document, where: result_from_document(jobs[index], document, where)


def compare(
    jobs: Sequence[Job],
    seeds: Sequence[int],
    out: Path,
    on_done: Callable[[int], None] | None = None,
    *,
    engine: str = "local",
    address: str | None = None,
    resume: bool = False,
    group: int | None = None,
    on_plan: Callable[[int, int], None] | None = None,
) -> ComparisonDocument:
    """compare's sweep in `out` (sequence.run), then its report. on_plan(done, total) before any job."""
    from lstmlab.render.compare_report import report_files  # matplotlib: not in every worker that imports this

    kind = sequence.Sweep(
        jobs=jobs,
        ids=[job_id(job) for job in jobs],
        check=compare_outcome(jobs),
        settings=lambda cores: sweep_settings("compare", jobs, seeds, group, cores),
        work=compare_work,
        document=lambda results, folder: comparison_document(results, seeds, folder),
        report_files=report_files,
    )
    planned = None if on_plan is None else lambda missing: on_plan(len(jobs) - len(missing), len(jobs))
    return sequence.run(kind, out, resume=resume, engine=engine, address=address, on_plan=planned, on_done=on_done)

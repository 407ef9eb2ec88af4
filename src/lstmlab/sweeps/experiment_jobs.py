"""`reproduce` as a sweep: one job per experiment (all its seeds, trained side by side, as the
plain loop trains them), each job's outcome a plain document in the sweep's folder.

experiment_jobs(...)       - the jobs, in the order the report lists the experiments
experiment_work(job)       - what an engine runs: train, evaluate, the outcome as a document
outcome_from_document(...) - the typed outcome back from its document, checked to be the job's
reproduction_from(...)     - the report's document from those outcomes
reproduce(...)             - the sweep itself (sweeps.sequence), then the report
"""

import dataclasses
import json
import sys
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lstmlab.document import plain
from lstmlab.engine.training import EpochMetrics
from lstmlab.i18n import _
from lstmlab.results.reproduction import ExperimentOutcome, ReproductionDocument
from lstmlab.results.run import versions
from lstmlab.results.stats import Bin, Summary
from lstmlab.settings.config import Config
from lstmlab.sweeps import sequence, sweep
from lstmlab.sweeps.sweep import Damaged, digest


@dataclass(frozen=True)
class ExperimentJob:
    config: Config
    seeds: tuple[int, ...]

    @property
    def id(self) -> str:
        return self.config.experiment


def experiment_jobs(configs: Sequence[Config], seeds: Sequence[int]) -> list[ExperimentJob]:
    return [ExperimentJob(config, tuple(seeds)) for config in configs]


def reproduce_settings(jobs: Sequence[ExperimentJob], cores: int) -> dict:
    """What decides a reproduce sweep's results, resolved: two folders with equal settings
    hold results that may be mixed."""
    return {
        "command": "reproduce",
        "experiments": {job.id: job.config.to_dict() for job in jobs},  # each resolved
        "seeds": list(jobs[0].seeds) if jobs else [],
        "cores_per_job": cores,
        "jobs": digest([job.id for job in jobs] + [json.dumps(job.config.to_dict()) for job in jobs]),
    }


def experiment_work(job: ExperimentJob, on_progress=None) -> dict:
    """Train the job's experiment over its seeds, evaluate, and return the outcome as a document."""
    from lstmlab.engine.runner import run
    from lstmlab.results.reproduction import outcome

    result = run(job.config, seeds=job.seeds, on_progress=on_progress)
    return {
        "kind": "reproduce-job",
        "id": job.id,
        "config": job.config.to_dict(),
        "seeds": list(job.seeds),
        "outcome": plain(outcome(result)),
    }


def reproduction_from(outcomes: Sequence[ExperimentOutcome], seeds: Sequence[int], out) -> ReproductionDocument:
    """The report's document from the experiments' outcomes (as `reproduction_document` makes
    it from runs in this process)."""
    command = [Path(sys.argv[0]).name, *sys.argv[1:]]
    return ReproductionDocument(tuple(seeds), tuple(outcomes), str(out), tuple(command), versions())


def outcome_from_document(job: ExperimentJob, document: dict, where: str) -> ExperimentOutcome:
    """The experiment's outcome from its job file, checked whole (see `sweep.checked`): this
    experiment's settings and seeds, every value of its kind, the seeds in the job's order."""

    def read(document: dict) -> ExperimentOutcome:
        outcome = decode(ExperimentOutcome, document["outcome"], "outcome")
        sweep.equal(outcome.experiment, "outcome.experiment", job.id)
        sweep.equal(outcome.settings, "outcome.settings", job.config.to_dict())
        sweep.listed(list(outcome.per_seed), "outcome.per_seed", len(job.seeds))
        for i, (seed, expected) in enumerate(zip(outcome.per_seed, job.seeds, strict=True)):
            sweep.equal(seed.seed, f"outcome.per_seed[{i}].seed", expected)
        return outcome

    expected = {"config": job.config.to_dict(), "seeds": list(job.seeds)}
    return sweep.checked(where, job.id, expected, document, read)


def reproduce_outcome(jobs: Sequence[ExperimentJob]) -> sweep.Outcome:
    """The check of reproduce's job files (for sweep.begin and sweep.read_checked)."""
    return lambda index, document, where: outcome_from_document(jobs[index], document, where)


SHARES = {"accuracy", "holdout_accuracy", "tutorial_accuracy", "probability", "perfect_share"}  # and below them
LOSSES = {"loss", "final_loss"}  # any number: a training that diverged records inf or NaN
SHARES_INSIDE = (Summary, Bin)  # every float in these is a share of seeds or an accuracy


def decode(kind, value, name: str = "", rule: str | None = None):
    """A plain JSON value back into `kind`, each value checked to be of its kind: dataclasses
    field by field, tuples and lists from lists, ints (not bools) from 0 up, text, true/false;
    floats finite, shares (SHARES: an accuracy, a probability) from 0 to 1, seconds from 0;
    null only for `X | None`. What `plain` made of it; Damaged, naming the value's path, if not."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return decode(next(a for a in args if a is not type(None)), value, name, rule)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise Damaged(_("its {name!r} is {value}, not a JSON object").format(name=name, value=sweep.shown(value)))
        hints, inside = typing.get_type_hints(kind), "share" if kind in SHARES_INSIDE else rule
        path = f"{name}." if name else ""
        fields = [f.name for f in dataclasses.fields(kind) if f.init]
        return kind(**{f: decode(hints[f], value[f], path + f, _rule(f, inside)) for f in fields})
    if origin in (tuple, list):
        items = [decode(args[0], v, f"{name}[{i}]", rule) for i, v in enumerate(sweep.listed(value, name))]
        return tuple(items) if origin is tuple else items
    if kind is float:
        if rule == "share":
            return sweep.share(value, name)
        if rule == "loss":
            return sweep.number(value, name)
        return sweep.seconds(value, name) if name.endswith("seconds") else sweep.finite(value, name)
    if kind is int:
        return sweep.whole(value, name)
    if kind is bool and not isinstance(value, bool):
        raise Damaged(_("its {name!r} is {value}, not true or false").format(name=name, value=sweep.shown(value)))
    if kind is str:
        return sweep.text(value, name)
    if kind is dict and not isinstance(value, dict):
        raise Damaged(_("its {name!r} is {value}, not a JSON object").format(name=name, value=sweep.shown(value)))
    return value


def _rule(field: str, inherited: str | None) -> str | None:
    return "share" if field in SHARES else "loss" if field in LOSSES else inherited


def reproduce(
    configs: Sequence[Config],
    seeds: Sequence[int],
    out: Path,
    on_start: Callable[[int, Config], None] | None = None,
    on_progress: Callable[[int, EpochMetrics], None] | None = None,
    *,
    engine: str = "local",
    address: str | None = None,
    resume: bool = False,
    on_plan: Callable[[int, int], None] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> ReproductionDocument:
    """Every config over `seeds` as a sweep of one job per experiment in `out` (sequence.run),
    then the report. on_plan(done, total) before any job; on_start and on_progress: the local
    engine only."""
    from lstmlab.render.report import report_files  # matplotlib: not in every worker that imports this

    jobs = experiment_jobs(configs, seeds)
    ids = [job.id for job in jobs]

    def local_work(job):
        if on_start is not None:
            on_start(ids.index(job.id), job.config)
        return experiment_work(job, on_progress)

    kind = sequence.Sweep(
        jobs=jobs,
        ids=ids,
        check=reproduce_outcome(jobs),
        settings=lambda cores: reproduce_settings(jobs, cores),
        work=experiment_work,
        document=lambda outcomes, folder: reproduction_from(outcomes, seeds, folder),
        report_files=report_files,
    )
    planned = None if on_plan is None else lambda missing: on_plan(len(jobs) - len(missing), len(jobs))
    where = dict(resume=resume, engine=engine, address=address)
    return sequence.run(kind, out, **where, local_work=local_work, on_plan=planned, on_done=on_done)

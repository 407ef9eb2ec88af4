"""`reproduce` as a sweep: one job per experiment (all its seeds, trained side by side, as the
plain loop trains them), each job's outcome a plain document in the sweep's folder.

experiment_jobs(...)       - the jobs, in the order the report lists the experiments
experiment_work(job)       - what an engine runs: train, evaluate, the outcome as a document
outcome_from_document(...) - the typed outcome back from its document, checked to be the job's
reproduction_from(...)     - the report's document from those outcomes
"""

import dataclasses
import json
import sys
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lstmlab.config import Config
from lstmlab.document import plain
from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.reproduction import ExperimentOutcome, ReproductionDocument
from lstmlab.results import versions
from lstmlab.sweep import digest, well_formed


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
    from lstmlab.reproduction import outcome
    from lstmlab.runner import run

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
    for name, value in (("config", job.config.to_dict()), ("seeds", list(job.seeds))):
        if document.get(name) != value:
            raise ConfigError(
                _("{where} is not job {id}'s: its {name!r} field differs").format(where=where, id=job.id, name=name)
            )
    with well_formed(where):
        return decode(ExperimentOutcome, document["outcome"])


def decode(kind, value):
    """A plain JSON value back into `kind`: dataclasses field by field, tuples, lists, dicts,
    `X | None`; what `plain` made of it."""
    if value is None:
        return None
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return decode(next(a for a in args if a is not type(None)), value)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{f.name: decode(hints[f.name], value[f.name]) for f in dataclasses.fields(kind) if f.init})
    if origin is tuple:
        return tuple(decode(args[0], v) for v in value)
    if origin is list:
        return [decode(args[0], v) for v in value]
    if kind is float:
        return float(value)
    return value

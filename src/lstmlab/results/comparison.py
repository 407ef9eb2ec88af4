"""`lstmlab compare`: every cell at every lag of one of the paper's tasks, over many seeds.

The sweep is a list of independent jobs, one per (cell, lag, group of seeds), each a plain
value that `run_job` turns into a `JobResult`. `run_jobs` is a plain local loop over them;
a distributed engine can take the same jobs instead (nothing here schedules). The results
are gathered by (cell, lag) into one document: the solved share and the median sequences
to solve, beside the paper's figures.
"""

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstmlab.document import Document, rounded
from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.results.run import versions
from lstmlab.results.task import PaperFigures, TaskOutcome, outcome, paper_figures
from lstmlab.settings.config import MAX_CELLS, MAX_LAGS, TaskConfig, load_task_config
from lstmlab.settings.paper import DIFFERENCES, get_task

DEFAULT_CELLS = "lstm,lstm:5,lstm-1997,gru,rnn"
DEFAULT_LAGS = "10,20,50,100"


@dataclass(frozen=True)
class CellChoice:
    """A cell as `--cells` names it: 'lstm', or 'lstm:5' for an LSTM with forget bias 5."""

    label: str
    cell: str
    forget_bias: float


def parse_cells(text: str) -> tuple[CellChoice, ...]:
    if not text.strip():
        raise ConfigError(_("--cells is empty; give cells like lstm,lstm:5,gru"))
    choices = []
    for part in (p.strip() for p in text.split(",")):
        cell, colon, bias = part.partition(":")
        if colon and cell != "lstm":
            raise ConfigError(_("--cells {part!r}: only the lstm cell takes a forget bias (lstm:B)").format(part=part))
        try:
            forget_bias = float(bias) if colon else 1.0
        except ValueError:
            raise ConfigError(
                _("--cells {part!r}: the forget bias {bias!r} is not a number").format(part=part, bias=bias)
            ) from None
        label = f"lstm:{forget_bias:g}" if colon else cell
        choices.append(CellChoice(label, cell, forget_bias))
    labels = [c.label for c in choices]
    if len(set(labels)) != len(labels):
        raise ConfigError(_("--cells {text!r} names a cell twice").format(text=text))
    if len(choices) > MAX_CELLS:
        raise ConfigError(
            _("--cells names {n} cells; at most {MAX_CELLS} are allowed").format(n=len(choices), MAX_CELLS=MAX_CELLS)
        )
    return tuple(choices)


def parse_lags(text: str | None, task: str) -> tuple[int | None, ...]:
    if get_task(task).default_lag is None:
        if text is not None:
            raise ConfigError(
                _("task {task!r} has no lag: its strings' lengths come from its grammar; leave out --lags").format(
                    task=task
                )
            )
        return (None,)
    if text is not None and not text.strip():  # given empty: never read as "the default lags"
        raise ConfigError(_("--lags is empty; give lags like 10,20,50,100, or leave it out for those"))
    lags = []
    for part in (DEFAULT_LAGS if text is None else text).split(","):
        try:
            lags.append(int(part))
        except ValueError:
            raise ConfigError(
                _("--lags: {value!r} is not a whole number; give lags like 10,20,50,100").format(value=part.strip())
            ) from None
    if len(set(lags)) != len(lags):
        raise ConfigError(_("--lags {text!r} names a lag twice").format(text=text))
    if len(lags) > MAX_LAGS:
        raise ConfigError(
            _("--lags names {n} lags; at most {MAX_LAGS} are allowed").format(n=len(lags), MAX_LAGS=MAX_LAGS)
        )
    return tuple(sorted(lags))


@dataclass(frozen=True)
class Job:
    """One independent piece of a sweep: these seeds of this cell at this lag."""

    config: TaskConfig
    label: str  # the cell as --cells named it
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class JobResult:
    job: Job
    solved_at: tuple[int, ...]  # per seed, training sequences to solve; -1: never
    sequences: tuple[int, ...]  # per seed, training sequences seen
    seconds: float
    # per seed, the mean training loss between checks, each check until its group stopped
    loss: tuple[tuple[float, ...], ...] = ()


def plan_jobs(
    task: str,
    cells: Sequence[CellChoice],
    lags: Sequence[int | None],
    seeds: Sequence[int],
    group: int | None = None,
    **settings,
) -> list[Job]:
    """Every (cell, lag, seed group) job, each config checked: all mistakes before any work.
    `group` splits the seeds (default: one job holds them all, trained side by side)."""
    size = group or len(seeds)
    jobs = []
    for choice in cells:
        for lag in lags:
            lag_setting = {} if lag is None else {"lag": lag}
            config = load_task_config(task, cell=choice.cell, forget_bias=choice.forget_bias, **lag_setting, **settings)
            for first in range(0, len(seeds), size):
                jobs.append(Job(config, choice.label, tuple(seeds[first : first + size])))
    return jobs


def run_job(job: Job) -> JobResult:
    from lstmlab.engine.until_solved import train_until_solved

    training = train_until_solved(job.config, job.seeds)
    return JobResult(
        job,
        tuple(int(s) for s in training.solved_at),
        tuple(int(s) for s in training.sequences),
        training.train_seconds + training.compile_seconds,
        tuple(
            tuple(float(x) for x in row[: seen // training.check_every])
            for row, seen in zip(training.loss, training.sequences, strict=True)
        ),
    )


def run_jobs(jobs: Sequence[Job], on_done: Callable[[int, JobResult], None] | None = None) -> list[JobResult]:
    """The plain local loop: one job after another."""
    results = []
    for index, job in enumerate(jobs):
        results.append(run_job(job))
        if on_done is not None:
            on_done(index, results[-1])
    return results


# --- the document -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    cell: str  # as --cells named it
    lag: int | None
    outcome: TaskOutcome
    solved_at: tuple[int | None, ...]  # per seed, in seed order; None: never
    seconds: float


@dataclass(frozen=True, eq=False)
class ComparisonDocument(Document):
    kind = "comparison"
    task: str
    summary: str
    criterion: str
    cells: tuple[str, ...]
    lags: tuple[int | None, ...]
    seeds: tuple[int, ...]
    settings: dict  # the settings every job shares (budget, units, optimizer, ...)
    check_every: int
    rows: tuple[ComparisonRow, ...]  # cell by cell, lag by lag
    paper: PaperFigures
    differences: str
    report_folder: str
    figures: tuple[str, ...]  # paths inside the report folder
    command: tuple[str, ...]
    versions: dict

    def row(self, cell: str, lag: int | None) -> ComparisonRow:
        return next(r for r in self.rows if r.cell == cell and r.lag == lag)


FIGURES = ("figures/solved.png", "figures/sequences.png")


def comparison_document(
    results: Sequence[JobResult], seeds: Sequence[int], out: Path, command: Sequence[str] | None = None
) -> ComparisonDocument:
    if not results:
        raise ConfigError(_("nothing to compare: no cells or no lags"))
    if command is None:
        command = [Path(sys.argv[0]).name, *sys.argv[1:]]
    first = results[0].job.config
    task = get_task(first.task)
    cells = tuple(dict.fromkeys(r.job.label for r in results))
    lags = tuple(dict.fromkeys(r.job.config.lag for r in results))
    rows = []
    for cell in cells:
        for lag in lags:
            parts = [r for r in results if r.job.label == cell and r.job.config.lag == lag]
            by_seed = {s: at for r in parts for s, at in zip(r.job.seeds, r.solved_at, strict=True)}
            solved_at = np.array([by_seed[s] for s in seeds])
            rows.append(
                ComparisonRow(
                    cell,
                    lag,
                    outcome(solved_at),
                    tuple(int(a) if a >= 0 else None for a in solved_at),
                    rounded(sum(r.seconds for r in parts), 3),
                )
            )
    shared = {k: v for k, v in first.to_dict().items() if k not in ("task", "lag", "cell", "forget_bias", "seed")}
    return ComparisonDocument(
        first.task,
        task.summary,
        task.criterion,
        cells,
        lags,
        tuple(seeds),
        shared,
        first.check_every,
        tuple(rows),
        paper_figures(task),
        DIFFERENCES,
        str(out),
        FIGURES,
        tuple(command),
        versions(),
    )


def compare_cells(
    task: str,
    cells: str = DEFAULT_CELLS,
    lags: str | None = None,
    seeds: Sequence[int] = range(1, 11),
    **settings,
) -> ComparisonDocument:
    """`lstmlab compare` from Python, without a report folder: every cell (as --cells writes
    them, e.g. "lstm,lstm:5,gru,rnn") at every lag (as --lags, e.g. "10,50"), each seed
    trained until solved or out of budget. `settings`: budget, check_every, units, optimizer,
    learning_rate. Every setting is checked before any training."""
    seeds = tuple(int(s) for s in seeds)
    jobs = plan_jobs(task, parse_cells(cells), parse_lags(lags, task), seeds, **settings)
    return comparison_document(run_jobs(jobs), seeds, Path(""), command=())

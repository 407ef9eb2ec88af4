"""`lstmlab run TASK` for the paper's long-time-lag tasks: train until solved, and the
document that says which seeds solved it, after how many sequences, beside the paper."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lstmlab.document import Document, rounded
from lstmlab.engine.until_solved import TaskTraining, train_until_solved
from lstmlab.settings.config import TaskConfig
from lstmlab.settings.paper import CITATION, DIFFERENCES, PaperTask, get_task


@dataclass(frozen=True)
class PaperFigures:
    citation: str
    experiment: str  # the paper's numbering
    result: str  # what it reported, in words
    sequences: int  # its mean training sequences to solve
    solved: str  # its share of trials that solved the task


@dataclass(frozen=True)
class TaskSeedResult:
    seed: int
    solved: bool
    sequences: int | None  # training sequences seen when the criterion first held; None: never
    heldout_wrong: float  # share of held-out sequences wrong at the last check


@dataclass(frozen=True)
class TaskOutcome:
    """What many seeds of one setting did: the figures a comparison table shows."""

    seeds: int
    solved: int
    solved_share: float
    median_sequences: float | None  # among the seeds that solved it; None when none did
    min_sequences: int | None
    max_sequences: int | None


@dataclass(frozen=True, eq=False)
class TaskRunDocument(Document):
    kind = "task-run"
    task: str
    summary: str
    definition: str
    criterion: str
    settings: dict  # every setting (the fields of TaskConfig)
    check_every: int  # training sequences between checks: "sequences to solve" is known to within this
    heldout: int  # held-out sequences the criterion is checked on
    outcome: TaskOutcome
    seeds: tuple[TaskSeedResult, ...]
    paper: PaperFigures
    differences: str
    train_seconds: float
    compile_seconds: float


def paper_figures(task: PaperTask) -> PaperFigures:
    return PaperFigures(CITATION, task.experiment, task.paper_result, task.paper_sequences, task.paper_solved)


def outcome(solved_at: np.ndarray) -> TaskOutcome:
    solved = solved_at[solved_at >= 0]
    n = len(solved_at)
    return TaskOutcome(
        n,
        len(solved),
        rounded(len(solved) / n),
        float(np.median(solved)) if len(solved) else None,
        int(solved.min()) if len(solved) else None,
        int(solved.max()) if len(solved) else None,
    )


def last_wrong(training: TaskTraining) -> np.ndarray:
    """(seeds,) each seed's share of held-out sequences wrong at its last check; nan: none."""
    return np.array([row[~np.isnan(row)][-1] if (~np.isnan(row)).any() else np.nan for row in training.wrong])


def task_document(training: TaskTraining) -> TaskRunDocument:
    return task_document_of(
        training.config,
        training.seeds,
        training.solved_at,
        last_wrong(training),
        training.check_every,
        training.heldout_size,
        training.train_seconds,
        training.compile_seconds,
    )


def task_document_of(
    config: TaskConfig,
    seeds: Sequence[int],
    solved_at: np.ndarray,
    wrong: np.ndarray,
    check_every: int,
    heldout: int,
    train_seconds: float,
    compile_seconds: float,
) -> TaskRunDocument:
    """The document from per-seed outcomes (trained in this process, or read back from a sweep's jobs)."""
    task = get_task(config.task)
    solved_at = np.asarray(solved_at)
    results = tuple(
        TaskSeedResult(int(seed), bool(at >= 0), int(at) if at >= 0 else None, rounded(share))
        for seed, at, share in zip(seeds, solved_at, wrong, strict=True)
    )
    return TaskRunDocument(
        config.task,
        task.summary,
        task.definition,
        task.criterion,
        config.to_dict(),
        check_every,
        heldout,
        outcome(solved_at),
        results,
        paper_figures(task),
        DIFFERENCES,
        rounded(train_seconds, 3),
        rounded(compile_seconds, 3),
    )


def run_task(
    config: TaskConfig,
    seeds: Sequence[int] | None = None,
    on_progress: Callable[[int, np.ndarray], None] | None = None,
) -> TaskRunDocument:
    """Train `config` once per seed until solved or out of budget; the document of what happened."""
    return task_document(train_until_solved(config, seeds, on_progress))

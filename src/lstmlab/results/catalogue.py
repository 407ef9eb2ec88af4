"""What `lstmlab list` shows: the tutorial's experiments and the 1997 paper's long-time-lag
tasks as one document (no JAX needed)."""

from dataclasses import dataclass

from lstmlab.document import Document
from lstmlab.i18n import N_
from lstmlab.settings.config import load_config, load_task_config
from lstmlab.settings.experiments import EXPERIMENTS
from lstmlab.settings.paper import CITATION, DIFFERENCES, PAPER_TASKS

KERAS_ERA = N_(
    "The tutorial's figures came from Keras 1/2, whose LSTM used hard_sigmoid as its recurrent activation; "
    "lstmlab defaults to Keras 3's sigmoid. --activation hard_sigmoid gives the older cell."
)


@dataclass(frozen=True)
class ExperimentEntry:
    name: str
    description: str
    settings: dict  # every setting, as `lstmlab run NAME` uses them
    tutorial_accuracy: float  # share in [0, 1], as the tutorial printed it
    tutorial_note: str


@dataclass(frozen=True)
class PaperEntry:
    citation: str
    experiment: str
    result: str
    sequences: int
    solved: str


@dataclass(frozen=True)
class TaskEntry:
    name: str
    summary: str
    definition: str
    criterion: str
    settings: dict  # every setting, as `lstmlab run NAME` uses them (the fields of TaskConfig)
    paper: PaperEntry


@dataclass(frozen=True)
class ExperimentList(Document):
    kind = "experiments"
    experiments: tuple[ExperimentEntry, ...]
    note: str
    tasks: tuple[TaskEntry, ...]
    tasks_note: str


def experiment_list() -> ExperimentList:
    return ExperimentList(
        tuple(
            ExperimentEntry(
                e.name, e.summary, load_config(e.name).to_dict(), e.tutorial_accuracy / 100, e.tutorial_note
            )
            for e in EXPERIMENTS.values()
        ),
        KERAS_ERA,
        tuple(
            TaskEntry(
                t.name,
                t.summary,
                t.definition,
                t.criterion,
                load_task_config(t.name).to_dict(),
                PaperEntry(CITATION, t.experiment, t.paper_result, t.paper_sequences, t.paper_solved),
            )
            for t in PAPER_TASKS.values()
        ),
        DIFFERENCES,
    )

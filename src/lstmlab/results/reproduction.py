"""Reproduce the tutorial: every experiment over many seeds, and a report of how the
tutorial's single runs compare with the distribution.

    plan(...)                 - check the request and resolve the configs, before anything runs
    run_experiments(...)      - train and evaluate each config over the seeds
    reproduction_document(...) - the outcome as one document (results.json is its JSON)
    write_folder(...)         - put the report's files in place all at once, or not at all

The report's pages and pictures are drawn from the document by `lstmlab.render_report`.
"""

import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstmlab.document import Document, rounded
from lstmlab.engine.runner import RunResult, run
from lstmlab.engine.training import EpochMetrics
from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.model import folders
from lstmlab.results.run import ChangedSetting, changes, run_distribution, versions
from lstmlab.results.stats import Distribution
from lstmlab.settings.config import MAX_EPOCHS_SCALE, Config, load_config
from lstmlab.settings.experiments import EXPERIMENTS, get_experiment

REPORT_FILES = ("report.md", "report.html", "results.json")
# --- the request -----------------------------------------------------------------------------


def experiment_names(text: str | None) -> tuple[str, ...]:
    """'a,b' -> the named experiments, in the registry's order; None -> all of them."""
    if text is None:
        return tuple(EXPERIMENTS)
    if not text.strip():  # given empty: never read as "all of them"
        raise ConfigError(_("--experiments is empty; give experiments like naive,timesteps, or leave it out for all"))
    names = [part.strip() for part in text.split(",")]
    for name in names:
        get_experiment(name)  # raises, naming the allowed set
    if len(set(names)) != len(names):
        raise ConfigError(_("--experiments {text!r} names an experiment twice").format(text=text))
    return tuple(name for name in EXPERIMENTS if name in names)


def scaled_config(experiment, epochs: int | None, epochs_scale: float | None) -> Config:
    if epochs is not None and epochs_scale is not None:
        raise ConfigError(_("give --epochs or --epochs-scale, not both"))
    if epochs_scale is not None:
        if not (math.isfinite(epochs_scale) and epochs_scale > 0):  # inf would overflow round(), nan compares False
            raise ConfigError(
                _("--epochs-scale must be positive and finite, got {epochs_scale!r}").format(epochs_scale=epochs_scale)
            )
        if epochs_scale > MAX_EPOCHS_SCALE:
            raise ConfigError(
                _("--epochs-scale {epochs_scale!r} is too large; allowed: above 0, up to {MAX_EPOCHS_SCALE}").format(
                    epochs_scale=epochs_scale, MAX_EPOCHS_SCALE=MAX_EPOCHS_SCALE
                )
            )
        epochs = max(1, round(load_config(experiment.name).epochs * epochs_scale))
    return load_config(experiment.name) if epochs is None else load_config(experiment.name, epochs=epochs)


def check_out_dir(out: str | os.PathLike) -> Path:
    """The report folder may be new, empty, or a previous report (which is replaced whole);
    its parent must exist. Anything else is a mistake, found before training starts."""
    out = Path(out)
    return folders.check_target(
        out,
        is_ours=is_report_folder,
        label=f"--out {str(out)!r}:",
        kind=_("an lstmlab report"),
        error=ConfigError,
        parent_must_exist=True,
    )


def is_report_folder(folder: Path, besides: tuple[str, ...] = ()) -> bool:
    """A previous report: the report files, figures/ and nothing else but `besides` (a user's
    own files beside a report make it theirs, and it is never deleted)."""
    names = {p.name for p in folder.iterdir()}
    return (
        names <= {*REPORT_FILES, "figures", *besides}
        and all((folder / name).is_file() for name in REPORT_FILES)
        and ("figures" not in names or (folder / "figures").is_dir())
    )


def plan(
    names: str | None,
    epochs: int | None = None,
    epochs_scale: float | None = None,
    out: Path | None = None,
    **changes,
) -> list[Config]:
    """Every check, then the configs to run; `changes` (say cell="gru") apply to every
    experiment. Nothing runs and nothing is written here."""
    configs = [
        scaled_config(get_experiment(name), epochs, epochs_scale).replace(**changes) for name in experiment_names(names)
    ]
    if out is not None:
        check_out_dir(out)
    return configs


# --- running ---------------------------------------------------------------------------------


def run_experiments(
    configs: Sequence[Config],
    seeds: Sequence[int],
    on_start: Callable[[int, Config], None] | None = None,
    on_progress: Callable[[int, EpochMetrics], None] | None = None,
) -> list[RunResult]:
    """Train and evaluate each config over `seeds`; on_start(index, config) before each."""
    results = []
    for index, config in enumerate(configs):
        if on_start is not None:
            on_start(index, config)
        results.append(run(config, seeds=seeds, on_progress=on_progress))
    return results


# --- the document -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedOutcome:
    seed: int
    accuracy: float
    final_loss: float


@dataclass(frozen=True)
class Curve:
    """A training history over seeds, per epoch: the median seed and the bands around it."""

    minimum: tuple[float, ...]
    p10: tuple[float, ...]
    median: tuple[float, ...]
    p90: tuple[float, ...]
    maximum: tuple[float, ...]


@dataclass(frozen=True)
class Curves:
    loss: Curve
    accuracy: Curve


@dataclass(frozen=True)
class Figures:
    accuracy: str  # path inside the report folder
    curves: str


@dataclass(frozen=True)
class ExperimentOutcome:
    experiment: str
    description: str
    tutorial_accuracy: float  # share in [0, 1], as the tutorial printed it
    tutorial_note: str
    settings: dict
    changed_settings: tuple[ChangedSetting, ...]  # where this run differs from the tutorial
    train_patterns: int
    per_seed: tuple[SeedOutcome, ...]
    statistics: Distribution
    curves: Curves
    train_seconds: float
    compile_seconds: float
    figures: Figures


@dataclass(frozen=True)
class ReproductionDocument(Document):
    kind = "reproduction"
    seeds: tuple[int, ...]
    experiments: tuple[ExperimentOutcome, ...]
    report_folder: str
    command: tuple[str, ...]
    versions: dict


def curve(history: np.ndarray) -> Curve:
    bands = np.percentile(np.asarray(history, dtype=np.float64), [0, 10, 50, 90, 100], axis=0)
    return Curve(*(tuple(rounded(v) for v in band) for band in bands))


def figure_names(name: str) -> Figures:
    return Figures(f"figures/{name}-accuracy.png", f"figures/{name}-curves.png")


def outcome(result: RunResult) -> ExperimentOutcome:
    config, experiment = result.config, EXPERIMENTS[result.config.experiment]
    accuracies = result.accuracies
    return ExperimentOutcome(
        experiment=experiment.name,
        description=experiment.summary,
        tutorial_accuracy=round(experiment.tutorial_accuracy / 100, 6),
        tutorial_note=experiment.tutorial_note,
        settings=config.to_dict(),
        changed_settings=changes(config),
        train_patterns=len(result.dataset.train),
        per_seed=tuple(
            SeedOutcome(seed, float(accuracies[i]), rounded(result.training.loss[i, -1]))
            for i, seed in enumerate(result.seeds)
        ),
        statistics=run_distribution(result),
        curves=Curves(curve(result.training.loss), curve(result.training.accuracy)),
        train_seconds=round(result.training.train_seconds, 3),
        compile_seconds=round(result.training.compile_seconds, 3),
        figures=figure_names(experiment.name),
    )


def reproduction_document(
    results: Sequence[RunResult], seeds: Sequence[int], out: Path, command: Sequence[str] | None = None
) -> ReproductionDocument:
    if command is None:  # `lstmlab reproduce …`, not the installed script's full path
        command = [Path(sys.argv[0]).name, *sys.argv[1:]]
    return ReproductionDocument(tuple(seeds), tuple(outcome(r) for r in results), str(out), tuple(command), versions())


# --- writing, all or nothing -----------------------------------------------------------------


def write_folder(out: Path, files: dict[str, bytes]) -> Path:
    """Write `files` into a temporary folder beside `out`, then move it into place; a previous
    report there is swapped out and removed. An error or Ctrl-C leaves `out` as it was."""

    def write(folder: Path) -> None:
        for relative, data in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    return folders.write_atomically(check_out_dir(out), write, error=ConfigError, label=f"--out {str(out)!r}:")

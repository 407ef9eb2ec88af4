"""The run's document: what `lstmlab run` shows, built once from a `RunResult`.

One seed or many: every seed's accuracy, predictions and history; over several seeds the
statistics; for a stateful model the tutorial's generations; the timing and, once saved,
where the models are. The command line renders it as text or JSON; the playground serves it.
"""

import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstmlab import __version__
from lstmlab.document import Document, rounded
from lstmlab.engine.data import Dataset
from lstmlab.engine.evaluate import Answers
from lstmlab.engine.runner import RunResult, Trained, run
from lstmlab.engine.runtime import cache_dir
from lstmlab.engine.training import EpochMetrics
from lstmlab.errors import LstmlabError, ModelFileError
from lstmlab.i18n import _
from lstmlab.model.generation import StatefulDemonstrations, demonstrations_of
from lstmlab.model.persist import save
from lstmlab.model.trained import models_of
from lstmlab.results.stats import Distribution, distribution
from lstmlab.settings.config import Config, changed_settings, steps_per_epoch
from lstmlab.settings.experiments import EXPERIMENTS

DETAILED_SEEDS = 100  # seeds whose every answer the document lists; the statistics cover them all


@dataclass(frozen=True)
class PredictionRow:
    input: str
    target: str
    predicted: str
    probability: float  # of the predicted symbol
    correct: bool


@dataclass(frozen=True)
class History:
    loss: tuple[float, ...]  # mean training loss per epoch
    accuracy: tuple[float, ...]  # share of training samples predicted right per epoch


@dataclass(frozen=True)
class SeedResult:
    seed: int
    accuracy: float  # on the training patterns, as the tutorial reports it
    holdout_accuracy: float | None  # on the held-out patterns, when some were kept out
    predictions: tuple[PredictionRow, ...] | None  # every training pattern, in data order (the first 100 seeds)
    holdout_predictions: tuple[PredictionRow, ...] | None
    history: History


@dataclass(frozen=True)
class Timing:
    steps: int  # updates per model
    seeds: int
    compile_seconds: float
    train_seconds: float
    model_steps_per_second: float


@dataclass(frozen=True)
class ChangedSetting:
    setting: str
    tutorial: object
    used: object


@dataclass(frozen=True)
class RunDocument(Document):
    kind = "run"
    experiment: str
    description: str  # what the experiment learns
    settings: dict  # every setting of the run (`Config`)
    changed_settings: tuple[ChangedSetting, ...]  # where the run differs from the tutorial
    train_patterns: int
    holdout_patterns: int
    random_sample: tuple[int, ...]  # indices into the predictions, the tutorial's random patterns
    seeds: tuple[SeedResult, ...]
    statistics: Distribution | None  # over the seeds, when there are several
    demonstrations: StatefulDemonstrations | None  # a stateful model of one seed: the tutorial's generations
    timing: Timing
    saved: str | None  # the folder the models were saved to
    command: tuple[str, ...]
    versions: dict


def prediction_rows(
    pairs: list[tuple[str, str]], answers: Answers, index: int, alphabet: str
) -> tuple[PredictionRow, ...]:
    """Seed `index`'s answer to every pattern; pairs: the patterns as (input, target) text."""
    best, probability = answers.predicted[index], answers.probability[index]
    return tuple(
        PredictionRow(text, target, alphabet[best[i]], rounded(probability[i]), target == alphabet[best[i]])
        for i, (text, target) in enumerate(pairs)
    )


def seed_results(result: RunResult, detailed: int = DETAILED_SEEDS) -> tuple[SeedResult, ...]:
    """Every seed's result; the first `detailed` seeds list every answer."""
    alphabet, data = result.config.alphabet, result.dataset
    accuracies, holdout = result.accuracies, result.holdout_accuracies  # computed once, read per seed
    train_pairs = data.train.pairs(alphabet)
    holdout_pairs = None if data.holdout is None else data.holdout.pairs(alphabet)
    return tuple(
        SeedResult(
            seed=seed,
            accuracy=float(accuracies[index]),
            holdout_accuracy=None if holdout is None else float(holdout[index]),
            predictions=prediction_rows(train_pairs, result.train_answers, index, alphabet) if listed else None,
            holdout_predictions=None
            if data.holdout is None or not listed
            else prediction_rows(holdout_pairs, result.holdout_answers, index, alphabet),
            history=History(
                tuple(rounded(v) for v in result.training.loss[index]),
                tuple(rounded(v) for v in result.training.accuracy[index]),
            ),
        )
        for index, seed in enumerate(result.seeds)
        for listed in [index < detailed]
    )


def run_distribution(result: RunResult) -> Distribution:
    return pattern_distribution(result.config, result.dataset, result.correct, result.holdout_correct)


def pattern_distribution(config: Config, dataset: Dataset, correct, holdout_correct) -> Distribution:
    """The statistics over seeds, from each seed's right answers (seeds, patterns)."""
    inputs, targets = zip(*dataset.train.pairs(config.alphabet), strict=True)
    return distribution(correct, list(inputs), list(targets), holdout_correct)


def steps_of(result: RunResult) -> int:
    """Updates per model."""
    return result.training.loss.shape[1] * steps_per_epoch(result.config, len(result.dataset.train))


def timing(result: RunResult) -> Timing:
    t = result.training
    return timing_of(steps_of(result), len(t.seeds), t.compile_seconds, t.train_seconds)


def timing_of(steps: int, seeds: int, compile_seconds: float, train_seconds: float) -> Timing:
    rate = steps * seeds / train_seconds if train_seconds > 0 else float("inf")
    return Timing(steps, seeds, round(compile_seconds, 4), round(train_seconds, 4), round(rate, 1))


def versions() -> dict:
    import jax  # loaded already by whatever computed the document

    return {
        "lstmlab": __version__,
        "jax": jax.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "backend": jax.default_backend(),
    }


def changes(config) -> tuple[ChangedSetting, ...]:
    return tuple(ChangedSetting(name, tutorial, used) for name, (tutorial, used) in changed_settings(config).items())


def run_document(
    result: RunResult,
    demonstrations: StatefulDemonstrations | None = None,
    saved: str | None = None,
    command: tuple[str, ...] | None = None,
) -> RunDocument:
    statistics = run_distribution(result) if len(result.seeds) > 1 else None
    parts = (seed_results(result), statistics, timing(result))
    return assembled_document(result.config, result.dataset, *parts, demonstrations, saved, command)


def assembled_document(
    config: Config,
    dataset: Dataset,
    seeds: tuple[SeedResult, ...],
    statistics: Distribution | None,
    timing: Timing,
    demonstrations: StatefulDemonstrations | None = None,
    saved: str | None = None,
    command: tuple[str, ...] | None = None,
) -> RunDocument:
    """The run's document from its parts (made in this process, or read back from a sweep's jobs)."""
    experiment = EXPERIMENTS.get(config.experiment)
    shows_sample = config.data == "runs" or (experiment is not None and experiment.random_sample)
    return RunDocument(
        experiment=config.experiment,
        description=experiment.summary if experiment is not None else "",
        settings=config.to_dict(),
        changed_settings=changes(config),
        train_patterns=len(dataset.train),
        holdout_patterns=0 if dataset.holdout is None else len(dataset.holdout),
        random_sample=tuple(int(i) for i in dataset.sample) if shows_sample else (),
        seeds=seeds,
        statistics=statistics,
        demonstrations=demonstrations,
        timing=timing,
        saved=saved,
        command=tuple(sys.argv if command is None else command),
        versions=versions(),
    )


# --- a run as `lstmlab run` does it: train, keep the models safe, then explain ----------------


def run_experiment(
    config: Config,
    seeds: Sequence[int] | None = None,
    save_to: str | os.PathLike | None = None,
    on_progress: Callable[[int, EpochMetrics], None] | None = None,
) -> RunDocument:
    """Train, save the models (first, so nothing after training can lose them), then build
    the document, with the tutorial's generations for a stateful model of one seed."""
    kept: list[Trained] = []
    saved: list[str] = []

    def keep(trained: Trained) -> None:
        kept.append(trained)
        if save_to is not None:
            saved.append(str(save_safely(save_to, trained)))

    try:
        result = run(config, seeds=seeds, on_progress=on_progress, on_trained=keep)
        return run_document(result, demonstrations_of(result), saved[0] if saved else None)
    except Exception as e:
        if not kept or isinstance(e, LstmlabError):
            raise
        raise failed_after_training(e, kept[0], saved[0] if saved else None) from e


def failed_after_training(error: Exception, trained: Trained, saved: str | None) -> ModelFileError:
    """The one line for a fault after training (memory, a bug): what failed, and where the
    trained models are: where they were saved, or, not asked to be saved, in `unsaved_dir`."""
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if saved is None:
        try:
            saved = str(save(unsaved_dir(trained), models_of(trained)))
        except (LstmlabError, OSError) as second:
            return ModelFileError(
                _("evaluating the trained models failed ({reason}), and saving them failed too ({second})").format(
                    reason=reason, second=second
                )
            )
    return ModelFileError(
        _("evaluating the trained models failed ({reason}); they are saved in '{folder}'").format(
            reason=reason, folder=saved
        )
    )


def unsaved_dir(result: Trained) -> Path:
    """Where models go when the folder the user named fails after training."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return cache_dir() / "unsaved" / f"{result.config.experiment}-{stamp}-{os.getpid()}"


def save_safely(folder: str | os.PathLike, result: Trained) -> Path:
    """Save every seed's model to `folder`. If that fails after training (a full disk, a folder
    gone read-only), save them to `unsaved_dir` instead and say where, in one error line."""
    models = models_of(result)
    try:
        return save(folder, models)
    except (LstmlabError, OSError) as e:
        reason = str(e) if isinstance(e, LstmlabError) else f"cannot save to '{folder}': {e.strerror or e}"
        rescue = unsaved_dir(result)
        try:
            save(rescue, models)
        except (LstmlabError, OSError) as second:
            raise ModelFileError(
                _("{reason}; saving to '{rescue}' failed too ({second}): nothing was kept").format(
                    reason=reason, rescue=rescue, second=second
                )
            ) from None
        raise ModelFileError(
            _("{reason}; the trained models were saved to '{rescue}' instead").format(reason=reason, rescue=rescue)
        ) from None

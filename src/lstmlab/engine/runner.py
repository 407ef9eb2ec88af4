"""One experiment from settings to results: data, training over seeds, evaluation."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lstmlab.engine.data import Dataset, Patterns, make_dataset
from lstmlab.engine.evaluate import Answers, answers_many
from lstmlab.engine.training import EpochMetrics, TrainResult, train
from lstmlab.settings.config import Config


@dataclass(frozen=True, eq=False)
class Trained:
    """Every seed's trained weights, before anything is evaluated: what a save needs."""

    config: Config
    training: TrainResult

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.training.seeds

    def params(self, seed_index: int = 0) -> dict:
        return self.training.params_of(seed_index)


@dataclass(frozen=True, eq=False)
class RunResult(Trained):
    """Every seed's trained weights, history and answers. Arrays lead with the seed axis."""

    dataset: Dataset
    train_answers: Answers  # each seed's answer to each training pattern
    holdout_answers: Answers | None  # and to each held-out pattern
    correct: np.ndarray  # (seeds, train samples) bool: which patterns each seed predicts right
    holdout_correct: np.ndarray | None  # (seeds, holdout samples) bool

    @property
    def accuracies(self) -> np.ndarray:
        """(seeds,) accuracy on the training patterns, as the tutorial reports it."""
        return self.correct.mean(axis=1)

    @property
    def holdout_accuracies(self) -> np.ndarray | None:
        return None if self.holdout_correct is None else self.holdout_correct.mean(axis=1)

    @property
    def accuracy(self) -> float:
        """The first seed's training accuracy."""
        return float(self.correct[0].mean())

def correct_answers(answers: Answers, patterns: Patterns) -> np.ndarray:
    return answers.predicted == patterns.targets[None, :]


def run(
    config: Config,
    seeds: Sequence[int] | None = None,
    on_progress: Callable[[int, EpochMetrics], None] | None = None,
    dataset: Dataset | None = None,
    on_trained: Callable[[Trained], None] | None = None,
) -> RunResult:
    """Train `config` once per seed (default: config.seed) and evaluate every model.

    `dataset` defaults to `make_dataset(config)`; pass it when you have already made it.
    `on_trained(trained)` runs between training and evaluation (to save the models first).
    """
    dataset = dataset if dataset is not None else make_dataset(config)
    training = train(config, dataset.train, seeds=seeds, on_progress=on_progress)
    if on_trained is not None:
        on_trained(Trained(config, training))
    train_answers = answers_many(training.params, config, dataset.train)
    holdout_answers = holdout_correct = None
    if dataset.holdout is not None:
        holdout_answers = answers_many(training.params, config, dataset.holdout)
        holdout_correct = correct_answers(holdout_answers, dataset.holdout)
    correct = correct_answers(train_answers, dataset.train)
    return RunResult(
        config=config,
        training=training,
        dataset=dataset,
        train_answers=train_answers,
        holdout_answers=holdout_answers,
        correct=correct,
        holdout_correct=holdout_correct,
    )

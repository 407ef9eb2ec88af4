"""One experiment from settings to results: data, training over seeds, evaluation."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lstmlab.config import Config
from lstmlab.data import Dataset, Patterns, make_dataset
from lstmlab.evaluate import PredictionRow, prediction_rows, probabilities_many
from lstmlab.training import EpochMetrics, TrainResult, train


@dataclass(frozen=True)
class RunResult:
    config: Config
    dataset: Dataset
    training: TrainResult
    train_probs: np.ndarray  # (seeds, train samples, symbols)
    holdout_probs: np.ndarray | None  # (seeds, holdout samples, symbols)

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.training.seeds

    @property
    def correct(self) -> np.ndarray:
        """(seeds, training patterns) bool: which patterns each seed predicts right."""
        return _correct(self.train_probs, self.dataset.train)

    @property
    def accuracies(self) -> np.ndarray:
        """(seeds,) accuracy on the training patterns, as the tutorial reports it."""
        return self.correct.mean(axis=1)

    @property
    def holdout_accuracies(self) -> np.ndarray | None:
        if self.holdout_probs is None:
            return None
        return _correct(self.holdout_probs, self.dataset.holdout).mean(axis=1)

    @property
    def accuracy(self) -> float:
        """The first seed's training accuracy."""
        return float(self.accuracies[0])

    def predictions(self, seed_index: int = 0, indices=None, holdout: bool = False) -> list[PredictionRow]:
        patterns = self.dataset.holdout if holdout else self.dataset.train
        probs = self.holdout_probs if holdout else self.train_probs
        return prediction_rows(patterns, probs[seed_index], self.config.alphabet, indices)

    def params(self, seed_index: int = 0) -> dict:
        return self.training.params_of(seed_index)


def _correct(probs: np.ndarray, patterns: Patterns) -> np.ndarray:
    return np.argmax(probs, axis=-1) == patterns.targets[None, :]


def run(
    config: Config,
    seeds: Sequence[int] | None = None,
    on_progress: Callable[[int, EpochMetrics], None] | None = None,
    dataset: Dataset | None = None,
) -> RunResult:
    """Train `config` once per seed (default: config.seed) and evaluate every model.

    `dataset` defaults to `make_dataset(config)`; pass it when you have already made it.
    """
    dataset = dataset if dataset is not None else make_dataset(config)
    training = train(config, dataset.train, seeds=seeds, on_progress=on_progress)
    train_probs = probabilities_many(training.params, config, dataset.train)
    holdout_probs = None
    if dataset.holdout is not None:
        holdout_probs = probabilities_many(training.params, config, dataset.holdout)
    return RunResult(config, dataset, training, train_probs, holdout_probs)

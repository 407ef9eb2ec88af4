"""What a run prints: the pairs, the settings line, the prediction table, the JSON document."""

import platform
import sys

import jax
import numpy as np

from lstmlab import __version__
from lstmlab.config import Config
from lstmlab.data import Patterns
from lstmlab.experiments import EXPERIMENTS
from lstmlab.generation import WHY_WARMUP, Generation
from lstmlab.runner import RunResult
from lstmlab.training import steps_per_epoch

PAIRS_SHOWN = 30  # the variable-length data has 1000 pairs: show the head and count the rest


def pair_lines(patterns: Patterns, alphabet: str, limit: int = PAIRS_SHOWN) -> list[str]:
    """The notebook's listing, `ABC -> D`, one pattern a line."""
    lines = [
        f"{''.join(patterns.input_text(i, alphabet))} -> {alphabet[patterns.targets[i]]}"
        for i in range(min(len(patterns), limit))
    ]
    if len(patterns) > limit:
        lines.append(f"… and {len(patterns) - limit} more ({len(patterns)} pairs)")
    return lines


def describe_batch(config: Config) -> str:
    return "all" if config.batch_size is None else str(config.batch_size)


def settings_line(config: Config) -> str:
    window = f"runs of 1..{config.seq_length}" if config.data == "runs" else f"window {config.seq_length}"
    parts = [
        window,
        f"framing {config.framing}",
        f"units {config.units}",
        f"epochs {config.epochs}",
        f"batch {describe_batch(config)}",
        f"shuffle {'on' if config.shuffle else 'off'}",
    ]
    if config.stateful:
        parts.append("stateful")
    if config.data == "runs":
        parts.append(f"padding {config.padding}")
    if config.holdout:
        parts.append(f"holdout {config.holdout:g}")
    if config.encoding != "scalar":
        parts.append(f"encoding {config.encoding}")
    if config.recurrent_activation != "sigmoid":
        parts.append(config.recurrent_activation)
    return ", ".join(parts)


def accuracy_line(accuracy: float, label: str = "Model Accuracy") -> str:
    return f"{label}: {accuracy * 100:.2f}%"


def timing_line(result: RunResult) -> str:
    t = result.training
    steps = len(t.loss[0]) * steps_per_epoch(t.config, len(result.dataset.train))
    rate = steps * len(t.seeds) / t.train_seconds if t.train_seconds > 0 else float("inf")
    models = f" × {len(t.seeds)} seeds" if len(t.seeds) > 1 else ""
    return (
        f"Trained {steps:,} steps{models} in {t.train_seconds:.2f} s "
        f"({rate:,.0f} model-steps/s; compiling took {t.compile_seconds:.2f} s)"
    )


def prediction_lines(result: RunResult, seed_index: int = 0) -> list[str]:
    """The prediction table as the tutorial prints it: every training pattern (the
    variable-length data: only 20 drawn at random), then the random sample where the
    tutorial shows one."""
    experiment = EXPERIMENTS.get(result.config.experiment)
    sample = experiment is not None and experiment.random_sample
    lines = []
    if result.config.data != "runs":
        lines += [row.line() for row in result.predictions(seed_index)]
    if sample or result.config.data == "runs":
        lines.append("Test a Random Pattern:")
        lines += [row.line() for row in result.predictions(seed_index, indices=result.dataset.sample)]
    return lines


def generation_lines(generations: list[Generation]) -> list[str]:
    lines = []
    for generation in generations:
        lines.append(generation.title)
        lines += [step.line() for step in generation.steps]
    lines.append(WHY_WARMUP)
    return lines


def generations_document(generations: list[Generation]) -> list[dict]:
    return [
        {
            "title": g.title,
            "steps": [
                {"input": s.context, "predicted": s.predicted, "probability": round(s.probability, 6)} for s in g.steps
            ],
        }
        for g in generations
    ]


def versions() -> dict:
    return {
        "lstmlab": __version__,
        "jax": jax.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "backend": jax.default_backend(),
    }


def result_document(result: RunResult, extra: dict | None = None) -> dict:
    """Everything `run --json` prints, as plain JSON values."""
    seeds = []
    for index, seed in enumerate(result.seeds):
        entry = {
            "seed": seed,
            "accuracy": float(result.accuracies[index]),
            "predictions": [row.to_dict() for row in result.predictions(index)],
            "history": {
                "loss": [round(float(v), 6) for v in result.training.loss[index]],
                "accuracy": [round(float(v), 6) for v in result.training.accuracy[index]],
            },
        }
        if result.holdout_accuracies is not None:
            entry["holdout_accuracy"] = float(result.holdout_accuracies[index])
            entry["holdout_predictions"] = [row.to_dict() for row in result.predictions(index, holdout=True)]
        seeds.append(entry)
    document = {
        "experiment": result.config.experiment,
        "settings": result.config.to_dict(),
        "train_patterns": len(result.dataset.train),
        "holdout_patterns": 0 if result.dataset.holdout is None else len(result.dataset.holdout),
        "accuracy": seeds[0]["accuracy"],
        "predictions": seeds[0]["predictions"],
        "history": seeds[0]["history"],
        "compile_seconds": round(result.training.compile_seconds, 4),
        "train_seconds": round(result.training.train_seconds, 4),
        "seeds": seeds,
        "command": sys.argv,
        "versions": versions(),
    }
    if result.holdout_accuracies is not None:
        document["holdout_accuracy"] = seeds[0]["holdout_accuracy"]
    if extra:
        document.update(extra)
    return document

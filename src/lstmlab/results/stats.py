"""Statistics over seeds: how accuracy is distributed, and which patterns are hard.

Pure functions of arrays: `summarize` and `histogram` of per-seed accuracies,
`pattern_hits` of a (seeds, samples) table of right answers. Their results are parts of
documents (`lstmlab.results.run`); `lstmlab.render.text` prints them.
"""

from dataclasses import dataclass

import numpy as np

from lstmlab.i18n import _


@dataclass(frozen=True)
class Summary:
    """Accuracy (shares in [0, 1]) over seeds."""

    seeds: int
    mean: float
    median: float
    minimum: float
    maximum: float
    std: float  # population standard deviation (ddof 0): the spread of these seeds themselves
    perfect: int  # seeds at 100%
    perfect_share: float  # perfect / seeds


def summarize(accuracies) -> Summary:
    values = np.asarray(accuracies, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(_("need a non-empty list of accuracies, got shape {shape}").format(shape=values.shape))
    return Summary(
        seeds=len(values),
        mean=float(np.mean(values)),
        median=float(np.median(values)),
        minimum=float(np.min(values)),
        maximum=float(np.max(values)),
        std=float(np.std(values)),
        perfect=int(np.sum(values >= 1.0)),
        perfect_share=float(np.mean(values >= 1.0)),
    )


@dataclass(frozen=True)
class Bin:
    low: float  # included
    high: float  # excluded, except for the bin of exactly 100%
    count: int
    label: str  # "90–100%", or "100%" for the bin of exactly 100%


def make_bin(low: float, high: float, count: int) -> Bin:
    label = f"{low * 100:.0f}%" if low == high else f"{low * 100:.0f}–{high * 100:.0f}%"
    return Bin(low, high, count, label)


def histogram(accuracies, bins: int = 10) -> list[Bin]:
    """Counts in `bins` equal bins over [0, 1), then a bin of its own for exactly 100%
    (the share that matters most here). Bins below the lowest accuracy are left out."""
    values = np.asarray(accuracies, dtype=np.float64)
    perfect = values >= 1.0
    # An accuracy is k/n: k/n * bins can land a hair below a whole number, hence the 1e-9.
    index = np.clip(np.floor(values[~perfect] * bins + 1e-9).astype(int), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    first = int(index.min()) if len(index) else bins
    result = [make_bin(k / bins, (k + 1) / bins, int(counts[k])) for k in range(first, bins)]
    return result + [make_bin(1.0, 1.0, int(perfect.sum()))]


@dataclass(frozen=True)
class PatternHits:
    input: str
    target: str
    hits: int  # seeds that predict it right
    seeds: int
    occurrences: int  # times it appears in the training data


def pattern_hits(correct, inputs: list[str], targets: list[str]) -> list[PatternHits]:
    """For each distinct (input, target), in order of first appearance, how many seeds get it
    right. correct: (seeds, samples) bool. A pattern drawn several times counts as right for
    a seed only if every draw of it is right."""
    correct = np.asarray(correct, dtype=bool)
    first_seen: dict[tuple[str, str], list[int]] = {}
    for sample, key in enumerate(zip(inputs, targets, strict=True)):
        first_seen.setdefault(key, []).append(sample)
    return [
        PatternHits(text, target, int(correct[:, samples].all(axis=1).sum()), correct.shape[0], len(samples))
        for (text, target), samples in first_seen.items()
    ]


@dataclass(frozen=True)
class Distribution:
    """How a run's seeds did: the accuracy summary, its histogram, and per-pattern hits."""

    summary: Summary
    histogram: list[Bin]
    patterns: list[PatternHits]
    holdout: Summary | None  # accuracy on held-out patterns, when some were kept out


def distribution(correct, inputs: list[str], targets: list[str], holdout_correct=None) -> Distribution:
    """correct: (seeds, samples) bool right answers on the training patterns, whose inputs
    and targets are given as text; holdout_correct: the same for held-out patterns, or None."""
    accuracies = np.asarray(correct).mean(axis=1)
    return Distribution(
        summary=summarize(accuracies),
        histogram=histogram(accuracies),
        patterns=pattern_hits(correct, inputs, targets),
        holdout=None if holdout_correct is None else summarize(np.asarray(holdout_correct).mean(axis=1)),
    )

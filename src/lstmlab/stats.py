"""Statistics over seeds: how accuracy is distributed, and which patterns are hard.

Pure functions of arrays: `summarize` and `histogram` of per-seed accuracies,
`pattern_hits` of a (seeds, samples) table of right answers; `distribution` gathers them
for a `RunResult`, and `distribution_lines` / `distribution_document` print them.
"""

from dataclasses import asdict, dataclass

import numpy as np

from lstmlab.runner import RunResult

BAR = 40  # characters of the longest histogram bar
PATTERNS_SHOWN = 30  # more distinct patterns than this: show the hardest ones only


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

    @property
    def perfect_share(self) -> float:
        return self.perfect / self.seeds

    def to_dict(self) -> dict:
        return asdict(self) | {"perfect_share": self.perfect_share}


def summarize(accuracies) -> Summary:
    values = np.asarray(accuracies, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"need a non-empty list of accuracies, got shape {values.shape}")
    return Summary(
        seeds=len(values),
        mean=float(np.mean(values)),
        median=float(np.median(values)),
        minimum=float(np.min(values)),
        maximum=float(np.max(values)),
        std=float(np.std(values)),
        perfect=int(np.sum(values >= 1.0)),
    )


@dataclass(frozen=True)
class Bin:
    low: float  # included
    high: float  # excluded, except for the bin of exactly 100%
    count: int

    @property
    def label(self) -> str:
        if self.low == self.high:
            return f"{self.low * 100:.0f}%"
        return f"{self.low * 100:.0f}–{self.high * 100:.0f}%"

    def to_dict(self) -> dict:
        return {"low": self.low, "high": self.high, "count": self.count, "label": self.label}


def histogram(accuracies, bins: int = 10) -> list[Bin]:
    """Counts in `bins` equal bins over [0, 1), then a bin of its own for exactly 100%
    (the share that matters most here). Bins below the lowest accuracy are left out."""
    values = np.asarray(accuracies, dtype=np.float64)
    perfect = values >= 1.0
    # An accuracy is k/n: k/n * bins can land a hair below a whole number, hence the 1e-9.
    index = np.clip(np.floor(values[~perfect] * bins + 1e-9).astype(int), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    first = int(index.min()) if len(index) else bins
    result = [Bin(k / bins, (k + 1) / bins, int(counts[k])) for k in range(first, bins)]
    return result + [Bin(1.0, 1.0, int(perfect.sum()))]


@dataclass(frozen=True)
class PatternHits:
    pattern: str  # the input, as text
    target: str
    hits: int  # seeds that predict it right
    seeds: int
    occurrences: int  # times it appears in the training data

    def to_dict(self) -> dict:
        return asdict(self)


def pattern_hits(correct, inputs: list[str], targets: list[str]) -> list[PatternHits]:
    """For each distinct (input, target), in order of first appearance, how many seeds get it
    right. correct: (seeds, samples) bool. A pattern drawn several times counts as right for
    a seed only if every draw of it is right."""
    correct = np.asarray(correct, dtype=bool)
    first_seen: dict[tuple[str, str], list[int]] = {}
    for sample, key in enumerate(zip(inputs, targets, strict=True)):
        first_seen.setdefault(key, []).append(sample)
    return [
        PatternHits(pattern, target, int(correct[:, samples].all(axis=1).sum()), correct.shape[0], len(samples))
        for (pattern, target), samples in first_seen.items()
    ]


@dataclass(frozen=True)
class Distribution:
    summary: Summary
    histogram: list[Bin]
    patterns: list[PatternHits]
    holdout: Summary | None  # accuracy on held-out patterns, when some were kept out

    def to_dict(self) -> dict:
        return {
            "summary": self.summary.to_dict(),
            "histogram": [b.to_dict() for b in self.histogram],
            "patterns": [p.to_dict() for p in self.patterns],
            "holdout": None if self.holdout is None else self.holdout.to_dict(),
        }


def distribution(result: RunResult) -> Distribution:
    patterns, alphabet = result.dataset.train, result.config.alphabet
    inputs = ["".join(patterns.input_text(i, alphabet)) for i in range(len(patterns))]
    targets = [alphabet[code] for code in patterns.targets]
    holdout = result.holdout_accuracies
    return Distribution(
        summary=summarize(result.accuracies),
        histogram=histogram(result.accuracies),
        patterns=pattern_hits(result.correct, inputs, targets),
        holdout=None if holdout is None else summarize(holdout),
    )


def percent(share: float) -> str:
    return f"{share * 100:.2f}%"


def summary_line(summary: Summary, label: str = "Accuracy") -> str:
    return (
        f"{label} over {summary.seeds} seeds: mean {percent(summary.mean)}, median {percent(summary.median)}, "
        f"min {percent(summary.minimum)}, max {percent(summary.maximum)}, "
        f"std {summary.std * 100:.2f} points; {summary.perfect}/{summary.seeds} seeds "
        f"({summary.perfect_share * 100:.0f}%) at 100%"
    )


def bar(count: int, largest: int, width: int = BAR) -> str:
    """A bar of `count` out of `largest`, in eighths of a character."""
    if count == 0 or largest == 0:
        return ""
    eighths = max(1, round(count / largest * width * 8))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def histogram_lines(bins: list[Bin]) -> list[str]:
    largest = max(b.count for b in bins)
    width = max(len(b.label) for b in bins)
    return [f"  {b.label:>{width}}  {b.count:>5}  {bar(b.count, largest)}".rstrip() for b in bins]


def pattern_lines(patterns: list[PatternHits], limit: int = PATTERNS_SHOWN) -> list[str]:
    """Every pattern in data order, or, when there are many, the hardest `limit`."""
    if len(patterns) <= limit:
        shown, title = patterns, "Per pattern, seeds that predict it right:"
    else:
        shown = sorted(patterns, key=lambda p: (p.hits, p.pattern))[:limit]
        title = f"Per pattern, seeds that predict it right (the {limit} hardest of {len(patterns)}):"
    width = max(len(p.pattern) for p in shown)
    seeds = patterns[0].seeds
    lines = [title]
    digits = len(str(seeds))
    for p in shown:
        line = f"  {p.pattern:>{width}} -> {p.target}  {p.hits:>{digits}}/{seeds}  {bar(p.hits, seeds, 20)}"
        lines.append(line.rstrip())
    if len(patterns) > limit:
        rest = sorted(p.hits for p in patterns)[limit:]
        lines.append(f"  … and {len(rest)} more, each right in at least {rest[0]}/{seeds} seeds")
    return lines


def distribution_lines(dist: Distribution) -> list[str]:
    lines = [summary_line(dist.summary)]
    if dist.holdout is not None:
        lines.append(summary_line(dist.holdout, "Held-out accuracy"))
    lines.append("Seeds by accuracy:")
    lines += histogram_lines(dist.histogram)
    lines += pattern_lines(dist.patterns)
    return lines

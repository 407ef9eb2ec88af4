"""Patterns to learn, and their encoding as the network's input.

Symbols are coded 0..n-1 by their place in the alphabet. A pattern is a short run of codes
and the code that follows it. Inputs are pre-padded (as Keras's pad_sequences does) so a
batch of runs of different lengths is one rectangular array.
"""

from dataclasses import dataclass

import numpy as np

from lstmlab.errors import DataError
from lstmlab.i18n import _
from lstmlab.settings.config import Config

PAD = -1  # marks a padded step in `Patterns.inputs`; never a symbol's code


@dataclass(frozen=True)
class Patterns:
    inputs: np.ndarray  # (samples, time) int32 codes, pre-padded with PAD
    targets: np.ndarray  # (samples,) int32 code of the next symbol

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def lengths(self) -> np.ndarray:
        return (self.inputs != PAD).sum(axis=1)

    def input_text(self, index: int, alphabet: str) -> list[str]:
        return [alphabet[code] for code in self.inputs[index] if code != PAD]

    def pairs(self, alphabet: str) -> list[tuple[str, str]]:
        """Every pattern as text: (input, target), the notebook's `ABC -> D`."""
        return [("".join(self.input_text(i, alphabet)), alphabet[self.targets[i]]) for i in range(len(self))]

    def subset(self, indices) -> "Patterns":
        return Patterns(self.inputs[indices], self.targets[indices])


def encode_text(text: str, alphabet: str) -> np.ndarray:
    """Codes of `text`'s symbols; a symbol outside the alphabet is named with its position."""
    index = {symbol: code for code, symbol in enumerate(alphabet)}
    codes = []
    for position, symbol in enumerate(text):
        if symbol not in index:
            shown = alphabet if len(alphabet) <= 40 else alphabet[:37] + "…"
            raise DataError(
                _("{symbol!r} is not in the alphabet {shown!r} (position {position})").format(
                    symbol=symbol, shown=shown, position=position
                )
            )
        codes.append(index[symbol])
    return np.asarray(codes, np.int32)


def windows(codes: np.ndarray, length: int) -> Patterns:
    """Every window of `length` codes and the code after it: ABC -> D, BCD -> E, ..."""
    count = len(codes) - length
    if count < 1:
        raise DataError(
            _("a sequence of {n_codes} symbols has no window of length {length} with a next symbol").format(
                n_codes=len(codes), length=length
            )
        )
    starts = np.arange(count)[:, None] + np.arange(length)[None, :]
    return Patterns(codes[starts].astype(np.int32), codes[length:].astype(np.int32))


def random_runs(size: int, count: int, max_length: int, rng: np.random.RandomState) -> Patterns:
    """The tutorial's variable-length draws, in its order and with its exclusive bounds:
    start = randint(size-2), end = randint(start, min(start+max_length, size-1)),
    input = codes start..end (1..max_length symbols), target = end+1.
    """
    inputs = np.full((count, max_length), PAD, np.int32)
    targets = np.empty(count, np.int32)
    for row in range(count):
        start = rng.randint(size - 2)
        end = rng.randint(start, min(start + max_length, size - 1))
        run = np.arange(start, end + 1)
        inputs[row, max_length - len(run) :] = run
        targets[row] = end + 1
    return Patterns(inputs, targets)


def encode_inputs(patterns: Patterns, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Network input X (samples, time, features) float32 and mask (samples, time) bool.

    scalar: a code becomes code / alphabet length, one feature (the tutorial's encoding);
    onehot: a code becomes a one-hot vector over the alphabet.
    Padded steps carry code 0, as the tutorial's pad_sequences does; the mask marks them
    False, and the model uses it only with padding "mask".
    "features" framing lays a window's steps side by side as features of one time step.
    """
    size = len(config.alphabet)
    mask = patterns.inputs != PAD
    codes = np.where(mask, patterns.inputs, 0)
    if config.encoding == "scalar":
        x = (codes / float(size)).astype(np.float32)[..., None]
    else:
        x = np.eye(size, dtype=np.float32)[codes]
    if config.framing == "features":
        x = x.reshape(len(patterns), 1, -1)
        mask = mask.all(axis=1, keepdims=True)
    if config.padding == "zero":
        mask = np.ones_like(mask)
    return x, mask


# What one run's inputs and targets may hold, in numbers (float32: 1 GiB). A one-hot text of
# 20,000 distinct characters would ask for some 8 GB before training; this refuses it first.
MAX_DATA_NUMBERS = 2**28


def check_data_size(samples: int, config: Config) -> None:
    """DataError, before any array is made, if the inputs (samples × steps × features) and
    one-hot targets (samples × alphabet) would hold more than MAX_DATA_NUMBERS numbers."""
    steps = 1 if config.framing == "features" else config.seq_length
    numbers = samples * (steps * input_features(config) + len(config.alphabet))
    if numbers > MAX_DATA_NUMBERS:
        raise DataError(
            _(
                "{samples} patterns over an alphabet of {symbols} symbols need {numbers} numbers for inputs and "
                "targets; allowed: up to {limit} (give a shorter text, fewer distinct symbols or scalar encoding)"
            ).format(
                samples=samples,
                symbols=len(config.alphabet),
                numbers=numbers,
                limit=MAX_DATA_NUMBERS,
            )
        )


def input_features(config: Config) -> int:
    per_step = 1 if config.encoding == "scalar" else len(config.alphabet)
    return per_step * (config.seq_length if config.framing == "features" else 1)


@dataclass(frozen=True)
class Dataset:
    train: Patterns
    holdout: Patterns | None  # kept out of training, or None
    sample: np.ndarray  # indices into train: the random patterns the tutorial shows


def make_dataset(config: Config, sample_size: int = 20) -> Dataset:
    # One RandomState seeded like the tutorial's numpy.random.seed(7): its draws, in its
    # order, give the tutorial's very patterns and its random sample.
    rng = np.random.RandomState(config.data_seed)
    if config.data == "runs":
        patterns = random_runs(len(config.alphabet), config.num_patterns, config.seq_length, rng)
    else:
        text = config.sequence if config.sequence is not None else config.alphabet
        patterns = windows(encode_text(text, config.alphabet), config.seq_length)
    check_data_size(len(patterns), config)
    train, holdout = split_holdout(patterns, config)
    sample = rng.randint(len(train), size=sample_size)
    return Dataset(train=train, holdout=holdout, sample=sample)


def split_holdout(patterns: Patterns, config: Config) -> tuple[Patterns, Patterns | None]:
    """Fixed windows keep back their last part; random runs keep back a share of the
    distinct patterns, every draw of them, so that no held-out pattern was seen in training."""
    if config.holdout == 0:
        return patterns, None
    if config.data == "windows":
        keep = len(patterns) - max(1, round(len(patterns) * config.holdout))
        if keep < 1:
            raise DataError(
                _("holdout {holdout} leaves no pattern to train on ({n_patterns} in all)").format(
                    holdout=config.holdout, n_patterns=len(patterns)
                )
            )
        return patterns.subset(slice(0, keep)), patterns.subset(slice(keep, None))
    distinct = np.unique(patterns.inputs, axis=0)
    chooser = np.random.default_rng(config.data_seed)
    n_held = max(1, round(len(distinct) * config.holdout))
    held = distinct[chooser.permutation(len(distinct))[:n_held]]
    is_held = (patterns.inputs[:, None, :] == held[None, :, :]).all(axis=2).any(axis=1)
    if is_held.all():
        raise DataError(_("holdout {holdout} leaves no pattern to train on").format(holdout=config.holdout))
    held_rows = np.unique(patterns.inputs[is_held], axis=0, return_index=True)[1]
    return patterns.subset(~is_held), patterns.subset(np.flatnonzero(is_held)[held_rows])

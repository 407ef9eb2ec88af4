"""Asking a trained model: the next symbol after a text, and sequences fed back to it.

A fixed-window model reads the last `seq_length` symbols; a variable-length (runs) model
reads 1..`seq_length` symbols, pre-padded; a stateful model reads its text window by
window (letter by letter when the window is 1) from a reset state, carrying the state.
"""

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from lstmlab.cell import LSTMState, zero_state
from lstmlab.config import Config
from lstmlab.data import PAD, Patterns, encode_inputs, encode_text
from lstmlab.errors import DataError
from lstmlab.network import forward


@partial(jax.jit, static_argnames=("activation",))
def _step(params, x, mask, state: LSTMState, *, activation: str):
    logits, state = forward(params, x, mask, state, recurrent_activation=activation)
    return jax.nn.softmax(logits)[0], state


def padded_window(codes: np.ndarray, config: Config) -> np.ndarray:
    """(seq_length,) codes, pre-padded with PAD when there are fewer (a runs model)."""
    inputs = np.full(config.seq_length, PAD, np.int32)
    inputs[config.seq_length - len(codes) :] = codes
    return inputs


def _window_input(codes: np.ndarray, config: Config):
    """The network's input for one window: x (1, time, features) and mask (1, time)."""
    x, mask = encode_inputs(Patterns(padded_window(codes, config)[None, :], np.zeros(1, np.int32)), config)
    return jnp.asarray(x), jnp.asarray(mask)


def windows_in_turn(codes: np.ndarray, length: int) -> list[np.ndarray]:
    return [codes[end - length : end] for end in range(length, len(codes) + 1)]


def reading_windows(codes: np.ndarray, config: Config) -> list[np.ndarray]:
    """What the model reads of `codes`: a stateful model every window in turn, others one."""
    return windows_in_turn(codes, config.seq_length) if config.stateful else [codes]


def check_text(text: str, config: Config) -> np.ndarray:
    """Codes of `text`, if this model can read it; else DataError naming what is allowed."""
    if not text:
        raise DataError(f"the text is empty; give {_allowed_lengths(config)} symbols from the model's alphabet")
    codes = encode_text(text, config.alphabet)
    if config.stateful:
        if len(codes) < config.seq_length:
            raise DataError(f"{text!r} has {_count(codes)}; this model needs at least {config.seq_length}")
    elif config.data == "runs":
        if len(codes) > config.seq_length:
            raise DataError(f"{text!r} has {_count(codes)}; this model reads 1..{config.seq_length}")
    elif len(codes) != config.seq_length:
        raise DataError(f"{text!r} has {_count(codes)}; this model reads windows of exactly {config.seq_length}")
    return codes


def _count(codes: np.ndarray) -> str:
    return "1 symbol" if len(codes) == 1 else f"{len(codes)} symbols"


def _allowed_lengths(config: Config) -> str:
    if config.stateful:
        return f"at least {config.seq_length}"
    return f"1..{config.seq_length}" if config.data == "runs" else f"exactly {config.seq_length}"


def feed(params: dict, config: Config, codes: np.ndarray, state: LSTMState | None = None):
    """Read `codes` as a stateful model does: every window in turn, carrying the state.

    Returns the probabilities after each window, (windows, symbols), and the final state.
    """
    state = zero_state((1,), config.units) if state is None else state
    probs = []
    for window in windows_in_turn(codes, config.seq_length):
        p, state = _step(params, *_window_input(window, config), state, activation=config.recurrent_activation)
        probs.append(np.asarray(p))
    return np.stack(probs), state


def next_probabilities(params: dict, config: Config, text: str) -> np.ndarray:
    """(symbols,) probabilities of the symbol after `text`; a stateful model starts from a reset."""
    codes = check_text(text, config)
    if config.stateful:
        return feed(params, config, codes)[0][-1]
    p, _ = _step(
        params, *_window_input(codes, config), zero_state((1,), config.units), activation=config.recurrent_activation
    )
    return np.asarray(p)


@dataclass(frozen=True)
class Step:
    context: str  # what the model read for this prediction (a stateful model: this window)
    predicted: str
    probability: float

    def line(self) -> str:
        return f"{self.context} -> {self.predicted}"


def generate(params: dict, config: Config, start: str, steps: int, warmup: str = "") -> list[Step]:
    """Feed the model its own predictions `steps` times, beginning after `warmup + start`.

    warmup is read first and only shapes the context (a stateful model: its state).
    """
    if steps < 1:
        raise DataError(f"steps must be a positive whole number, got {steps}")
    if not start:
        raise DataError("the start text is empty; give at least one symbol from the model's alphabet")
    codes = np.concatenate([encode_text(warmup, config.alphabet), encode_text(start, config.alphabet)])
    if (config.stateful or config.data == "windows") and len(codes) < config.seq_length:
        raise DataError(
            f"{warmup + start!r} has {_count(codes)}; this model needs at least {config.seq_length} to start"
        )
    window = config.seq_length
    out: list[Step] = []
    if config.stateful:
        probs, state = feed(params, config, codes)
        p = probs[-1]
        for _ in range(steps):
            best = int(np.argmax(p))
            out.append(Step(_text(codes[-window:], config), config.alphabet[best], float(p[best])))
            codes = np.append(codes, best)
            p, state = _step(
                params, *_window_input(codes[-window:], config), state, activation=config.recurrent_activation
            )
            p = np.asarray(p)
        return out
    for _ in range(steps):
        context = codes[-window:]
        p, _ = _step(
            params,
            *_window_input(context, config),
            zero_state((1,), config.units),
            activation=config.recurrent_activation,
        )
        best = int(np.argmax(p))
        out.append(Step(_text(context, config), config.alphabet[best], float(p[best])))
        codes = np.append(codes, best)
    return out


def _text(codes: np.ndarray, config: Config) -> str:
    return "".join(config.alphabet[c] for c in codes)


@dataclass(frozen=True)
class Generation:
    title: str
    steps: list[Step]


WHY_WARMUP = (
    "Why: after a reset the state is the one every epoch began with, when the input was always the first "
    "letter, so from K it answers what follows the first letter; warmed with the letters before K, the state "
    "is where training had it at K, and it answers right."
)


def seeded_generations(params: dict, config: Config) -> list[Generation]:
    """The stateful tutorial's two demonstrations, and the fix.

    1. From the first letter after a reset, fed its own predictions: the whole alphabet.
    2. From K (the 11th letter) after a reset, five steps: the tutorial's wrong answers.
    3. From K after warming the state with the letters before it: right again.
    """
    alphabet = config.alphabet
    first = alphabet[: config.seq_length]
    k = min(10, len(alphabet) - 2)
    start, before = alphabet[k : k + config.seq_length], alphabet[:k]
    return [
        Generation(f"From {first} after a reset:", generate(params, config, first, len(alphabet) - len(first))),
        Generation(f"New start: {start}, after a reset:", generate(params, config, start, 5)),
        Generation(
            f"New start: {start}, after warming the state with {before}:",
            generate(params, config, start, 5, warmup=before),
        ),
    ]

"""How a trained model reads a text: which texts it can read, the windows it reads them in,
their padding, and the state carried from window to window.

A fixed-window model reads exactly `seq_length` symbols; a variable-length (runs) model
reads 1..`seq_length` symbols, pre-padded; a stateful model reads any text of at least one
window, window by window (letter by letter when the window is 1) from a reset state,
carrying the state. Prediction, generation and inspection all read through here.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from lstmlab.engine.cell import CellState, zero_state
from lstmlab.engine.data import PAD, Patterns, encode_inputs, encode_text
from lstmlab.engine.network import cell_options, forward
from lstmlab.errors import DataError
from lstmlab.i18n import _
from lstmlab.settings.config import Config


@partial(jax.jit, static_argnames=("cell", "recurrent_activation"))
def _step(params, x, mask, state: CellState, *, cell: str, recurrent_activation: str):
    logits, state = forward(params, x, mask, state, cell=cell, recurrent_activation=recurrent_activation)
    return jax.nn.softmax(logits)[0], state


def padded_window(codes: np.ndarray, config: Config) -> np.ndarray:
    """(seq_length,) codes, pre-padded with PAD when there are fewer (a runs model)."""
    inputs = np.full(config.seq_length, PAD, np.int32)
    inputs[config.seq_length - len(codes) :] = codes
    return inputs


def window_input(codes: np.ndarray, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """The network's input for one window: x (1, time, features) and mask (1, time)."""
    return encode_inputs(Patterns(padded_window(codes, config)[None, :], np.zeros(1, np.int32)), config)


def windows_in_turn(codes: np.ndarray, length: int) -> list[np.ndarray]:
    return [codes[end - length : end] for end in range(length, len(codes) + 1)]


def reading_windows(codes: np.ndarray, config: Config) -> list[np.ndarray]:
    """What the model reads of `codes`: a stateful model every window in turn, others one."""
    return windows_in_turn(codes, config.seq_length) if config.stateful else [codes]


def check_text(text: str, config: Config) -> np.ndarray:
    """Codes of `text`, if this model can read it; else DataError naming what is allowed."""
    if not text:
        raise DataError(
            _("the text is empty; give {value} symbols from the model's alphabet").format(value=allowed_lengths(config))
        )
    codes = encode_text(text, config.alphabet)
    if config.stateful:
        if len(codes) < config.seq_length:
            raise DataError(
                _("{text!r} has {value}; this model needs at least {seq_length}").format(
                    text=text, value=count(codes), seq_length=config.seq_length
                )
            )
    elif config.data == "runs":
        if len(codes) > config.seq_length:
            raise DataError(
                _("{text!r} has {value}; this model reads 1..{seq_length}").format(
                    text=text, value=count(codes), seq_length=config.seq_length
                )
            )
    elif len(codes) != config.seq_length:
        raise DataError(
            _("{text!r} has {value}; this model reads windows of exactly {seq_length}").format(
                text=text, value=count(codes), seq_length=config.seq_length
            )
        )
    return codes


def count(codes) -> str:
    return "1 symbol" if len(codes) == 1 else f"{len(codes)} symbols"


def allowed_lengths(config: Config) -> str:
    if config.stateful:
        return f"at least {config.seq_length}"
    return f"1..{config.seq_length}" if config.data == "runs" else f"exactly {config.seq_length}"


def read_window(params: dict, config: Config, codes: np.ndarray, state: CellState | None = None):
    """Probabilities (symbols,) after one window of `codes`, and the state it leaves.
    A model that is not stateful always starts from a zero state."""
    if state is None or not config.stateful:
        state = zero_state((1,), config.units)
    x, mask = window_input(codes, config)
    p, state = _step(params, jnp.asarray(x), jnp.asarray(mask), state, **cell_options(config))
    return np.asarray(p), state


def feed(params: dict, config: Config, codes: np.ndarray, state: CellState | None = None):
    """Read `codes` as a stateful model does: every window in turn, carrying the state.

    Returns the probabilities after each window, (windows, symbols), and the final state.
    """
    probs = []
    for window in windows_in_turn(codes, config.seq_length):
        p, state = read_window(params, config, window, state)
        probs.append(p)
    return np.stack(probs), state


def next_probabilities(params: dict, config: Config, text: str) -> np.ndarray:
    """(symbols,) probabilities of the symbol after `text`; a stateful model starts from a reset."""
    codes = check_text(text, config)
    if config.stateful:
        return feed(params, config, codes)[0][-1]
    return read_window(params, config, codes)[0]

"""The paper's long-time-lag tasks as sequence generators (`lstmlab.settings.paper` has their definitions).

Each task draws one sequence from a PRNG key, in JAX, so that training draws a fresh sequence
for every update inside the compiled loop, and each seed's stream of sequences is the same
whichever cell trains on it. Sequences of one task share one length: shorter ones are
pre-padded with masked steps (which leave the state untouched), so the last step is always
the sequence's end.

Outputs: "softmax" (a class at the end), "linear" (a number at the end), or "steps" (a set
of possible next symbols at every step, sigmoid units).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lstmlab.settings.config import TaskConfig


class Sequences(NamedTuple):
    x: jax.Array  # (..., time, features) float32
    mask: jax.Array  # (..., time) bool: False on padding
    target: jax.Array  # (...,) int32 class, (...,) float32 value, or (..., time, outputs) 0/1 per step


@dataclass(frozen=True)
class Task:
    name: str
    features: int
    outputs: int
    length: int  # time steps of every sequence, padding included
    output: str  # "softmax", "linear" or "steps"
    sample: Callable[[jax.Array], Sequences]  # one sequence from a key
    symbols: str = ""  # names of the one-hot inputs, where they are symbols


def make_task(config: TaskConfig) -> Task:
    return {
        "long-lag": long_lag,
        "adding": adding,
        "temporal-order": temporal_order,
        "embedded-reber": lambda _: embedded_reber(),
    }[config.task](config.lag)


# --- Exp. 2a: noise-free sequences with long time lags ---------------------------------------


def long_lag(p: int) -> Task:
    """Symbols a1..a(p-1) are 0..p-2, x is p-1, y is p. Input: (x or y, a1, ..., a(p-1));
    target: the first symbol again."""
    x_symbol, y_symbol = p - 1, p

    def sample(key):
        first = jnp.where(jax.random.bernoulli(key), y_symbol, x_symbol)
        codes = jnp.concatenate([first[None], jnp.arange(p - 1)])
        return Sequences(jax.nn.one_hot(codes, p + 1), jnp.ones(p, bool), first.astype(jnp.int32))

    return Task("long-lag", p + 1, p + 1, p, "softmax", sample)


def long_lag_both(p: int) -> Sequences:
    """The task's only two sequences, (y ...) and (x ...): its held-out set."""
    codes = np.stack([np.r_[first, np.arange(p - 1)] for first in (p, p - 1)])
    x = np.eye(p + 1, dtype=np.float32)[codes]
    return Sequences(jnp.asarray(x), jnp.ones((2, p), bool), jnp.asarray([p, p - 1], jnp.int32))


# --- Exp. 4: the adding problem ---------------------------------------------------------------


def _length_and_offset(key, lag: int, longest: int):
    """A length drawn from lag..lag + lag // 10, and where the sequence starts in `longest` steps."""
    length = jax.random.randint(key, (), lag, lag + lag // 10 + 1)
    return length, longest - length


def adding(lag: int) -> Task:
    longest = lag + lag // 10

    def sample(key):
        k_length, k_values, k_first, k_second = jax.random.split(key, 4)
        length, offset = _length_and_offset(k_length, lag, longest)
        position = jnp.arange(longest) - offset  # -1, -2, ... on padding
        values = jax.random.uniform(k_values, (longest,), jnp.float32, -1.0, 1.0)
        # X1 among the first ten steps (the first lag/2 - 1 for a short lag, never the last step)
        first = jax.random.randint(k_first, (), 0, min(10, lag // 2 - 1))
        # X2 among the first lag/2 - 1 steps, not X1's: draw from one fewer and step over X1
        second = jax.random.randint(k_second, (), 0, lag // 2 - 2)
        second = second + (second >= first)
        marked = (position == first) | (position == second)
        values = jnp.where((position == 0) & marked, 0.0, values)  # a marked first step counts 0
        marker = jnp.where(marked, 1.0, jnp.where((position == 0) | (position == length - 1), -1.0, 0.0))
        valid = position >= 0
        x = jnp.stack([jnp.where(valid, values, 0.0), jnp.where(valid, marker, 0.0)], axis=-1)
        target = 0.5 + jnp.sum(jnp.where(marked, values, 0.0)) / 4.0
        return Sequences(x, valid, target)

    return Task("adding", 2, 1, longest, "linear", sample)


# --- Exp. 6a: temporal order ----------------------------------------------------------------

ORDER_SYMBOLS = "EBabcdXY"


def temporal_order(lag: int) -> Task:
    longest = lag + lag // 10
    E, B, X = 0, 1, 6  # codes in ORDER_SYMBOLS; Y is X + 1

    def sample(key):
        k_length, k_noise, k_first, k_second, k_which = jax.random.split(key, 5)
        length, offset = _length_and_offset(k_length, lag, longest)
        position = jnp.arange(longest) - offset
        first = jax.random.randint(k_first, (), lag // 10, lag // 5 + 1)
        second = jax.random.randint(k_second, (), lag // 2, 6 * lag // 10 + 1)
        which = jax.random.bernoulli(k_which, shape=(2,)).astype(jnp.int32)  # 0: X, 1: Y
        codes = jax.random.randint(k_noise, (longest,), 2, 6)  # a..d
        codes = jnp.where(position == first, X + which[0], codes)
        codes = jnp.where(position == second, X + which[1], codes)
        codes = jnp.where(position == 0, E, jnp.where(position == length - 1, B, codes))
        valid = position >= 0
        x = jnp.where(valid[:, None], jax.nn.one_hot(codes, len(ORDER_SYMBOLS)), 0.0)
        return Sequences(x, valid, 2 * which[0] + which[1])  # classes XX, XY, YX, YY

    return Task("temporal-order", len(ORDER_SYMBOLS), 4, longest, "softmax", sample, ORDER_SYMBOLS)


# --- Exp. 1: embedded Reber grammar ---------------------------------------------------------

REBER_SYMBOLS = "BTPSXVE"
REBER_LONGEST = 50  # symbols; a longer string is cut (the inner loops make that rarer than 1 in 10^6)


def _reber_automaton() -> tuple[np.ndarray, np.ndarray]:
    """The embedded grammar as a table: state -> two (symbol, next state) edges, taken with
    probability 1/2 each (the same edge twice where the path is forced). The state after the
    inner string remembers which branch (T or P) began it."""
    code = {s: i for i, s in enumerate(REBER_SYMBOLS)}
    edges = {"start": [("B", "branch")] * 2, "branch": [("T", "T:in"), ("P", "P:in")]}
    for branch in "TP":
        inner = {  # the Reber grammar, from its B to its E
            "in": [("B", "0")] * 2,
            "0": [("T", "1"), ("P", "2")],
            "1": [("S", "1"), ("X", "3")],
            "2": [("T", "2"), ("V", "4")],
            "3": [("X", "2"), ("S", "5")],
            "4": [("P", "3"), ("V", "5")],
            "5": [("E", "out")] * 2,
            "out": [(branch, "end")] * 2,
            "end": [("E", "done")] * 2,
        }
        edges |= {f"{branch}:{state}": [(s, f"{branch}:{n}") for s, n in pairs] for state, pairs in inner.items()}
    for pairs in edges.values():  # the branches' final "done" is one state
        pairs[:] = [(s, "done" if n.endswith(":done") else n) for s, n in pairs]
    edges["done"] = [("E", "done")] * 2  # never emitted: masked
    names = list(edges)
    table = np.array([[(code[s], names.index(n)) for s, n in edges[name]] for name in names], np.int32)
    return table, np.int32(names.index("done"))


def embedded_reber() -> Task:
    table, done = _reber_automaton()
    table = jnp.asarray(table)  # (states, 2 edges, (symbol, next))
    legal = jnp.zeros((len(table), len(REBER_SYMBOLS))).at[jnp.arange(len(table))[:, None], table[:, :, 0]].set(1.0)
    start = 0

    def sample(key):
        def step(state, coin):
            symbol, after = table[state, coin.astype(jnp.int32)]
            return after, (symbol, after, state != done)

        coins = jax.random.bernoulli(key, shape=(REBER_LONGEST,))
        _, (symbols, after, emitted) = jax.lax.scan(step, jnp.int32(start), coins)
        # Step t reads symbol t and is asked for the symbols that may follow it; the last
        # symbol (E) has no follower, so it is read as padding.
        reads = emitted & (after != done)
        x = jnp.where(reads[:, None], jax.nn.one_hot(symbols, len(REBER_SYMBOLS)), 0.0)
        return Sequences(x, reads, legal[after] * reads[:, None])

    return Task("embedded-reber", len(REBER_SYMBOLS), len(REBER_SYMBOLS), REBER_LONGEST, "steps", sample, REBER_SYMBOLS)


# --- a batch of sequences, and the held-out set ---------------------------------------------


def sample_many(task: Task, key: jax.Array, count: int) -> Sequences:
    return jax.vmap(task.sample)(jax.random.split(key, count))


HELDOUT_KEY = 1997  # one held-out set per task and lag, the same for every seed and cell


def heldout_set(task: Task, config: TaskConfig, size: int) -> Sequences:
    if task.name == "long-lag":
        return long_lag_both(config.lag)
    return sample_many(task, jax.random.key(HELDOUT_KEY), size)

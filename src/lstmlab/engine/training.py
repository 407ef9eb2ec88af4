"""Compiled training: `make_train(config, patterns)` gives pure functions whose loops are
`lax.scan` over the batches of an epoch and over epochs; seeds train side by side under `vmap`.

Keras semantics kept: Adam (lr 1e-3, β1 0.9, β2 0.999, ε 1e-7), categorical cross-entropy,
samples reshuffled every epoch when `shuffle` is on, a short last batch when the batch size
does not divide the samples, and per-epoch mean loss and accuracy of the training batches.
"""

import functools
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lstmlab.engine import programs
from lstmlab.engine.cell import CellState, zero_state
from lstmlab.engine.data import Patterns, encode_inputs, input_features
from lstmlab.engine.network import cell_options, forward, init_model
from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.settings.config import Config, batch_size_of, steps_per_epoch


class TrainState(NamedTuple):
    params: dict
    opt_state: tuple  # optax's Adam state
    shuffle_key: jax.Array
    epoch: jax.Array  # epochs done so far, int32


class EpochMetrics(NamedTuple):
    loss: jax.Array  # (epochs,) mean training loss per sample
    accuracy: jax.Array  # (epochs,) share of training samples predicted right


class BatchCarry(NamedTuple):
    params: dict
    opt_state: tuple
    lstm_state: CellState  # carried between batches only by a stateful model


class Batches(NamedTuple):
    x: jax.Array  # (batches, batch, time, features)
    mask: jax.Array  # (batches, batch, time)
    y: jax.Array  # (batches, batch)
    weight: jax.Array  # (batches, batch): 0 for the rows that pad a short last batch
    index: jax.Array  # (batches, batch): which training pattern each row is


class BatchUpdate(NamedTuple):
    """One training step, all of it: what an epoch keeps (carry, nll, correct) and what only a
    look at the step needs (the compiled epoch drops those)."""

    carry: BatchCarry  # the weights and Adam state after the step
    loss: jax.Array  # the batch's mean cross-entropy, the number the gradient is taken of
    nll: jax.Array  # (batch,) each sample's cross-entropy
    correct: jax.Array  # (batch,) 1.0 where the sample's most likely symbol is its target
    logits: jax.Array  # (batch, classes)
    grads: dict  # d loss / d weights, shaped as the weights
    updates: dict  # what Adam (or SGD) adds to each weight


def make_optimizer(config: Config):
    import optax  # here, not at the top: a warm run loads its kept programs and never needs Optax

    if config.optimizer == "sgd":  # plain gradient descent, as the 1997 paper trained
        return optax.sgd(config.learning_rate)
    return optax.adam(config.learning_rate, b1=0.9, b2=0.999, eps=1e-7)


@dataclass(frozen=True)
class Trainer:
    """Pure functions for one config and one training set.

    init(key) -> TrainState;  run_epochs(state, epochs) -> (state, EpochMetrics);
    epochs is static; an epoch is `batch_update` over `epoch_batches(state)`. All work on
    one seed; `jax.jit(jax.vmap(trainer.train))(keys)` trains many.
    """

    config: Config
    init: Callable[[jax.Array], TrainState]
    run_epochs: Callable[[TrainState, int], tuple[TrainState, EpochMetrics]]
    # The pieces an epoch is made of, for a look at one step (results.training_step):
    epoch_batches: Callable[[TrainState], Batches]  # the batches of the state's next epoch
    batch_update: Callable[[BatchCarry, Batches], BatchUpdate]  # one batch: gradient and update

    def train(self, key: jax.Array) -> tuple[TrainState, EpochMetrics]:
        """The whole run in one call: every epoch of the config, from the key's initialisation."""
        return self.run_epochs(self.init(key), self.config.epochs)


def make_train(config: Config, patterns: Patterns) -> Trainer:
    import optax
    # Host arrays: they become constants of whichever program reads them (not arguments).
    x_all, mask_all = encode_inputs(patterns, config)
    y_all = patterns.targets
    samples = len(patterns)
    batch = batch_size_of(config, samples)
    n_batches = steps_per_epoch(config, samples)
    n_padded = n_batches * batch - samples
    optimizer = make_optimizer(config)
    how = cell_options(config)

    def init(key: jax.Array) -> TrainState:
        init_key, shuffle_key = jax.random.split(key)
        params = init_model(init_key, config)
        return TrainState(params, optimizer.init(params), shuffle_key, jnp.int32(0))

    def loss_fn(params, x, mask, y, weight, state):
        logits, final = forward(params, x, mask, state, **how)
        nll = optax.softmax_cross_entropy_with_integer_labels(logits, y)
        correct = (jnp.argmax(logits, axis=-1) == y).astype(jnp.float32)
        return jnp.sum(weight * nll) / jnp.sum(weight), (final, nll, correct, logits)

    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

    def batch_update(carry: BatchCarry, b: Batches) -> BatchUpdate:
        # A stateful model starts each batch from the last one's state, without a gradient
        # through it (Keras truncates backpropagation at the batch boundary).
        start = jax.lax.stop_gradient(carry.lstm_state) if config.stateful else zero_state((batch,), config.units)
        (loss, (final, nll, correct, logits)), grads = grad_fn(carry.params, b.x, b.mask, b.y, b.weight, start)
        updates, opt_state = optimizer.update(grads, carry.opt_state, carry.params)
        params = optax.apply_updates(carry.params, updates)
        return BatchUpdate(BatchCarry(params, opt_state, final), loss, nll, correct, logits, grads, updates)

    def batch_step(carry: BatchCarry, b: Batches):
        step = batch_update(carry, b)
        return step.carry, (jnp.sum(b.weight * step.nll), jnp.sum(b.weight * step.correct))

    def epoch_batches(key: jax.Array) -> Batches:
        order = jax.random.permutation(key, samples) if config.shuffle else jnp.arange(samples)
        order = jnp.concatenate([order, jnp.zeros(n_padded, order.dtype)]).reshape(n_batches, batch)
        weight = (jnp.arange(n_batches * batch) < samples).astype(jnp.float32).reshape(n_batches, batch)
        return Batches(*(jnp.asarray(a)[order] for a in (x_all, mask_all, y_all)), weight, order)

    def batches_of(state: TrainState) -> Batches:
        return epoch_batches(jax.random.fold_in(state.shuffle_key, state.epoch))

    def run_epoch(state: TrainState, _):
        batches = batches_of(state)
        # Every epoch starts from a zero state: the stateful model's reset at the epoch's end.
        carry = BatchCarry(state.params, state.opt_state, zero_state((batch,), config.units))
        carry, (loss_sums, correct_sums) = jax.lax.scan(batch_step, carry, batches)
        metrics = EpochMetrics(jnp.sum(loss_sums) / samples, jnp.sum(correct_sums) / samples)
        return TrainState(carry.params, carry.opt_state, state.shuffle_key, state.epoch + 1), metrics

    def run_epochs(state: TrainState, epochs: int) -> tuple[TrainState, EpochMetrics]:
        return jax.lax.scan(run_epoch, state, None, length=epochs)

    return Trainer(config, init, run_epochs, epoch_batches=batches_of, batch_update=batch_update)


def seed_keys(seeds: Sequence[int]) -> jax.Array:
    """One root key per seed: seed k gets the same key whether it trains alone or with others."""
    return jnp.stack([jax.random.key(int(s)) for s in seeds])


def chunk_length(epochs: int, chunks: int = 20) -> int:
    """The largest divisor of `epochs` that is at most epochs / chunks: one compiled chunk
    size serves the whole run, and the progress bar moves about `chunks` times."""
    target = max(1, epochs // chunks)
    return max(d for d in range(1, target + 1) if epochs % d == 0)


@dataclass(frozen=True)
class TrainResult:
    """Trained weights and history, stacked over seeds (leading axis)."""

    config: Config
    seeds: tuple[int, ...]
    params: dict  # leaves (seeds, ...)
    loss: np.ndarray  # (seeds, epochs)
    accuracy: np.ndarray  # (seeds, epochs)
    compile_seconds: float
    train_seconds: float

    def params_of(self, index: int) -> dict:
        return jax.tree_util.tree_map(lambda leaf: leaf[index], self.params)


# --- many seeds: groups, devices ----------------------------------------------------------
#
# Seeds train in groups: each group is one vmapped, compiled call on one device, and every
# group has the same size so that one compiled program serves them all. Groups exist for
# three reasons, all measured on a 2-core CPU with `benchmarks/seeds.py`:
# - XLA runs one program on one core, but gives a program on each CPU device its own core,
#   so groups spread over `jax.local_devices()` train side by side (2 cores: about 2x; see
#   `lstmlab.engine.runtime.use_cpu_cores`, which makes one CPU device per core);
# - a group's weights and Adam moments (about 62 KB a seed for `timesteps`) should stay in
#   the cache shared by the cores: 64 seeds a group ran at ~300,000 model-steps/s, 500 at
#   ~160,000;
# - a group's memory is bounded, so any number of seeds fits: they just take longer.
GROUP_MEMORY_BYTES = 1 << 30  # working memory allowed to one compiled call
CPU_GROUP_SEEDS = 64  # cache-friendly group size on CPU; accelerators take what memory allows


def seed_bytes(config: Config, samples: int) -> int:
    """A generous estimate of the memory one seed needs inside a compiled training call:
    weights, Adam moments, gradients and temporaries, an epoch of shuffled batches and the
    activations kept for backpropagation (4-byte floats)."""
    units, features, classes = config.units, input_features(config), len(config.alphabet)
    weights = 4 * units * (features + units + 1) + classes * (units + 1)
    batch = batch_size_of(config, samples)
    padded = -(-samples // batch) * batch
    epoch_data = padded * (config.seq_length * (features + 1) + 3)
    activations = batch * (config.seq_length * units * 12 + classes * 4)
    return 4 * (8 * weights + 2 * epoch_data + activations)


def max_group_size(config: Config, samples: int, platform: str) -> int:
    by_memory = max(1, GROUP_MEMORY_BYTES // seed_bytes(config, samples))
    return min(by_memory, CPU_GROUP_SEEDS) if platform == "cpu" else by_memory


def plan_groups(n_seeds: int, n_devices: int, max_group: int) -> tuple[tuple[int, ...], ...]:
    """Positions 0..n_seeds-1 split into groups of one size, at most `max_group`, aiming at a
    multiple of the devices so that none idles, but never a group made only of padding (so
    33 seeds on 8 devices in groups of at most 5 make 7 groups). The last group is padded by
    repeating the last position; those duplicate models are trained and then dropped."""
    count = max(-(-n_seeds // max_group), min(n_seeds, n_devices))
    count = min(n_seeds, -(-count // n_devices) * n_devices)
    size = -(-n_seeds // count)
    count = -(-n_seeds // size)
    padded = list(range(n_seeds)) + [n_seeds - 1] * (size * count - n_seeds)
    return tuple(tuple(padded[g * size : (g + 1) * size]) for g in range(count))


def _is_key(array) -> bool:
    return jax.dtypes.issubdtype(array.dtype, jax.dtypes.prng_key)


def _raw(leaves: list) -> list:
    """Typed PRNG keys as their raw uint32 data: older JAX cannot export key types."""
    return [jax.random.key_data(leaf) if _is_key(leaf) else leaf for leaf in leaves]


def _digest(patterns: Patterns) -> str:
    return hashlib.sha256(patterns.inputs.tobytes() + patterns.targets.tobytes()).hexdigest()


def _stack(trees: list) -> dict:
    """Concatenate host copies of group results along the seed axis."""
    return jax.tree_util.tree_map(lambda *leaves: np.concatenate(leaves, axis=0), *trees)


def train(
    config: Config,
    patterns: Patterns,
    seeds: Sequence[int] | None = None,
    on_progress: Callable[[int, EpochMetrics], None] | None = None,
    *,
    max_group: int | None = None,
) -> TrainResult:
    """Train one model per seed (default: config.seed) under `vmap`, in groups of seeds
    spread over the local devices (see `plan_groups`).

    Seed k is seed k whatever else trains beside it: its key is `jax.random.key(k)` and no
    computation mixes seeds. on_progress(epochs_done, metrics) is called on the host between
    chunks of epochs, with metrics (seeds, epochs in the chunk). `max_group` caps the seeds
    per compiled call (default: from memory and, on CPU, the cache).
    """
    seeds = tuple(seeds) if seeds is not None else (config.seed,)
    if not seeds:
        raise ConfigError(_("no seeds to train; give at least one"))
    trainer = functools.cache(lambda: make_train(config, patterns))  # made only when a program is traced
    chunk = chunk_length(config.epochs)
    devices = jax.local_devices()
    limit = max_group or max_group_size(config, len(patterns), devices[0].platform)
    groups = plan_groups(len(seeds), len(devices), limit)
    placed = [devices[g % len(devices)] for g in range(len(groups))]

    started = time.perf_counter()
    group_keys = [jax.random.key_data(seed_keys([seeds[i] for i in group])) for group in groups]

    # The programs take and give flat lists of plain arrays (PRNG keys as their raw data), so
    # that `programs` can keep them exported; a TrainState's leaves begin with its params'.
    def init_flat(raw_keys):
        return _raw(jax.tree_util.tree_leaves(jax.vmap(trainer().init)(jax.random.wrap_key_data(raw_keys))))

    def chunk_flat(leaves):
        shapes = jax.eval_shape(jax.vmap(trainer().init), seed_keys(groups[0]))
        typed = [
            jax.random.wrap_key_data(leaf) if _is_key(shape) else leaf
            for leaf, shape in zip(leaves, jax.tree_util.tree_leaves(shapes), strict=True)
        ]
        state = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(shapes), typed)
        state, metrics = jax.vmap(trainer().run_epochs, in_axes=(0, None))(state, chunk)
        return _raw(jax.tree_util.tree_leaves(state)), metrics.loss, metrics.accuracy

    shapes = {"config": config.to_dict(), "data": _digest(patterns), "chunk": chunk}
    init_group = programs.cached("init", init_flat, (group_keys[0],), shapes)
    states = [jax.device_put(init_group(keys), device) for keys, device in zip(group_keys, placed, strict=True)]
    run_chunk = programs.cached("epochs", chunk_flat, (states[0],), shapes, donate=True)
    # A compiled program belongs to one device: compile once for each device in use.
    compiled = {d: run_chunk.lower(states[placed.index(d)]).compile() for d in dict.fromkeys(placed)}
    compile_seconds = time.perf_counter() - started

    started = time.perf_counter()
    history = []
    for done in range(chunk, config.epochs + 1, chunk):
        # Dispatch returns at once: groups on different devices run at the same time.
        results = [compiled[device](state) for state, device in zip(states, placed, strict=True)]
        states = [state for state, _, _ in results]
        history.append([EpochMetrics(loss, accuracy) for _, loss, accuracy in results])
        if on_progress is not None:
            metrics = _stack(jax.device_get(history[-1]))  # the host waits for the devices here
            on_progress(done, EpochMetrics(metrics.loss[: len(seeds)], metrics.accuracy[: len(seeds)]))
    metrics = [_stack(jax.device_get(chunk_metrics)) for chunk_metrics in history]
    loss = np.concatenate([m.loss for m in metrics], axis=1)[: len(seeds)]
    accuracy = np.concatenate([m.accuracy for m in metrics], axis=1)[: len(seeds)]
    params_tree = jax.tree_util.tree_structure(
        jax.eval_shape(lambda: init_model(jax.random.key(0), config))
    )
    final = [jax.tree_util.tree_unflatten(params_tree, leaves[: params_tree.num_leaves]) for leaves in states]
    params = jax.tree_util.tree_map(lambda leaf: leaf[: len(seeds)], _stack(jax.device_get(final)))
    train_seconds = time.perf_counter() - started
    return TrainResult(config, seeds, params, loss, accuracy, compile_seconds, train_seconds)

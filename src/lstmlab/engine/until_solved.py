"""Training on the paper's tasks: online, a fresh sequence every update, until the task's
criterion holds on held-out sequences or the budget of training sequences runs out.

Seeds train side by side under `vmap`, in groups whose seed axis is split over the local
devices. Each compiled call trains `check_every` sequences (a `lax.scan` over
updates, each update scanning the sequence's steps) and then checks the held-out set, so a
seed's "sequences to solve" is known to within `check_every`. A group stops as soon as all
its seeds have solved the task.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from lstmlab.engine.cell import zero_state
from lstmlab.engine.network import init_params, readout, recurrent_params, run_cell
from lstmlab.engine.tasks import Sequences, Task, heldout_set, make_task, sample_many
from lstmlab.engine.training import make_optimizer
from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.settings.config import TaskConfig
from lstmlab.settings.paper import get_task

# When an answer counts as right, per task (the paper's thresholds where it gave them).
RIGHT_WHEN = {
    "long-lag": 0.75,  # probability of the right symbol above this (output error below 0.25)
    "temporal-order": 0.7,  # probability of the right class above this (error below 0.3)
    "adding": 0.04,  # absolute error below this
    "embedded-reber": 0.5,  # every output unit on the right side of this, at every step
}
CPU_TASK_GROUP = 16  # seeds per compiled call on a CPU: the work per step is tiny, so groups stay small


def outputs(params: dict, config: TaskConfig, task: Task, seqs: Sequences) -> jax.Array:
    """The network's outputs for a batch: (batch, outputs) at the end, or (batch, time, outputs)."""
    start = zero_state((seqs.x.shape[0],), config.units)
    how = {"cell": config.cell, "recurrent_activation": config.recurrent_activation}
    final, trace = run_cell(recurrent_params(params), seqs.x, seqs.mask, start, **how)
    if task.output == "steps":
        return jnp.swapaxes(readout(params, trace.state.h), 0, 1)
    return readout(params, final.h)


def losses(out: jax.Array, task: Task, seqs: Sequences) -> jax.Array:
    """(batch,) training loss: cross-entropy of the class, squared error of the value, or the
    mean over read steps of the sigmoid units' cross-entropy."""
    if task.output == "softmax":
        return -jnp.take_along_axis(jax.nn.log_softmax(out), seqs.target[:, None], axis=1)[:, 0]
    if task.output == "linear":
        return (out[:, 0] - seqs.target) ** 2
    per_unit = jnp.maximum(out, 0) - out * seqs.target + jnp.log1p(jnp.exp(-jnp.abs(out)))
    steps = seqs.mask.astype(jnp.float32)
    return jnp.sum(per_unit.sum(-1) * steps, axis=1) / jnp.maximum(steps.sum(axis=1), 1.0)


def right(out: jax.Array, task: Task, seqs: Sequences) -> jax.Array:
    """(batch,) bool: whether each sequence's answer meets the task's criterion."""
    threshold = RIGHT_WHEN[task.name]
    if task.output == "softmax":
        return jnp.take_along_axis(jax.nn.softmax(out), seqs.target[:, None], axis=1)[:, 0] > threshold
    if task.output == "linear":
        return jnp.abs(out[:, 0] - seqs.target) < threshold
    on = jax.nn.sigmoid(out) > threshold
    agree = (on == (seqs.target > 0.5)).all(axis=-1) | ~seqs.mask
    return agree.all(axis=-1)


@dataclass(frozen=True)
class TaskTraining:
    """Every seed's outcome; arrays lead with the seed axis."""

    config: TaskConfig
    seeds: tuple[int, ...]
    solved_at: np.ndarray  # (seeds,) training sequences seen when the criterion first held; -1: never
    sequences: np.ndarray  # (seeds,) training sequences each seed saw (its group stops when all solved)
    wrong: np.ndarray  # (seeds, checks) share of held-out sequences wrong at each check (nan after a stop)
    loss: np.ndarray  # (seeds, checks) mean training loss over the sequences since the previous check
    params: dict  # final weights, leaves (seeds, ...)
    check_every: int
    heldout_size: int
    compile_seconds: float
    train_seconds: float

    @property
    def solved(self) -> np.ndarray:
        return self.solved_at >= 0


class Learner(NamedTuple):
    """One seed's training as it goes, carried from update to update (and vmapped over seeds)."""

    params: dict
    opt_state: object  # Adam's moments, or nothing for SGD
    data_key: jax.Array  # the raw key its training sequences are drawn from
    updates: jax.Array  # updates so far: with data_key, which sequences come next


def make_programs(config: TaskConfig, task: Task, heldout: Sequences):
    """init(key) -> state and chunk(state) -> (state, wrong share, mean loss), for one seed."""
    optimizer = make_optimizer(config)
    updates = config.check_every // config.batch_size

    def init(key) -> Learner:
        init_key, data_key = jax.random.split(key)
        params = init_params(init_key, task.features, config.units, task.outputs, config.cell, config.forget_bias)
        return Learner(params, optimizer.init(params), jax.random.key_data(data_key), jnp.int32(0))

    def loss_fn(params, seqs):
        return jnp.mean(losses(outputs(params, config, task, seqs), task, seqs))

    def update(learner: Learner, _) -> tuple[Learner, jax.Array]:
        key = jax.random.fold_in(jax.random.wrap_key_data(learner.data_key), learner.updates)
        sequences = sample_many(task, key, config.batch_size)
        loss, grads = jax.value_and_grad(loss_fn)(learner.params, sequences)
        step, opt_state = optimizer.update(grads, learner.opt_state, learner.params)
        params = jax.tree_util.tree_map(lambda p, s: p + s, learner.params, step)
        return Learner(params, opt_state, learner.data_key, learner.updates + 1), loss

    def chunk(learner: Learner):
        learner, chunk_losses = jax.lax.scan(update, learner, None, length=updates)
        answers = right(outputs(learner.params, config, task, heldout), task, heldout)
        wrong = 1.0 - jnp.mean(answers.astype(jnp.float32))
        return learner, wrong, jnp.mean(chunk_losses)

    return init, chunk


def train_until_solved(
    config: TaskConfig,
    seeds: Sequence[int] | None = None,
    on_progress: Callable[[int, np.ndarray], None] | None = None,
    *,
    max_group: int | None = None,
) -> TaskTraining:
    """Train one model per seed (default: config.seed) until each solves the task or the
    budget runs out. on_progress(sequences seen, solved (seeds,) bool) after every check."""
    seeds = tuple(seeds) if seeds is not None else (config.seed,)
    if not seeds:
        raise ConfigError(_("no seeds to train; give at least one"))
    spec = get_task(config.task)
    task = make_task(config)
    heldout = heldout_set(task, config, spec.heldout)
    init, chunk = make_programs(config, task, heldout)
    # One program for every group: its seed axis is split over the local devices (one per
    # core on a CPU), so XLA compiles it once and runs the parts side by side.
    devices = jax.local_devices()
    limit = max_group or (CPU_TASK_GROUP if devices[0].platform == "cpu" else 1024) * len(devices)
    size = min(-(-len(seeds) // len(devices)) * len(devices), -(-limit // len(devices)) * len(devices))
    groups = [
        tuple(min(i, len(seeds) - 1) for i in range(first, first + size)) for first in range(0, len(seeds), size)
    ]  # the last group padded with repeats of the last seed, trained and then dropped
    spread = NamedSharding(Mesh(np.array(devices), ("seeds",)), PartitionSpec("seeds"))

    started = time.perf_counter()
    init_many = jax.jit(jax.vmap(init), out_shardings=spread)
    keys = [jnp.stack([jax.random.key(int(seeds[i])) for i in group]) for group in groups]
    states = [init_many(k) for k in keys]
    run_chunk = jax.jit(jax.vmap(chunk), donate_argnums=0).lower(states[0]).compile()
    compile_seconds = time.perf_counter() - started

    started = time.perf_counter()
    checks = config.budget // config.check_every
    solved_at = np.full(len(seeds), -1, np.int64)
    seen = np.zeros(len(seeds), np.int64)
    wrong = np.full((len(seeds), checks), np.nan, np.float32)
    loss = np.full((len(seeds), checks), np.nan, np.float32)
    active = list(range(len(groups)))
    for check in range(checks):
        results = {g: run_chunk(states[g]) for g in active}  # dispatched at once, run in turn
        done = (check + 1) * config.check_every
        for g, (state, group_wrong, group_loss) in results.items():
            states[g] = state
            members = np.asarray(groups[g])
            group_wrong, group_loss = np.asarray(group_wrong), np.asarray(group_loss)  # waits for the device
            wrong[members, check], loss[members, check] = group_wrong, group_loss
            seen[members] = done
            newly = (group_wrong <= spec.tolerance) & (solved_at[members] < 0)
            solved_at[members[newly]] = done
        active = [g for g in active if (solved_at[np.asarray(groups[g])] < 0).any()]
        if on_progress is not None:
            on_progress(done, solved_at >= 0)
        if not active:
            break
    final = jax.device_get([s.params for s in states])
    params = jax.tree_util.tree_map(lambda *leaves: np.concatenate(leaves), *final)
    order = np.concatenate([np.asarray(g) for g in groups])  # keep each seed once
    first = np.unique(order, return_index=True)[1]
    params = jax.tree_util.tree_map(lambda leaf: leaf[first], params)
    return TaskTraining(
        config,
        seeds,
        solved_at,
        seen,
        wrong,
        loss,
        params,
        config.check_every,
        len(heldout.target),
        compile_seconds,
        time.perf_counter() - started,
    )

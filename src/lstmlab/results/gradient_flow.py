"""`lstmlab gradients`: the vanishing gradient as numbers. For each distance k, how large is
the gradient of the loss at the last step with respect to the hidden state (and the input)
k steps earlier? Median and spread over seeds, for untrained and trained models.

The gradient with respect to h_t is taken as the gradient with respect to a zero added to
h_t: the total derivative through every later step, which is what backpropagation through
time carries back. The scan is `network.run_cell`'s own, given zero nudges to take the gradient by.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from lstmlab.document import Document, significant
from lstmlab.engine.cell import zero_state
from lstmlab.engine.network import readout, recurrent_params, run_cell
from lstmlab.engine.tasks import Sequences, heldout_set, make_task
from lstmlab.engine.until_solved import losses, make_programs, train_until_solved
from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.settings.config import load_task_config
from lstmlab.settings.paper import ANSWERED_AT_THE_END, PAPER_TASKS

SEQUENCES = 32  # held-out sequences each seed's gradients are averaged over


def gradient_norms(params: dict, config, task, seqs: Sequences) -> tuple[jax.Array, jax.Array]:
    """(time,) mean over sequences of |dL/dh_t| and of |dL/dx_t|, L the last step's loss."""
    batch, time, _ = seqs.x.shape
    how = {"cell": config.cell, "recurrent_activation": config.recurrent_activation}
    layer = recurrent_params(params)

    def loss(nudges, x):
        final, _ = run_cell(layer, x, seqs.mask, zero_state((batch,), config.units), **how, nudges=nudges)
        return jnp.sum(losses(readout(params, final.h), task, seqs))  # summed: each sequence's own gradient

    nudges = jnp.zeros((batch, time, config.units), jnp.float32)
    d_h, d_x = jax.grad(loss, argnums=(0, 1))(nudges, seqs.x)
    return jnp.linalg.norm(d_h, axis=-1).mean(0), jnp.linalg.norm(d_x, axis=-1).mean(0)


@dataclass(frozen=True)
class Band:
    """Per distance k = 0, 1, ... (k steps before the last): median and 10th-90th percentile over seeds."""

    median: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


@dataclass(frozen=True)
class GradientCurve:
    cell: str
    trained: bool
    solved: int | None  # seeds that solved the task within the training budget (trained only)
    hidden: Band  # |dL/dh| at distance k
    input: Band  # |dL/dx| at distance k


@dataclass(frozen=True, eq=False)
class GradientsDocument(Document):
    kind = "gradients"
    task: str
    lag: int
    seeds: tuple[int, ...]
    budget: int  # training sequences per seed for the trained models
    sequences: int  # held-out sequences the gradients are averaged over
    curves: tuple[GradientCurve, ...]
    figure: str | None  # where the picture was drawn


def band(values: np.ndarray, steps: int) -> Band:
    """values (seeds, time) -> for the last `steps` steps, by distance from the end: median
    and 10th/90th percentiles over seeds."""
    by_distance = np.asarray(values, np.float64)[:, ::-1][:, :steps]
    low, median, high = np.percentile(by_distance, [10, 50, 90], axis=0)
    return Band(*(tuple(significant(v) for v in row) for row in (median, low, high)))


def check_task(name: str) -> None:
    if name not in ANSWERED_AT_THE_END:
        raise ConfigError(
            _("gradients needs a task answered at its last step; choose one of: {value}").format(
                value=", ".join(ANSWERED_AT_THE_END)
            )
        )


def check_cells(cells: Sequence) -> None:
    if not cells:
        raise ConfigError(_("no cells; give at least one, e.g. --cell lstm,rnn"))


def measure(
    task_name: str,
    cells: Sequence,  # comparison.CellChoice
    seeds: Sequence[int],
    *,
    lag: int | None = None,
    budget: int | None = None,
    untrained_only: bool = False,
    on_cell: Callable[[str], None] | None = None,
) -> GradientsDocument:
    check_task(task_name)
    check_cells(cells)
    spec = PAPER_TASKS[task_name]
    settings = {"lag": lag} if lag is not None else {}
    budget = spec.paper_sequences if budget is None else budget  # 0 is refused, never "the default"
    configs = [
        load_task_config(task_name, cell=c.cell, forget_bias=c.forget_bias, budget=budget, **settings) for c in cells
    ]
    curves = []
    for choice, config in zip(cells, configs, strict=True):
        if on_cell is not None:
            on_cell(choice.label)
        task = make_task(config)
        seqs = jax.tree_util.tree_map(lambda a: a[:SEQUENCES], heldout_set(task, config, SEQUENCES))
        norms = jax.jit(jax.vmap(lambda p, config=config, task=task, seqs=seqs: gradient_norms(p, config, task, seqs)))
        init, _ = make_programs(config, task, seqs)  # each seed's weights as training starts them
        start = jax.vmap(lambda key, init=init: init(key).params)(jnp.stack([jax.random.key(int(s)) for s in seeds]))
        steps = int(np.asarray(seqs.mask).sum(axis=1).min())  # distances every sequence reaches
        hidden, inputs = (np.asarray(a) for a in norms(start))
        curves.append(GradientCurve(choice.label, False, None, band(hidden, steps), band(inputs, steps)))
        if untrained_only:
            continue
        training = train_until_solved(config, seeds)
        hidden, inputs = (np.asarray(a) for a in norms(training.params))
        solved = int(training.solved.sum())
        curves.append(GradientCurve(choice.label, True, solved, band(hidden, steps), band(inputs, steps)))
    return GradientsDocument(task_name, configs[0].lag, tuple(seeds), budget, len(seqs.target), tuple(curves), None)


def gradients(
    task: str,
    cells: str = "lstm,rnn",
    seeds: Sequence[int] = range(1, 6),
    *,
    lag: int | None = None,
    budget: int | None = None,
    untrained_only: bool = False,
) -> GradientsDocument:
    """`lstmlab gradients` from Python: cells as --cell writes them (e.g. "lstm,lstm:5,rnn")."""
    from lstmlab.results.comparison import parse_cells

    return measure(task, parse_cells(cells), tuple(seeds), lag=lag, budget=budget, untrained_only=untrained_only)

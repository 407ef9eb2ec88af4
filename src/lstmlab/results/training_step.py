"""One training step, written out: the numbers of the first step a seed's training takes.

`training_step(config)` makes the seed's weights as `train` starts them, takes the first batch
of its first epoch and runs the trainer's own `batch_update` on it (the same function every
step of every epoch runs), then keeps what a lesson shows: the batch, the forward pass through
the gates, the loss, the gradient, the update and the weights after it.
"""

from dataclasses import dataclass

import jax
import numpy as np

from lstmlab.engine.cell import zero_state
from lstmlab.engine.data import PAD, Dataset, make_dataset
from lstmlab.engine.training import BatchCarry, make_train
from lstmlab.model.inspection import Inspection, inspect
from lstmlab.settings.config import Config, batch_size_of, steps_per_epoch


@dataclass(frozen=True, eq=False)
class TrainingStep:
    """The first step of one seed's training; the weights are {layer: {name: array}} as in `Model`."""

    config: Config
    seed: int
    texts: tuple[str, ...]  # the batch's inputs as text, in the order the step reads them
    targets: str  # the symbol each of them should be followed by
    x: np.ndarray  # (batch, time, features): what the network is given
    forward: Inspection  # the first sample read through the cell by the weights before the step
    probabilities: np.ndarray  # (batch, classes): the softmax before the step
    loss: float  # the batch's mean cross-entropy: what the gradient is the gradient of
    before: dict  # the weights the step starts from
    gradient: dict  # d loss / d weight, for every weight
    update: dict  # what the optimizer added to every weight
    after: dict  # before + update
    steps_per_epoch: int  # steps in an epoch: batches of `batch_size` samples, the last maybe short


def training_step(config: Config, seed: int | None = None, dataset: Dataset | None = None) -> TrainingStep:
    """The first step of seed `seed`'s training (default: config.seed) on `dataset`'s training
    patterns (default: `make_dataset(config)`, as `run` makes it)."""
    dataset = dataset if dataset is not None else make_dataset(config)
    patterns = dataset.train
    seed = config.seed if seed is None else seed
    trainer = make_train(config, patterns)
    state = trainer.init(jax.random.key(seed))  # as `train` starts seed `seed`
    batch = jax.tree_util.tree_map(lambda a: a[0], trainer.epoch_batches(state))
    samples = len(patterns)
    size = batch_size_of(config, samples)
    carry = BatchCarry(state.params, state.opt_state, zero_state((size,), config.units))
    step = jax.jit(trainer.batch_update)(carry, batch)

    host = jax.tree_util.tree_map(np.asarray, (state.params, step.grads, step.updates, step.carry.params))
    x = np.asarray(batch.x)
    rows = int(np.asarray(batch.weight).sum())  # a short last batch pads its rows: never the first
    texts = tuple(_text(patterns.inputs[i], config) for i in np.asarray(batch.index)[:rows])
    return TrainingStep(
        config=config,
        seed=seed,
        texts=texts,
        targets="".join(config.alphabet[int(code)] for code in np.asarray(batch.y)[:rows]),
        x=x[:rows],
        forward=inspect(host[0], config, texts[0]),
        probabilities=np.asarray(jax.nn.softmax(step.logits))[:rows],
        loss=float(step.loss),
        before=host[0],
        gradient=host[1],
        update=host[2],
        after=host[3],
        steps_per_epoch=steps_per_epoch(config, samples),
    )


def _text(codes: np.ndarray, config: Config) -> str:
    return "".join(config.alphabet[code] for code in codes if code != PAD)

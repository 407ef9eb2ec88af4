"""Settings of a run: one frozen dataclass, checked once, never mutated.

Its defaults are the tutorial's, read from `lstmlab.settings.experiments.TUTORIAL`;
`load_config(name)` gives an experiment's settings. Imports no JAX: the command line
checks every option before anything heavy loads.
"""

import dataclasses
from dataclasses import dataclass

from lstmlab.errors import ConfigError
from lstmlab.i18n import N_, _
from lstmlab.settings.experiments import TUTORIAL, tutorial_settings
from lstmlab.settings.paper import get_task

CELLS = ("lstm", "lstm-1997", "gru", "rnn")  # lstmlab.engine.cell has their equations
RECURRENT_ACTIVATIONS = ("sigmoid", "hard_sigmoid")
OPTIMIZERS = ("adam", "sgd")
FRAMINGS = ("timesteps", "features")
ENCODINGS = ("scalar", "onehot")
PADDINGS = ("zero", "mask")
DATA_KINDS = ("windows", "runs")
# The caps of every number a setting or an option takes, checked before any work: each is
# a typo's guard (10**12 epochs, units or steps would hang or overflow before any output).
MAX_UNITS = 4096
MAX_SEED = 2**63 - 1  # JAX keys take a 64-bit seed
MAX_DATA_SEED = 2**32 - 1  # numpy's RandomState, which draws the tutorial's patterns
MAX_EPOCHS = 100_000  # twenty times the tutorial's longest experiment (5,000 epochs)
MAX_EPOCHS_SCALE = 20  # reproduce --epochs-scale: the longest experiment at MAX_EPOCHS
MAX_BATCH_SIZE = 1_000_000  # samples (a task: sequences) per update
MAX_SEQ_LENGTH = 1000  # a window, or the longest run
MAX_LEARNING_RATE = 100.0
MAX_TOP = 1000  # predict --top: symbols listed
MAX_STEPS = 10_000  # generate --steps: symbols generated, one model call each
MAX_CELLS = 20  # compare and gradients: cells in --cells; each is a job per lag
MAX_LAGS = 50  # compare --lags


@dataclass(frozen=True)
class Config:
    """Everything that decides what is trained and how.

    data: "windows" — every window of `seq_length` symbols and the symbol after it;
          "runs" — `num_patterns` random runs of 1..`seq_length` consecutive symbols,
          pre-padded to `seq_length` (the tutorial's variable-length experiment).
    batch_size: samples per update; None means all samples in one batch.
    """

    experiment: str = TUTORIAL["experiment"]
    alphabet: str = TUTORIAL["alphabet"]
    sequence: str | None = None  # text to learn; None means the alphabet itself, once
    data: str = TUTORIAL["data"]
    seq_length: int = TUTORIAL["seq_length"]
    framing: str = TUTORIAL["framing"]
    encoding: str = TUTORIAL["encoding"]
    num_patterns: int = TUTORIAL["num_patterns"]
    padding: str = TUTORIAL["padding"]
    holdout: float = TUTORIAL["holdout"]
    cell: str = TUTORIAL["cell"]
    forget_bias: float = TUTORIAL["forget_bias"]  # the LSTM forget gate's starting bias
    units: int = TUTORIAL["units"]
    epochs: int = TUTORIAL["epochs"]
    batch_size: int | None = TUTORIAL["batch_size"]
    shuffle: bool = TUTORIAL["shuffle"]
    stateful: bool = TUTORIAL["stateful"]
    recurrent_activation: str = TUTORIAL["recurrent_activation"]
    optimizer: str = TUTORIAL["optimizer"]
    learning_rate: float = TUTORIAL["learning_rate"]
    seed: int = TUTORIAL["seed"]
    data_seed: int = TUTORIAL["data_seed"]  # draws patterns and the holdout split; the tutorial's numpy seed

    def __post_init__(self):
        validate(self)

    def replace(self, **overrides) -> "Config":
        """A new, checked Config; unknown setting names are rejected by name."""
        check_names(Config, overrides)
        return validate(dataclasses.replace(self, **overrides))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def check_names(settings_type: type, names) -> None:
    """Every name a setting of `settings_type`, else ConfigError naming the unknown one."""
    known = {f.name for f in dataclasses.fields(settings_type)}
    for name in names:
        if name not in known:
            raise ConfigError(
                _("unknown setting {name!r}; allowed: {value}").format(name=name, value=", ".join(sorted(known)))
            )


def load_config(name: str, **overrides) -> Config:
    """Experiment `name` at the tutorial's settings, with `overrides` applied and checked."""
    return Config(**tutorial_settings(name)).replace(**overrides)


def changed_settings(config: Config) -> dict[str, tuple]:
    """Setting -> (the tutorial's value, this config's) where `config` differs from the tutorial's
    settings for its experiment (a text to learn counts as one change)."""
    tutorial = tutorial_settings(config.experiment) | {"sequence": None}
    return {name: (tutorial[name], value) for name, value in config.to_dict().items() if value != tutorial[name]}


def batch_size_of(config: Config, samples: int) -> int:
    return samples if config.batch_size is None else min(config.batch_size, samples)


def steps_per_epoch(config: Config, samples: int) -> int:
    """Updates per epoch: one per batch, the last one possibly short."""
    return -(-samples // batch_size_of(config, samples))


def _choice(name: str, value, allowed: tuple) -> None:
    if value not in allowed:
        raise ConfigError(
            _("{name} {value!r} is not allowed; choose one of: {value2}").format(
                name=name, value=value, value2=", ".join(allowed)
            )
        )


def _positive(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(_("{name} must be a positive whole number, got {value!r}").format(name=name, value=value))


def _check_batch_size(batch_size: int | None) -> None:
    if batch_size is not None and batch_size > MAX_BATCH_SIZE:
        raise ConfigError(
            _("batch size {batch_size:,} is too large; allowed: 1..{MAX_BATCH_SIZE:,}").format(
                batch_size=batch_size, MAX_BATCH_SIZE=MAX_BATCH_SIZE
            )
        )


def check_count(option: str, value, top: int) -> int:
    """`value`, if a whole number in 1..`top`; else ConfigError naming `option` (`--top`,
    `--group`, ...). For the options that are checked before a model is read or JAX loads."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise ConfigError(
            _("{option} {value} is not allowed; give a whole number in 1..{top:,}").format(
                option=option, value=value, top=top
            )
        )
    return value


def validate(config: Config) -> Config:
    """Return `config` if every setting is allowed, else raise ConfigError naming the first bad one."""
    _choice("framing", config.framing, FRAMINGS)
    _choice("encoding", config.encoding, ENCODINGS)
    _choice("padding", config.padding, PADDINGS)
    _choice("data", config.data, DATA_KINDS)
    _choice("recurrent activation", config.recurrent_activation, RECURRENT_ACTIVATIONS)
    _check_cell(config)
    for name in ("epochs", "units", "seq_length", "num_patterns"):
        _positive(name.replace("_", " "), getattr(config, name))
    if config.batch_size is not None:
        _positive("batch size", config.batch_size)
    if config.units > MAX_UNITS:  # a typo's guard: 10**12 units would overflow JAX's shapes
        raise ConfigError(
            _("units {units} is too many; allowed: 1..{MAX_UNITS}").format(units=config.units, MAX_UNITS=MAX_UNITS)
        )
    if config.epochs > MAX_EPOCHS:  # the epochs are split into chunks by a loop in Python, before training
        raise ConfigError(
            _("epochs {epochs:,} is too many; allowed: 1..{MAX_EPOCHS:,}").format(
                epochs=config.epochs, MAX_EPOCHS=MAX_EPOCHS
            )
        )
    if config.seq_length > MAX_SEQ_LENGTH:
        raise ConfigError(
            _("seq length {seq_length:,} is too long; allowed: 1..{MAX_SEQ_LENGTH:,}").format(
                seq_length=config.seq_length, MAX_SEQ_LENGTH=MAX_SEQ_LENGTH
            )
        )
    _check_batch_size(config.batch_size)
    validate_alphabet(config.alphabet)
    if config.sequence is not None:
        check_text(N_("text to learn"), config.sequence)
    if config.sequence is None and config.data == "windows" and config.seq_length >= len(config.alphabet):
        raise ConfigError(
            _(
                "window length {seq_length} must be smaller than the alphabet's length "
                "{n_alphabet} (allowed: 1..{value})"
            ).format(seq_length=config.seq_length, n_alphabet=len(config.alphabet), value=len(config.alphabet) - 1)
        )
    if config.data == "runs" and config.seq_length > len(config.alphabet) - 1:
        raise ConfigError(
            _(
                "longest run {seq_length} must be smaller than the alphabet's length {n_alphabet} (allowed: 1..{value})"
            ).format(seq_length=config.seq_length, n_alphabet=len(config.alphabet), value=len(config.alphabet) - 1)
        )
    if config.data == "runs" and len(config.alphabet) < 3:
        raise ConfigError(
            _("random runs need an alphabet of at least 3 symbols, got {alphabet!r}").format(alphabet=config.alphabet)
        )
    if config.sequence is not None and config.data == "runs":
        raise ConfigError(_("a text to learn is read in fixed windows; random runs (variable-length) use the alphabet"))
    if config.framing == "features" and config.data == "runs":
        raise ConfigError(_("framing 'features' needs fixed windows; variable-length runs use 'timesteps'"))
    if config.stateful and config.shuffle:
        raise ConfigError(_("a stateful model carries state from sample to sample in order: use shuffle off"))
    for name, value, top in (("seed", config.seed, MAX_SEED), ("data seed", config.data_seed, MAX_DATA_SEED)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise ConfigError(
                _("{name} must be a whole number in 0..{top}, got {value!r}").format(name=name, top=top, value=value)
            )
    if not 0.0 <= config.holdout < 1.0:
        raise ConfigError(_("holdout {holdout!r} must be a fraction in [0, 1)").format(holdout=config.holdout))
    return config


def _check_cell(config) -> None:
    """The settings of the cell and its training, shared by a Config and a TaskConfig."""
    _choice("cell", config.cell, CELLS)
    _choice("optimizer", config.optimizer, OPTIMIZERS)
    if isinstance(config.forget_bias, bool) or not isinstance(config.forget_bias, int | float):
        raise ConfigError(_("forget bias must be a number, got {forget_bias!r}").format(forget_bias=config.forget_bias))
    if not -100 <= config.forget_bias <= 100:  # also refuses NaN
        raise ConfigError(
            _("forget bias {forget_bias!r} is not allowed; give a number in -100..100").format(
                forget_bias=config.forget_bias
            )
        )
    if config.cell != "lstm" and config.forget_bias != TUTORIAL["forget_bias"]:
        raise ConfigError(
            _("forget bias applies to the lstm cell; cell {cell!r} has no forget gate").format(cell=config.cell)
        )
    if config.cell == "rnn" and config.recurrent_activation != TUTORIAL["recurrent_activation"]:
        raise ConfigError(
            _("recurrent activation {recurrent_activation!r} applies to gated cells; cell 'rnn' has no gates").format(
                recurrent_activation=config.recurrent_activation
            )
        )
    if not config.learning_rate > 0 or config.learning_rate == float("inf"):
        raise ConfigError(
            _("learning rate must be positive, got {learning_rate!r}").format(learning_rate=config.learning_rate)
        )
    if config.learning_rate > MAX_LEARNING_RATE:
        raise ConfigError(
            _("learning rate {learning_rate!r} is too large; allowed: above 0, up to {MAX_LEARNING_RATE:g}").format(
                learning_rate=config.learning_rate, MAX_LEARNING_RATE=MAX_LEARNING_RATE
            )
        )


def check_text(name: str, text: str) -> str:
    """ConfigError unless `text` can be written as UTF-8 (config.json, a report): bytes that
    were not UTF-8 in a command line arrive as lone surrogates, which nothing can write."""
    for position, symbol in enumerate(text):
        if "\ud800" <= symbol <= "\udfff":
            raise ConfigError(
                _(
                    "the {name} is not valid text: position {position} holds {code}, which is not a character "
                    "(bytes that were not UTF-8?); give it as UTF-8 text"
                ).format(name=_(name), position=position, code=f"U+{ord(symbol):04X}")
            )
    return text


def validate_alphabet(alphabet: str) -> str:
    if not alphabet:
        raise ConfigError(_("the alphabet is empty; give at least 2 distinct symbols"))
    check_text(N_("alphabet"), alphabet)
    seen: dict[str, int] = {}
    for position, symbol in enumerate(alphabet):
        if symbol in seen:
            raise ConfigError(
                _(
                    "the alphabet {alphabet!r} repeats {symbol!r} (positions {value} and {position}); "
                    "every symbol must be distinct"
                ).format(alphabet=alphabet, symbol=symbol, value=seen[symbol], position=position)
            )
        seen[symbol] = position
    if len(alphabet) < 2:
        raise ConfigError(
            _("the alphabet {alphabet!r} has one symbol; give at least 2 distinct symbols").format(alphabet=alphabet)
        )
    return alphabet


# --- the long-time-lag tasks of the 1997 paper -----------------------------------------------

TASK_UNITS = 8  # small, as the paper's networks were (its adding net: 2 blocks of 2 cells)
BUDGET_TIMES_PAPER = 10  # default budget: ten times the paper's mean sequences to solve
MAX_BUDGET = 100_000_000
MAX_LAG = 10_000  # p or T: the held-out and training sequences grow with it


@dataclass(frozen=True)
class TaskConfig:
    """Everything that decides how one of the paper's tasks is trained: online (`batch_size`
    sequences per update), checked on held-out sequences every `check_every` sequences,
    until solved or `budget` training sequences have been seen."""

    task: str
    lag: int | None  # p or T; None for a task without one (embedded-reber)
    cell: str = TUTORIAL["cell"]
    forget_bias: float = TUTORIAL["forget_bias"]
    units: int = TASK_UNITS
    recurrent_activation: str = TUTORIAL["recurrent_activation"]
    optimizer: str = TUTORIAL["optimizer"]
    learning_rate: float = TUTORIAL["learning_rate"]
    batch_size: int = 1
    budget: int = 0  # load_task_config gives BUDGET_TIMES_PAPER times the paper's figure
    check_every: int = 0  # load_task_config gives the task's own
    seed: int = TUTORIAL["seed"]

    def __post_init__(self):
        validate_task(self)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def load_task_config(name: str, **overrides) -> TaskConfig:
    """Task `name` at lstmlab's defaults for it, with `overrides` applied and checked."""
    task = get_task(name)
    defaults = {"lag": task.default_lag, "check_every": task.check_every}
    given = {k: v for k, v in overrides.items() if v is not None}
    check_names(TaskConfig, given)
    settings = defaults | given
    if "budget" not in given:
        settings["budget"] = BUDGET_TIMES_PAPER * task.paper_sequences
    elif "check_every" not in given and isinstance(given["budget"], int) and 0 < given["budget"] < task.check_every:
        settings["check_every"] = given["budget"]  # a budget smaller than the task's checks: check once, at its end
    return TaskConfig(task=name, **settings)


def validate_task(config: TaskConfig) -> TaskConfig:
    task = get_task(config.task)
    _choice("recurrent activation", config.recurrent_activation, RECURRENT_ACTIVATIONS)
    if task.default_lag is None and config.lag is not None:
        raise ConfigError(
            _("task {task!r} has no lag: its strings' lengths come from its grammar").format(task=config.task)
        )
    if task.default_lag is not None:
        _positive("lag", config.lag)
        if not task.min_lag <= config.lag <= MAX_LAG:  # the message says 10000: keep them equal
            raise ConfigError(
                _("lag {lag} is not allowed for {task!r}; allowed: {min_lag}..10000").format(
                    lag=config.lag, task=config.task, min_lag=task.min_lag
                )
            )
    for name in ("units", "batch_size", "budget", "check_every"):
        _positive(name.replace("_", " "), getattr(config, name))
    if config.units > MAX_UNITS:
        raise ConfigError(
            _("units {units} is too many; allowed: 1..{MAX_UNITS}").format(units=config.units, MAX_UNITS=MAX_UNITS)
        )
    _check_batch_size(config.batch_size)
    if config.budget > MAX_BUDGET:
        raise ConfigError(
            _("budget {budget:,} is too large; allowed: 1..{MAX_BUDGET:,} training sequences").format(
                budget=config.budget, MAX_BUDGET=MAX_BUDGET
            )
        )
    if config.check_every > config.budget:
        raise ConfigError(
            _("check every {check_every:,} sequences is more than the budget {budget:,}").format(
                check_every=config.check_every, budget=config.budget
            )
        )
    if config.check_every % config.batch_size:
        raise ConfigError(
            _("check every {check_every} sequences is not a whole number of batches of {batch_size}").format(
                check_every=config.check_every, batch_size=config.batch_size
            )
        )
    _check_cell(config)
    if isinstance(config.seed, bool) or not isinstance(config.seed, int) or not 0 <= config.seed <= MAX_SEED:
        raise ConfigError(
            _("seed must be a whole number in 0..{MAX_SEED}, got {seed!r}").format(MAX_SEED=MAX_SEED, seed=config.seed)
        )
    return config

"""A playground request's settings as `lstmlab run` takes them: a checked `Config` and seeds,
the training work it asks for (capped), and the `lstmlab run` command that trains the same.

No JAX here: every mistake is found before a training is queued.
"""

import dataclasses

from lstmlab.engine.data import input_features
from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.server.guard import MAX_SEQUENCE, Refused
from lstmlab.settings.config import Config, changed_settings
from lstmlab.settings.experiments import get_experiment
from lstmlab.settings.request import run_request, sequence_settings

MAX_WORK = 5_000_000  # epochs × training samples × seeds: about 15 s of training at batch 1 on 2 cores
MAX_UNITS = 256  # a playground model; `lstmlab run` takes up to config.MAX_UNITS
MAX_SEEDS = 1_000  # seeds of one playground run; `lstmlab run --seeds` takes up to 100,000
MAX_ALPHABET = 1_000  # symbols: one-hot inputs and outputs grow with it (a text of 4,000 took 1.7 GB)
MAX_MEMORY_BYTES = 512 * 2**20  # what one training may allocate, by `memory_bytes`'s estimate
MIB = 2**20
EVALUATION_SEEDS = 64  # seeds evaluated side by side (lstmlab.engine.evaluate.EVAL_GROUP_SEEDS)
HISTORY_BYTES = 80  # a loss and an accuracy per epoch, as Python floats in lists (document, events)

TYPE_NAMES = {int: "a whole number", float: "a number", bool: "true or false", str: "text", type(None): "null"}


def _kinds(annotation) -> tuple[type, ...]:
    return getattr(annotation, "__args__", (annotation,))


def check_setting(name: str, value, annotation):
    """`value` as Config's field `name` takes it, or ConfigError: JSON gives 1 for 1.0 and
    true for 1, so numbers and booleans are told apart here, by the field's annotation."""
    kinds = _kinds(annotation)
    if isinstance(value, bool):
        fits = bool in kinds
    elif isinstance(value, int):
        fits = int in kinds or float in kinds
        value = value if int in kinds or not fits else float(value)
    else:
        fits = isinstance(value, tuple(kinds))
    if not fits:
        allowed = " or ".join(TYPE_NAMES.get(kind, kind.__name__) for kind in kinds)
        raise ConfigError(
            _("setting {name!r} must be {allowed}, got {value!r}").format(name=name, allowed=allowed, value=value)[:300]
        )
    return value


def run_config(experiment: str, settings: dict, text: str | None, seeds) -> tuple[Config, tuple[int, ...] | None]:
    """The config and seeds a playground run asks for: the JSON's kinds and sizes checked here,
    the settings themselves as `lstmlab run` checks them (settings.request)."""
    get_experiment(experiment)
    types = {f.name: f.type for f in dataclasses.fields(Config)}
    given = {}
    for name, value in settings.items():
        if name not in types or name == "experiment":
            allowed = ", ".join(sorted(set(types) - {"experiment"}))
            raise ConfigError(_("unknown setting {name!r}; allowed: {allowed}").format(name=name, allowed=allowed))
        given[name] = check_setting(name, value, types[name])
    for name in ("alphabet", "sequence"):
        if isinstance(given.get(name), str) and len(given[name]) > MAX_SEQUENCE:
            raise Refused(
                413,
                _("setting {name!r} has {value:,} symbols; allowed: up to {MAX_SEQUENCE:,}").format(
                    name=name, value=len(given[name]), MAX_SEQUENCE=MAX_SEQUENCE
                ),
            )
    return run_request(experiment, given, text=text, seeds=None if seeds is None else str(seeds))


def check_work(config: Config, samples: int, seeds: int) -> int:
    """epochs × samples × seeds, or Refused naming the cap: of the work, of units, seeds and the
    alphabet each, and of the memory the training would allocate (`memory_bytes`)."""
    if config.units > MAX_UNITS:
        raise Refused(
            400,
            _("units {units} is over the playground's cap of {MAX_UNITS}; use `lstmlab run`").format(
                units=config.units, MAX_UNITS=MAX_UNITS
            ),
        )
    if seeds > MAX_SEEDS:
        raise Refused(
            400,
            _("seeds {seeds:,} is over the playground's cap of {MAX_SEEDS:,}; use `lstmlab run`").format(
                seeds=seeds, MAX_SEEDS=MAX_SEEDS
            ),
        )
    if len(config.alphabet) > MAX_ALPHABET:
        raise Refused(
            400,
            _(
                "alphabet size {symbols:,} is over the playground's cap of {MAX_ALPHABET:,} symbols; give a text "
                "with fewer distinct symbols, or use `lstmlab run`"
            ).format(symbols=len(config.alphabet), MAX_ALPHABET=MAX_ALPHABET),
        )
    work = config.epochs * samples * seeds
    if work > MAX_WORK:
        raise Refused(
            400,
            _(
                "training work {work:,} (epochs {epochs:,} × samples {samples:,} × seeds "
                "{seeds:,}) is over the playground's cap of {MAX_WORK:,}; use fewer epochs or "
                "seeds, or `lstmlab run`"
            ).format(work=work, epochs=config.epochs, samples=samples, seeds=seeds, MAX_WORK=MAX_WORK),
        )
    check_memory(config, samples, seeds)
    return work


def memory_bytes(config: Config, samples: int, seeds: int) -> tuple[int, int]:
    """A generous estimate of what training and evaluating `config` allocates, in bytes: (the
    data's part, the models' part). Data: inputs (samples × steps × features; features are
    the alphabet's size when one-hot) and one-hot targets, on the host and as the device's copy
    and an epoch of batches. Models: per seed, `training.seed_bytes` (weights, Adam moments,
    gradients, a shuffled epoch, activations), one group of seeds' probabilities and states when
    evaluated, and every seed's history of loss and accuracy."""
    from lstmlab.engine.training import seed_bytes  # JAX: the server has it loaded already

    steps = 1 if config.framing == "features" else config.seq_length
    symbols = len(config.alphabet)
    data = 3 * 4 * samples * (steps * input_features(config) + symbols)
    evaluation = min(seeds, EVALUATION_SEEDS) * 4 * samples * (symbols + steps * config.units * 6)
    history = HISTORY_BYTES * config.epochs * (seeds + 1)
    return data, seeds * seed_bytes(config, max(1, samples)) + evaluation + history


def check_memory(config: Config, samples: int, seeds: int) -> None:
    data, models = memory_bytes(config, samples, seeds)
    if data + models <= MAX_MEMORY_BYTES:
        return
    need, cap = -(-(data + models) // MIB), MAX_MEMORY_BYTES // MIB
    steps = 1 if config.framing == "features" else config.seq_length
    if data >= models:
        message = _(
            "this training needs about {need:,} MiB of memory ({samples:,} samples × {steps} steps × {features:,} "
            "features); the playground's cap is {cap:,} MiB; give a shorter text with fewer distinct symbols, "
            "or scalar encoding, or use `lstmlab run`"
        ).format(need=need, samples=samples, steps=steps, features=input_features(config), cap=cap)
    else:
        message = _(
            "this training needs about {need:,} MiB of memory ({seeds:,} seeds × {units} units); the playground's "
            "cap is {cap:,} MiB; use fewer seeds or units, or use `lstmlab run`"
        ).format(need=need, seeds=seeds, units=config.units, cap=cap)
    raise Refused(400, message)


def kept_bytes(config: Config, seeds: int) -> int:
    """What a finished run keeps in memory: every seed's weights, and the histories of its
    document and its progress events."""
    weights = 4 * config.units * (input_features(config) + config.units + 1) + len(config.alphabet) * (config.units + 1)
    return seeds * 4 * weights + HISTORY_BYTES * config.epochs * (seeds + 1)


def most_samples(config: Config) -> int:
    """The training samples `config` makes before any are held out, without making them."""
    if config.data == "runs":
        return config.num_patterns
    return max(0, len(config.sequence if config.sequence is not None else config.alphabet) - config.seq_length)


OPTION_NAMES = {"recurrent_activation": "activation"}


def command_line(config: Config, seeds: tuple[int, ...] | None) -> tuple[str, ...]:
    """The `lstmlab run` command that trains the same models (a pasted text: a file holding it)."""
    words = ["lstmlab", "run", config.experiment]
    changed = changed_settings(config)
    if "sequence" in changed:
        words += ["--sequence-file", "TEXT.txt"]
        implied = sequence_settings(config.sequence)  # what --sequence-file sets by itself
        changed = {k: v for k, v in changed.items() if k not in implied or v[1] != implied[k]}
    for name, (_tutorial, value) in changed.items():
        option = "--" + OPTION_NAMES.get(name, name).replace("_", "-")
        if isinstance(value, bool):
            words.append(option if value else option.replace("--", "--no-"))
        else:
            words += [option, "all" if value is None else str(value)]
    if seeds is not None:
        words += ["--seeds", seeds_text(seeds)]
    return tuple(words)


def seeds_text(seeds: tuple[int, ...]) -> str:
    """Seeds as `--seeds` takes them, short: 1..N as N, runs of consecutive seeds as ranges."""
    if seeds == tuple(range(1, len(seeds) + 1)):
        return str(len(seeds))
    parts, first = [], 0
    for k in range(1, len(seeds) + 1):
        if k == len(seeds) or seeds[k] != seeds[k - 1] + 1:
            parts.append(str(seeds[first]) if k - 1 == first else f"{seeds[first]}-{seeds[k - 1]}")
            first = k
    return ",".join(parts)

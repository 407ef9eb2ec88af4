"""A playground request's settings as `lstmlab run` takes them: a checked `Config` and seeds,
the training work it asks for (capped), and the `lstmlab run` command that trains the same.

No JAX here: every mistake is found before a training is queued.
"""

import dataclasses

from lstmlab.config import Config, changed_settings, load_config
from lstmlab.data import sequence_settings
from lstmlab.errors import ConfigError
from lstmlab.experiments import get_experiment
from lstmlab.i18n import _
from lstmlab.seeds import parse_seeds
from lstmlab.server_guard import MAX_SEQUENCE, Refused

MAX_WORK = 5_000_000  # epochs × training samples × seeds: about 15 s of training at batch 1 on 2 cores
MAX_UNITS = 256  # a playground model; `lstmlab run` takes up to config.MAX_UNITS

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
    """The config and seeds a playground run asks for; every mistake found here, as `lstmlab run` does."""
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
    from_text = {} if text is None else sequence_settings(text)
    config = load_config(experiment, **from_text | given)
    seed_list = None
    if seeds is not None:
        seed_list = tuple(parse_seeds(str(seeds)))
        if len(seed_list) == 1:  # one seed named: an ordinary run of that seed
            config, seed_list = config.replace(seed=seed_list[0]), None
    return config, seed_list


def check_work(config: Config, samples: int, seeds: int) -> int:
    """epochs × samples × seeds, or Refused naming the cap."""
    if config.units > MAX_UNITS:
        raise Refused(
            400,
            _("units {units} is over the playground's cap of {MAX_UNITS}; use `lstmlab run`").format(
                units=config.units, MAX_UNITS=MAX_UNITS
            ),
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
    return work


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

"""What a run asks for, checked the one way for every caller: `lstmlab run`'s options and the
playground's requests become a Config (or a TaskConfig) and seeds here, every mistake found
before JAX loads. A text to learn brings its own settings (`sequence_settings`).

    run_request(...)   - a tutorial experiment's config and seeds, from the settings given
    task_request(...)  - a paper task's likewise
    batch_size(...)    - '--batch-size': a whole number, or 'all'
    read_sequence(...) - a sequence file's text, read bounded and checked
"""

import os
from pathlib import Path

from lstmlab.errors import ConfigError, DataError
from lstmlab.i18n import _
from lstmlab.settings.config import Config, TaskConfig, load_config, load_task_config
from lstmlab.settings.experiments import get_experiment
from lstmlab.settings.seeds import parse_seeds
from lstmlab.user_files import FileTooLarge, NotAFile, read_bounded


def run_request(
    experiment: str, given: dict, *, text: str | None = None, seed: int | None = None, seeds: str | None = None
) -> tuple[Config, tuple[int, ...] | None]:
    """The config and seeds a run of `experiment` asks for: the settings `given` (only those
    given; a batch size may be the option's text) over those a `text` to learn brings, over
    the experiment's. Seeds None: one model, of the config's seed; one seed named is an
    ordinary run of that seed."""
    if seeds is not None and seed is not None:
        raise ConfigError(_("give --seed (one model) or --seeds (many), not both"))
    name = get_experiment(experiment).name
    given = dict(given) | ({} if seed is None else {"seed": seed})
    if isinstance(given.get("batch_size"), str):
        given["batch_size"] = batch_size(given["batch_size"])
    from_text = {} if text is None else sequence_settings(text)  # the settings given override these
    config = load_config(name, **from_text | given)
    seed_list = None if seeds is None else tuple(parse_seeds(str(seeds)))
    if seed_list is not None and len(seed_list) == 1:
        return config.replace(seed=seed_list[0]), None
    return config, seed_list


def task_request(
    task: str, given: dict, *, seed: int | None = None, seeds: str | None = None
) -> tuple[TaskConfig, tuple[int, ...]]:
    """The config and seeds a run of the paper's `task` asks for (only the settings given;
    seeds None: the config's seed)."""
    if seeds is not None and seed is not None:
        raise ConfigError(_("give --seed (one model) or --seeds (many), not both"))
    given = dict(given) | ({} if seed is None else {"seed": seed})
    if isinstance(given.get("batch_size"), str):
        given["batch_size"] = batch_size(given["batch_size"])
        if given["batch_size"] is None:
            raise ConfigError(
                _("batch size 'all' is not allowed for a task (its sequences never run out); give a number")
            )
    config = load_task_config(task, **given)
    return config, tuple(parse_seeds(str(seeds))) if seeds is not None else (config.seed,)


def batch_size(text: str) -> int | None:
    """'--batch-size N' or 'all' (None: every sample in one batch)."""
    if text == "all":
        return None
    try:
        return int(text)
    except ValueError:
        message = _("batch size {value!r} is not allowed; give a positive whole number or 'all'")
        raise ConfigError(message.format(value=text)) from None


def distinct_symbols(text: str) -> str:
    """A text's alphabet: its distinct characters in order of first appearance."""
    return "".join(dict.fromkeys(text))


MAX_SEQUENCE_BYTES = 10_000_000  # a sequence file's most: a long novel; training reads it whole


SEQUENCE_HOLDOUT = 0.1  # a text's last tenth is held out unless the user says otherwise


def sequence_settings(text: str) -> dict:
    """Config overrides for learning `text`: its distinct symbols as the alphabet, one-hot
    input (an index scaled to 0..1 would make unrelated symbols look alike), and its last
    part held out to measure what the model learned beyond memorising."""
    return {"sequence": text, "alphabet": distinct_symbols(text), "encoding": "onehot", "holdout": SEQUENCE_HOLDOUT}


def read_sequence(path: str | os.PathLike) -> str:
    """The UTF-8 text of a sequence file, without one final line ending (an editor's, not the
    text's). DataError, naming the file, if it is missing, unreadable, not UTF-8, empty, or
    has fewer than 2 distinct symbols."""
    path = Path(path)
    try:
        raw = read_bounded(path, MAX_SEQUENCE_BYTES)
    except OSError as e:
        raise DataError(
            _("cannot read the sequence file '{path}': {value}").format(path=path, value=e.strerror or e)
        ) from None
    except FileTooLarge as e:
        raise DataError(
            _("the sequence file '{path}' is larger than {limit} bytes, the most lstmlab reads; give a shorter text")
            .format(path=path, limit=e.limit)
        ) from None
    except NotAFile as e:
        raise DataError(
            _("the sequence file '{path}' is {what}, not a regular file; give a text file").format(
                path=path, what=e.what
            )
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(
            _("the sequence file '{path}' is not UTF-8 text (byte {start}); save it as UTF-8").format(
                path=path, start=e.start
            )
        ) from None
    text = text.removesuffix("\n").removesuffix("\r")
    if not text:
        raise DataError(
            _("the sequence file '{path}' is empty; give a text of at least 2 distinct symbols").format(path=path)
        )
    if len(distinct_symbols(text)) < 2:
        raise DataError(
            _(
                "the sequence file '{path}' has one distinct symbol ({value!r}); give a text of "
                "at least 2 distinct symbols"
            ).format(path=path, value=text[0])
        )
    return text

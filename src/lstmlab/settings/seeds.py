"""Which seeds to train, from the command line's `--seeds` text.

    "100"      -> seeds 1..100 (one number is a count: the first N seeds)
    "1,5,9"    -> seeds 1, 5 and 9
    "3-10"     -> seeds 3..10, both ends included
    "1-3,7"    -> seeds 1, 2, 3 and 7

Seed k is always `jax.random.key(k)`, trained alone or beside others, so "--seeds 5" and
"--seeds 1-5" train the same five models.
"""

import re

from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.settings.config import MAX_SEED

MAX_SEEDS = 100_000  # a typo's guard: "1-1000000" is a million models
_NUMBER = re.compile(r"[0-9]+")  # str.isdigit() also takes "²"


def parse_seeds(text: str) -> tuple[int, ...]:
    """The seeds `text` names, in its order; ConfigError naming the bad part otherwise."""
    text = text.strip()
    if not text:
        raise ConfigError(_("--seeds is empty; give a count (100), a list (1,5,9) or a range (3-10)"))
    if _NUMBER.fullmatch(text):
        count = int(text)
        if count < 1:
            raise ConfigError(_("--seeds {text}: the number of seeds must be positive").format(text=text))
        return _checked([range(1, count + 1)], text)
    return _checked([_part(part.strip(), text) for part in text.split(",")], text)


def _part(part: str, text: str) -> range:
    start, dash, end = part.partition("-")
    if not _NUMBER.fullmatch(start) or (dash and not _NUMBER.fullmatch(end)):
        raise ConfigError(
            _(
                "--seeds {text!r}: {part!r} is not a seed (a whole number >= 0) or a range like "
                "3-10; use a count (100), a list (1,5,9) or ranges (3-10)"
            ).format(text=text, part=part)
        )
    first, last = int(start), int(end) if dash else int(start)
    if last > MAX_SEED:
        raise ConfigError(
            _("--seeds {text!r}: seed {last} is too large; seeds are 0..{MAX_SEED}").format(
                text=text, last=last, MAX_SEED=MAX_SEED
            )
        )
    if last < first:
        raise ConfigError(
            _("--seeds {text!r}: the range {part!r} runs backwards; write {last}-{first}").format(
                text=text, part=part, last=last, first=first
            )
        )
    return range(first, last + 1)


def _checked(ranges: list[range], text: str) -> tuple[int, ...]:
    count = sum(r.stop - r.start for r in ranges)  # counted before a single seed is listed
    if count > MAX_SEEDS:
        raise ConfigError(
            _("--seeds {text!r} names {count:,} seeds; at most {MAX_SEEDS:,} are allowed").format(
                text=text, count=count, MAX_SEEDS=MAX_SEEDS
            )
        )
    seeds = tuple(seed for r in ranges for seed in r)
    seen = set()
    for seed in seeds:
        if seed in seen:
            raise ConfigError(
                _("--seeds {text!r} names seed {seed} twice; each seed trains one model").format(text=text, seed=seed)
            )
        seen.add(seed)
    return seeds

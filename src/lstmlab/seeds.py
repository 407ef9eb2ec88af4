"""Which seeds to train, from the command line's `--seeds` text.

    "100"      -> seeds 1..100 (one number is a count: the first N seeds)
    "1,5,9"    -> seeds 1, 5 and 9
    "3-10"     -> seeds 3..10, both ends included
    "1-3,7"    -> seeds 1, 2, 3 and 7

Seed k is always `jax.random.key(k)`, trained alone or beside others, so "--seeds 5" and
"--seeds 1-5" train the same five models.
"""

from lstmlab.errors import ConfigError

MAX_SEEDS = 100_000  # a typo's guard: "1-1000000" is a million models


def parse_seeds(text: str) -> tuple[int, ...]:
    """The seeds `text` names, in its order; ConfigError naming the bad part otherwise."""
    text = text.strip()
    if not text:
        raise ConfigError("--seeds is empty; give a count (100), a list (1,5,9) or a range (3-10)")
    if text.isdigit():
        count = int(text)
        if count < 1:
            raise ConfigError(f"--seeds {text}: the number of seeds must be positive")
        return _checked(tuple(range(1, count + 1)), text)
    seeds: list[int] = []
    for part in text.split(","):
        seeds.extend(_part(part.strip(), text))
    return _checked(tuple(seeds), text)


def _part(part: str, text: str) -> range:
    start, dash, end = part.partition("-")
    if not start.isdigit() or (dash and not end.isdigit()):
        raise ConfigError(
            f"--seeds {text!r}: {part!r} is not a seed (a whole number >= 0) or a range like 3-10; "
            "use a count (100), a list (1,5,9) or ranges (3-10)"
        )
    first, last = int(start), int(end) if dash else int(start)
    if last < first:
        raise ConfigError(f"--seeds {text!r}: the range {part!r} runs backwards; write {last}-{first}")
    return range(first, last + 1)


def _checked(seeds: tuple[int, ...], text: str) -> tuple[int, ...]:
    if len(seeds) > MAX_SEEDS:
        raise ConfigError(f"--seeds {text!r} names {len(seeds):,} seeds; at most {MAX_SEEDS:,} are allowed")
    seen = set()
    for seed in seeds:
        if seed in seen:
            raise ConfigError(f"--seeds {text!r} names seed {seed} twice; each seed trains one model")
        seen.add(seed)
    return seeds

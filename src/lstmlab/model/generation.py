"""Sequences fed back to a model: it reads a start text, answers, reads its own answer, ...

A window model slides its window over its own output; a stateful model carries its state
from window to window. `seeded_generations` is the stateful tutorial's demonstration.
"""

from dataclasses import dataclass

import numpy as np

from lstmlab.document import Document, rounded
from lstmlab.engine.data import encode_text
from lstmlab.errors import DataError
from lstmlab.i18n import _, later
from lstmlab.model.reading import count, feed, read_window
from lstmlab.settings.config import Config


@dataclass(frozen=True)
class Step:
    input: str  # the window the model read for this answer
    predicted: str
    probability: float


@dataclass(frozen=True)
class Generation(Document):
    kind = "generation"
    warmup: str  # read first, only to set the context (a stateful model: its state)
    start: str
    sequence: str  # start and every symbol generated after it
    steps: tuple[Step, ...]


def generate(params: dict, config: Config, start: str, steps: int, warmup: str = "") -> Generation:
    """Feed the model its own predictions `steps` times, beginning after `warmup + start`."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise DataError(_("steps must be a positive whole number, got {steps}").format(steps=steps))
    if not start:
        raise DataError(_("the start text is empty; give at least one symbol from the model's alphabet"))
    codes = np.concatenate([encode_text(warmup, config.alphabet), encode_text(start, config.alphabet)])
    window = config.seq_length
    if (config.stateful or config.data == "windows") and len(codes) < window:
        raise DataError(
            _("{value!r} has {value2}; this model needs at least {window} to start").format(
                value=warmup + start, value2=count(codes), window=window
            )
        )
    if config.stateful:
        probs, state = feed(params, config, codes)
        p = probs[-1]
    else:
        state = None
        p, _state = read_window(params, config, codes[-window:])
    out = []
    for step in range(steps):
        best = int(np.argmax(p))
        out.append(Step(_text(codes[-window:], config), config.alphabet[best], rounded(p[best])))
        codes = np.append(codes, best)
        if step + 1 < steps:
            p, state = read_window(params, config, codes[-window:], state)
    return Generation(warmup, start, start + "".join(s.predicted for s in out), tuple(out))


def _text(codes: np.ndarray, config: Config) -> str:
    return "".join(config.alphabet[c] for c in codes)


# --- the stateful tutorial's demonstration ---------------------------------------------


@dataclass(frozen=True)
class Demonstration:
    title: str
    generation: Generation


@dataclass(frozen=True)
class StatefulDemonstrations(Document):
    kind = "stateful-demonstrations"
    generations: tuple[Demonstration, ...]
    explanation: str  # what these answers show, and only that


def shows_demonstrations(config, seeds: int) -> bool:
    """The one rule: a stateful run of one seed shows the tutorial's generations (of many
    seeds, whose would it show?); a paper task has none."""
    return isinstance(config, Config) and config.stateful and seeds == 1


def demonstrations_of(result) -> "StatefulDemonstrations | None":
    """A trained run's stateful demonstrations (`result`: a RunResult), when it shows them."""
    if not shows_demonstrations(result.config, len(result.seeds)):
        return None
    return seeded_generations(result.params(), result.config)


def seeded_generations(params: dict, config: Config) -> StatefulDemonstrations:
    """The stateful tutorial's two demonstrations, and the fix.

    1. From the first letter after a reset, fed its own predictions: the whole alphabet.
    2. From K (the 11th letter) after a reset, five steps: the tutorial's wrong answers.
    3. From K after warming the state with the letters before it: right again.
    A short alphabet or a long window shrinks the demonstrations to fit (K becomes the
    middle letter, five steps become fewer); what cannot be shown is said in the explanation.
    """
    alphabet, window = config.alphabet, config.seq_length
    first = alphabet[:window]
    generations = [
        Demonstration(
            later("From {first} after a reset:", first=first), generate(params, config, first, len(alphabet) - window)
        )
    ]
    k = min(10, len(alphabet) // 2)
    steps = min(5, len(alphabet) - (k + window))
    if k < 1 or steps < 1:  # no letter both past the start and with a window and an answer after it
        return StatefulDemonstrations(tuple(generations), _too_short(alphabet, window))
    start, before = alphabet[k : k + window], alphabet[:k]
    reset = generate(params, config, start, steps)
    warmed = generate(params, config, start, steps, warmup=before)
    generations += [
        Demonstration(later("New start: {start}, after a reset:", start=start), reset),
        Demonstration(
            later("New start: {start}, after warming the state with {before}:", start=start, before=before), warmed
        ),
    ]
    return StatefulDemonstrations(tuple(generations), explain(reset, warmed, alphabet, first))


def _too_short(alphabet: str, window: int) -> str:
    return later(
        "No restart demonstration: the alphabet has {symbols} symbols and the window {window}, "
        "so no later start has a window and an answer after it.",
        symbols=len(alphabet),
        window=window,
    )


def explain(reset: Generation, warmed: Generation, alphabet: str, first: str) -> str:
    """One or two sentences on what the restart answers show, from those answers alone."""
    right = alphabet[alphabet.index(reset.start[-1]) + 1]
    reset_answer, warmed_answer = reset.steps[0].predicted, warmed.steps[0].predicted
    after_first = alphabet[len(first)]
    if reset_answer != right and warmed_answer == right:
        like_first = later(" — what follows {first}", first=first) if reset_answer == after_first else ""
        return later(
            "Why: after a reset the state is the one every epoch began with, when the input was always {first}, "
            "so from {start} it answers {answer}{like_first}; warmed with the letters before it, "
            "the state is where training had it, and it answers {right}.",
            first=first,
            start=reset.start,
            answer=reset_answer,
            like_first=like_first,
            right=right,
        )
    if reset_answer == right and warmed_answer == right:
        return later(
            "From {start} this model answers {right} both after a reset and after warming: "
            "here it does not depend on the state it starts from.",
            start=reset.start,
            right=right,
        )
    if warmed_answer != right:
        return later(
            "Even warmed with the letters before {start} this model answers {answer}, not {right}: "
            "it has not learned to carry the sequence in its state.",
            start=reset.start,
            answer=warmed_answer,
            right=right,
        )
    return later(
        "After a reset this model answers {right} from {start}, but warmed it answers {answer}.",
        right=right,
        start=reset.start,
        answer=warmed_answer,
    )

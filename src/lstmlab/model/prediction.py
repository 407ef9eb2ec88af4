"""The next symbol after a text, with its probability and the likeliest alternatives."""

from dataclasses import dataclass

import numpy as np

from lstmlab.document import Document, rounded
from lstmlab.errors import DataError
from lstmlab.i18n import _
from lstmlab.model.reading import next_probabilities
from lstmlab.settings.config import Config


@dataclass(frozen=True)
class Ranked:
    symbol: str
    probability: float


@dataclass(frozen=True)
class Prediction(Document):
    kind = "prediction"
    input: str  # the text the model read
    predicted: str  # the most probable next symbol
    probability: float
    top: tuple[Ranked, ...]  # the most probable symbols, most probable first


def predict(params: dict, config: Config, text: str, top: int = 3) -> Prediction:
    """The symbol after `text`, its probability, and the `top` most probable symbols
    (at most the alphabet's size)."""
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise DataError(_("top must be a positive whole number, got {top!r}").format(top=top))
    probs = next_probabilities(params, config, text)
    order = np.argsort(-probs, kind="stable")[:top]
    ranked = tuple(Ranked(config.alphabet[k], rounded(probs[k])) for k in order)
    return Prediction(text, ranked[0].symbol, ranked[0].probability, ranked)

"""The tutorial's six experiments and the settings it trained them with: the one place
those settings are written down.

Plain data, no computation: `TUTORIAL` holds the settings every experiment shares (and
`Config`'s defaults are read from it), each `Experiment` only what differs. The command
line's help and `lstmlab list` read from here too.
"""

from dataclasses import dataclass, field

from lstmlab.errors import ConfigError
from lstmlab.i18n import N_, _

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

TUTORIAL = {
    "experiment": "timesteps",  # the tutorial's main model; a bare Config is this one
    "alphabet": ALPHABET,
    "data": "windows",
    "seq_length": 3,
    "framing": "timesteps",
    "encoding": "scalar",  # a letter's code divided by the alphabet's length
    "num_patterns": 1000,
    "padding": "zero",
    "holdout": 0.0,
    "cell": "lstm",  # Keras's LSTM; lstmlab also has "lstm-1997", "gru" and "rnn"
    "forget_bias": 1.0,  # Keras's unit_forget_bias
    "units": 32,
    "epochs": 500,
    "batch_size": 1,
    "shuffle": True,  # Keras's fit() default
    "stateful": False,
    "recurrent_activation": "sigmoid",  # Keras 3's default; the tutorial's Keras 1/2 used hard_sigmoid
    "optimizer": "adam",
    "learning_rate": 1e-3,  # Keras's Adam default
    "seed": 7,  # numpy.random.seed(7)
    "data_seed": 7,
}


@dataclass(frozen=True)
class Experiment:
    name: str
    summary: str
    tutorial_accuracy: float  # percent, as the tutorial printed it
    settings: dict = field(default_factory=dict)  # where this experiment differs from TUTORIAL
    tutorial_note: str = ""
    random_sample: bool = False  # the tutorial also shows 20 patterns drawn at random


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in [
        Experiment("naive", N_("one letter in, the next letter out"), 84.00, {"seq_length": 1}),
        Experiment(
            "features", N_("a three-letter window as three features of one time step"), 86.96, {"framing": "features"}
        ),
        Experiment("timesteps", N_("a three-letter window as three time steps of one feature"), 100.00),
        Experiment(
            "batch-state",
            N_("one letter in; all 25 pairs in one unshuffled batch"),
            100.00,
            {"seq_length": 1, "units": 16, "epochs": 5000, "batch_size": None, "shuffle": False},
            N_("20 random patterns, all right"),
            random_sample=True,
        ),
        Experiment(
            "stateful",
            N_("one letter in; state carried from each letter to the next, reset every epoch"),
            100.00,
            {"seq_length": 1, "units": 50, "epochs": 300, "batch_size": 1, "shuffle": False, "stateful": True},
            N_("from A spells A..Z; from K after a reset: K->B"),
        ),
        Experiment(
            "variable-length",
            N_("runs of 1 to 5 consecutive letters, pre-padded to 5 time steps"),
            98.90,
            {"data": "runs", "seq_length": 5},
            N_("20 random patterns, 19 right (a later rerun: 98.40%)"),
            random_sample=True,
        ),
    ]
}


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ConfigError(
            _("unknown experiment {name!r}; choose one of: {names}").format(name=name, names=", ".join(EXPERIMENTS))
        )
    return EXPERIMENTS[name]


def tutorial_settings(name: str) -> dict:
    """Every setting of experiment `name` as the tutorial ran it."""
    return TUTORIAL | {"experiment": name} | get_experiment(name).settings

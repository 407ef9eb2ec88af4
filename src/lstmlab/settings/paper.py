"""The long-time-lag tasks of the original LSTM paper, and what it reported: the one place
those definitions and figures are written down.

Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8):1735-1780, 1997.
Plain data, no computation: `lstmlab.engine.tasks` builds the sequences, `lstmlab list` and the
reports quote the figures. Every task is trained online (one sequence per update) until its
criterion holds on held-out sequences, or a budget of training sequences runs out.
"""

from dataclasses import dataclass

from lstmlab.errors import ConfigError
from lstmlab.i18n import N_, _

CITATION = 'Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997'


@dataclass(frozen=True)
class PaperTask:
    name: str
    experiment: str  # the paper's numbering
    summary: str
    definition: str
    criterion: str  # how lstmlab decides that a seed solved it
    paper_result: str  # what the paper reported for its LSTM, in words
    paper_sequences: int  # the paper's mean number of training sequences to solve it
    paper_solved: str  # the paper's share of trials that solved it, as it gave it
    default_lag: int | None  # None: the task has no lag setting (its lengths come from a grammar)
    min_lag: int = 2
    check_every: int = 500  # training sequences between two checks on the held-out set
    heldout: int = 512  # held-out sequences the criterion is checked on
    tolerance: float = 0.01  # share of held-out sequences that may still be wrong


PAPER_TASKS: dict[str, PaperTask] = {
    t.name: t
    for t in [
        PaperTask(
            "long-lag",
            "2a",
            N_("remember the first symbol for p steps of the same distractors"),
            "Two sequences, (y, a1, ..., a(p-1), y) and (x, a1, ..., a(p-1), x), drawn with probability "
            "1/2 each, one-hot over p+1 symbols, noise-free; after reading all but the last symbol, "
            "predict it. Only the first symbol tells which.",
            N_("both sequences' last symbol predicted with probability above 0.75 (output error below 0.25)"),
            N_("solved in all trials; mean 5,040 training sequences at p = 100 (BPTT and RTRL: never)"),
            5040,
            "100%",
            100,
            min_lag=2,
            check_every=100,
            heldout=2,
            tolerance=0.0,
        ),
        PaperTask(
            "adding",
            "4",
            N_("add two marked numbers among T to 1.1T random ones"),
            "Each step is a pair (a value drawn from [-1, 1], a marker); a sequence has T to T + T/10 "
            "steps. One value among the first 10 steps (for T < 22, the first T/2 - 1) and another "
            "among the first T/2 - 1 are marked 1 (X1, X2); the first and last steps are marked -1, "
            "the rest 0 (a marked first step's value is set to 0). At the end, output 0.5 + (X1 + X2) / 4.",
            N_("at most 1% of 512 held-out sequences off by 0.04 or more at their end"),
            N_("T = 100: about 74,000 training sequences; 1 to 3 of 2,560 test sequences wrong"),
            74000,
            "100%",
            100,
            min_lag=10,
            check_every=1000,
        ),
        PaperTask(
            "temporal-order",
            "6a",
            N_("classify the order of two X/Y symbols hidden among random a-d symbols"),
            "Sequences of T to T + T/10 steps over E, B, a, b, c, d, X, Y: E first, B last, random "
            "a-d elsewhere, except at one step in [T/10, T/5] and one in [T/2, 0.6 T], each X or Y. "
            "At the end, classify the pair's order into 4 classes: XX, XY, YX, YY.",
            N_("at most 1% of 512 held-out sequences wrong at their end (the right class below probability 0.7)"),
            N_("T = 100: about 31,390 training sequences; 1 of 2,560 test sequences wrong"),
            31390,
            "100%",
            100,
            min_lag=10,
            check_every=1000,
        ),
        PaperTask(
            "embedded-reber",
            "1",
            N_("predict the next symbol of embedded Reber strings"),
            "Strings B T <Reber string> T E or B P <Reber string> P E over B, T, P, S, X, V, E; at "
            "every step, predict which symbols may come next (each output unit on above 0.5 for a "
            "possible symbol). The penultimate symbol must repeat the second, across the whole inner "
            "string. Strings are capped at 50 symbols (the rare longer ones are cut).",
            N_("every step of all 256 held-out strings predicted right"),
            N_("solved in 148 of 150 trials; mean 8,440 training sequences"),
            8440,
            "148/150",
            None,
            check_every=200,
            heldout=256,
            tolerance=0.0,
        ),
    ]
}

# The tasks whose answer comes at the last step (embedded-reber answers at every step).
ANSWERED_AT_THE_END = ("long-lag", "adding", "temporal-order")

DIFFERENCES = N_(
    "The paper's LSTM had no forget gate (lstmlab's cell 'lstm-1997'; the forget gate came in 2000), "
    "used memory blocks with their own squashing functions and output-gate biases, and trained online "
    "by gradient descent with truncated backpropagation and its own learning rates; lstmlab trains the "
    "whole sequence with Adam by default (--optimizer sgd --learning-rate R comes closer), "
    "with Keras's initialisers."
)


def get_task(name: str) -> PaperTask:
    if name not in PAPER_TASKS:
        raise ConfigError(
            _("unknown task {name!r}; choose one of: {value}").format(name=name, value=", ".join(PAPER_TASKS))
        )
    return PAPER_TASKS[name]

"""The options several commands take, written once."""

from pathlib import Path
from typing import Annotated

import typer

from lstmlab.i18n import N_, later
from lstmlab.settings.experiments import TUTORIAL

AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document instead (see docs/json.md).")]


def tutorial_help(text: str, setting: str) -> str:
    return later("{text} (default: the tutorial's, {value}).", text=text, value=TUTORIAL[setting])


CellOption = Annotated[
    str | None,
    typer.Option(
        help="The recurrent cell: 'lstm' (Keras's), 'lstm-1997' (the original, no forget gate), 'gru' or 'rnn' "
        "(Keras's SimpleRNN).",
        show_default=False,
    ),
]


ForgetBiasOption = Annotated[
    float | None,
    typer.Option(help=tutorial_help(N_("The LSTM forget gate's starting bias"), "forget_bias"), show_default=False),
]


EngineOption = Annotated[str, typer.Option(help="Where the jobs run: 'local' (this process) or 'ray'.")]


AddressOption = Annotated[
    str | None,
    typer.Option(
        help="With --engine ray: a Ray cluster's address, or 'auto' (default: a local Ray instance).",
        show_default=False,
    ),
]


ResumeOption = Annotated[
    bool, typer.Option("--resume", help="Finish the sweep in --out: run only the jobs not there yet.")
]


GroupOption = Annotated[
    int | None,
    typer.Option(min=1, help="Seeds per job, 1..100,000 (default: all the seeds in one job).", show_default=False),
]


ModelDir = Annotated[
    Path, typer.Argument(help="A model folder written by `lstmlab run … --save DIR`.", show_default=False)
]

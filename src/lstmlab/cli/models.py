"""Saved models: `predict`, `generate` and `inspect`."""

from pathlib import Path
from typing import Annotated

import typer

from lstmlab.cli.console import show
from lstmlab.cli.group import app
from lstmlab.cli.options import AsJson, ModelDir
from lstmlab.settings.config import MAX_STEPS, MAX_TOP, check_count


def load_model(model_dir: Path):
    from lstmlab.engine import runtime
    from lstmlab.model.persist import load

    model = load(model_dir)
    runtime.start()
    return model


@app.command("predict")
def predict_next(
    model_dir: ModelDir,
    text: Annotated[str, typer.Argument(help="Symbols from the model's alphabet.", show_default=False)],
    top: Annotated[int, typer.Option(help="How many of the most probable symbols to list, 1..1000.")] = 3,
    as_json: AsJson = False,
) -> None:
    """The symbol after TEXT, with its probability and the most probable alternatives.

    A fixed-window model reads TEXT as one window, so TEXT has the window's length (a
    variable-length model takes 1 up to it); a stateful model reads TEXT letter by letter
    from a reset state.

    Examples:

        lstmlab predict models/abc ABC

        lstmlab predict models/abc XYZ --top 5 --json
    """
    check_count("--top", top, MAX_TOP)  # before the model is read
    show(load_model(model_dir).predict(text, top), as_json)


@app.command("generate")
def generate_sequence(
    model_dir: ModelDir,
    start: Annotated[str, typer.Option(help="The text to start from.", show_default=False)],
    steps: Annotated[int, typer.Option(help="How many symbols to generate, 1..10,000.", show_default=False)],
    warmup: Annotated[str, typer.Option(help="Symbols fed first and not printed (they set the context).")] = "",
    as_json: AsJson = False,
) -> None:
    """Feed the model its own predictions and print the sequence: START and what follows.

    A window model slides its window over its own output; a stateful model carries its
    state from symbol to symbol.

    Examples:

        lstmlab generate models/abc --start ABC --steps 23

        lstmlab generate models/stateful --start K --steps 5 --warmup ABCDEFGHIJ
    """
    check_count("--steps", steps, MAX_STEPS)  # before the model is read
    show(load_model(model_dir).generate(start, steps, warmup=warmup), as_json)


@app.command("inspect")
def inspect_gates(
    model_dir: ModelDir,
    text: Annotated[str, typer.Argument(help="Symbols from the model's alphabet.", show_default=False)],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Also draw the gates as a heatmap PNG here.", show_default=False)
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The gates (input, forget, candidate, output), cell state and hidden state at each step.

    Prints each step's mean gate openness over the units and the units whose cell state
    changed most; --out draws every unit at every step (rows: units, columns: steps).
    A stateful model reads TEXT letter by letter; a features model sees one step.

    Examples:

        lstmlab inspect models/abc ABC

        lstmlab inspect models/abc ABC --out gates.png

        lstmlab inspect models/stateful ABCDEFGH --json
    """
    from lstmlab.render.heatmap import check_out_path, save_heatmap

    if out_file is not None:
        check_out_path(out_file)
    inspection = load_model(model_dir).inspect(text)
    if out_file is not None:
        inspection = inspection.drawn(save_heatmap(inspection, out_file))
    show(inspection, as_json)

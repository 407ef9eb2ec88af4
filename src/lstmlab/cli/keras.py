"""`lstmlab import-keras` and `lstmlab export-keras`: a Keras file in (nothing in it run), a Keras file out."""

from pathlib import Path
from typing import Annotated

import typer

from lstmlab.cli.console import out
from lstmlab.cli.group import app
from lstmlab.cli.options import ModelDir
from lstmlab.i18n import _
from lstmlab.settings.experiments import TUTORIAL


@app.command("import-keras")
def import_keras_model(
    keras_file: Annotated[
        Path, typer.Argument(help="A Keras 3 .keras archive or a Keras 2 .h5 model.", show_default=False)
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="The lstmlab model folder to write.", show_default=False)],
    alphabet: Annotated[str, typer.Option(help="The symbols the model predicts, in its output order.")] = TUTORIAL[
        "alphabet"
    ],
    experiment: Annotated[
        str | None,
        typer.Option(help="The tutorial experiment it is (default: read from its input shape).", show_default=False),
    ] = None,
) -> None:
    """Read a model trained in Keras into an lstmlab model folder (nothing in the file is run).

    Reads a Sequential of [InputLayer] [Masking] LSTM|GRU|SimpleRNN Dense(softmax); the
    window, framing and encoding come from its input shape, the alphabet from --alphabet.
    The folder then opens in predict, generate, inspect and serve.

    Examples:

        lstmlab import-keras model.keras --out models/keras

        lstmlab import-keras tutorial.h5 --out models/runs --experiment variable-length
    """
    from lstmlab.model.keras_read import describe, import_keras
    from lstmlab.model.persist import check_target, save

    check_target(out_dir)
    model = import_keras(keras_file, alphabet=alphabet, experiment=experiment)
    save(out_dir, model)
    out.print(_("{model}: saved to {folder}").format(model=describe(model), folder=out_dir), markup=False)


@app.command("export-keras")
def export_keras_model(
    model_dir: ModelDir,
    out_file: Annotated[Path, typer.Option("--out", help="The .keras file to write (a new one).", show_default=False)],
) -> None:
    """Write an lstmlab model as a Keras 3 archive that keras.models.load_model opens.

    Keras then predicts what lstmlab predicts from the same input (the letter codes /
    alphabet size, or one-hot vectors, as lstmlab encodes them).

    Examples:

        lstmlab export-keras models/abc --out abc.keras
    """
    from lstmlab.model.keras_read import describe
    from lstmlab.model.keras_write import check_out, export_keras
    from lstmlab.model.persist import load

    check_out(out_file)
    model = load(model_dir)
    export_keras(model, out_file)
    out.print(_("{model}: written to {path}").format(model=describe(model), path=out_file), markup=False)

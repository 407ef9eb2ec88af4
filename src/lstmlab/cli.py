"""The `lstmlab` command line: parses options and calls the library; nothing else."""

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lstmlab import __version__
from lstmlab.data import make_dataset
from lstmlab.errors import ConfigError, LstmlabError
from lstmlab.experiments import EXPERIMENTS, get_experiment, load_config
from lstmlab.generate import seeded_generations
from lstmlab.report import (
    accuracy_line,
    generation_lines,
    generations_document,
    pair_lines,
    prediction_lines,
    result_document,
    settings_line,
    timing_line,
)
from lstmlab.runner import run as run_experiment
from lstmlab.runtime import enable_compile_cache

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class OneLineErrors(typer.core.TyperGroup):
    """User mistakes, ours or click's, become one line on stderr and exit status 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as e:  # click's usage errors: unknown option, not a number, ...
            err.print(f"Error: {' '.join(e.format_message().split())}", markup=False)
            sys.exit(2 if e.exit_code in (1, 2) else e.exit_code)
        except LstmlabError as e:
            err.print(f"Error: {e}", markup=False)
            sys.exit(2)
        except typer.Abort:
            err.print("Aborted.")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    invoke_without_command=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Learn and study how an LSTM learns sequences: the Keras alphabet tutorial, compiled, "
    "over many seeds, with its gates in view.",
)


def _version(value: bool) -> None:
    if value:
        out.print(f"lstmlab {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Learn and study how an LSTM learns sequences.

    Examples:

        lstmlab list

        lstmlab run timesteps
    """
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help(), markup=False)


@app.command("list")
def list_experiments() -> None:
    """The tutorial's experiments, their settings, and the accuracy the tutorial reported.

    Examples:

        lstmlab list
    """
    table = Table(title="Experiments (lstmlab run NAME)")
    for column in ("name", "what it learns", "settings", "tutorial reported"):
        table.add_column(column)
    for e in EXPERIMENTS.values():
        note = f"{e.tutorial_accuracy:.2f}%" + (f"\n{e.tutorial_note}" if e.tutorial_note else "")
        table.add_row(e.name, e.summary, settings_line(e.config), note)
    out.print(table)


def _batch_size(text: str) -> int | None:
    if text == "all":
        return None
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"batch size {text!r} is not allowed; give a positive whole number or 'all'") from None


def _overrides(**options) -> dict:
    """The options the user gave (not None), by setting name."""
    return {name: value for name, value in options.items() if value is not None}


@app.command()
def run(
    experiment: Annotated[str, typer.Argument(help=f"One of: {', '.join(EXPERIMENTS)}.", show_default=False)],
    epochs: Annotated[int | None, typer.Option(help="Training epochs (default: the tutorial's).")] = None,
    batch_size: Annotated[
        str | None, typer.Option(help="Samples per update, or 'all' (default: the tutorial's).")
    ] = None,
    units: Annotated[int | None, typer.Option(help="LSTM units (default: the tutorial's).")] = None,
    seq_length: Annotated[int | None, typer.Option(help="Window length (longest run for variable-length).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed for weights and shuffling (default: 7).")] = None,
    alphabet: Annotated[str | None, typer.Option(help="The symbols, in order (default: A-Z).")] = None,
    shuffle: Annotated[
        bool | None, typer.Option("--shuffle/--no-shuffle", help="Reshuffle samples every epoch.")
    ] = None,
    padding: Annotated[str | None, typer.Option(help="variable-length: 'zero' (the tutorial's) or 'mask'.")] = None,
    holdout: Annotated[float | None, typer.Option(help="Fraction of distinct patterns kept out of training.")] = None,
    activation: Annotated[
        str | None, typer.Option(help="Recurrent activation: 'sigmoid' or Keras 2's 'hard_sigmoid'.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """Train one experiment at the tutorial's settings (or yours) and show what it learned.

    Prints the pairs, a progress bar, the accuracy on the training patterns and the
    prediction table, with wrong predictions marked.

    Examples:

        lstmlab run timesteps

        lstmlab run naive --epochs 1000 --seed 3

        lstmlab run features --alphabet 0123456789 --json
    """
    config = load_config(
        get_experiment(experiment).name,
        **_overrides(
            epochs=epochs,
            batch_size=_batch_size(batch_size) if batch_size is not None else None,
            units=units,
            seq_length=seq_length,
            seed=seed,
            alphabet=alphabet,
            shuffle=shuffle,
            padding=padding,
            holdout=holdout,
            recurrent_activation=activation,
        ),
    )
    enable_compile_cache()
    if as_json:
        result = run_experiment(config)
        extra = {}
        if config.stateful:
            extra["generations"] = generations_document(seeded_generations(result.params(), config))
        out.print(json.dumps(result_document(result, extra), ensure_ascii=False), markup=False)
        return

    out.print(f"[bold]{config.experiment}[/bold]: {get_experiment(config.experiment).summary}")
    out.print(settings_line(config), markup=False)
    dataset = make_dataset(config)
    for line in pair_lines(dataset.train, config.alphabet):
        out.print(line, markup=False)
    with _progress(config.epochs) as (progress, task):

        def advance(done, metrics):
            progress.update(
                task,
                completed=done,
                loss=float(metrics.loss[0, -1]),
                accuracy=float(metrics.accuracy[0, -1]),
            )

        result = run_experiment(config, on_progress=advance, dataset=dataset)
    out.print(accuracy_line(result.accuracy), markup=False)
    if result.holdout_accuracies is not None:
        out.print(accuracy_line(float(result.holdout_accuracies[0]), "Held-out Accuracy"), markup=False)
    for line in prediction_lines(result):
        out.print(line, markup=False)
    if config.stateful:
        for line in generation_lines(seeded_generations(result.params(), config)):
            out.print(line, markup=False)
    out.print(timing_line(result), markup=False)


class _progress:
    """A Rich progress bar on stderr, labelled with the latest epoch's loss and accuracy."""

    def __init__(self, epochs: int, description: str = "training"):
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("epochs  loss {task.fields[loss]:.4f}  accuracy {task.fields[accuracy]:.4f}"),
            TimeElapsedColumn(),
            console=err,
        )
        self.epochs, self.description = epochs, description

    def __enter__(self):
        self.progress.start()
        task = self.progress.add_task(self.description, total=self.epochs, loss=float("nan"), accuracy=0.0)
        return self.progress, task

    def __exit__(self, *exc):
        self.progress.stop()

"""The `lstmlab` command line: parses options and calls the library; nothing else."""

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lstmlab import __version__
from lstmlab.data import make_dataset, read_sequence, sequence_settings
from lstmlab.errors import ConfigError, LstmlabError
from lstmlab.experiments import EXPERIMENTS, get_experiment, load_config
from lstmlab.generation import seeded_generations
from lstmlab.heatmap import check_out_path, figure_pixels, save_heatmap
from lstmlab.inspection import shown, summarise
from lstmlab.model import models_of
from lstmlab.persist import check_target, load, save
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
from lstmlab.reproduction import plan, reproduce, summary_rows, table_lines
from lstmlab.runner import run as run_experiment
from lstmlab.runtime import enable_compile_cache, use_cpu_cores
from lstmlab.seeds import parse_seeds
from lstmlab.stats import distribution, distribution_lines

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
    use_cpu_cores()  # before JAX starts: seeds then train on every core
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
    seeds: Annotated[
        str | None,
        typer.Option(
            help="Train many seeds at once and show the accuracy distribution: a count N (seeds 1..N), "
            "a list 1,5,9 or a range 3-10.",
            show_default=False,
        ),
    ] = None,
    alphabet: Annotated[str | None, typer.Option(help="The symbols, in order (default: A-Z).")] = None,
    shuffle: Annotated[
        bool | None, typer.Option("--shuffle/--no-shuffle", help="Reshuffle samples every epoch.")
    ] = None,
    padding: Annotated[str | None, typer.Option(help="variable-length: 'zero' (the tutorial's) or 'mask'.")] = None,
    holdout: Annotated[
        float | None,
        typer.Option(help="Fraction of distinct patterns kept out of training (a text: its last windows; 0.1)."),
    ] = None,
    activation: Annotated[
        str | None, typer.Option(help="Recurrent activation: 'sigmoid' or Keras 2's 'hard_sigmoid'.")
    ] = None,
    sequence_file: Annotated[
        Path | None,
        typer.Option(help="Learn the windows of this UTF-8 text; its distinct characters are the alphabet."),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Input: 'scalar' (code / alphabet size, the tutorial's) or 'onehot' (default for a text)."),
    ] = None,
    save_dir: Annotated[
        Path | None,
        typer.Option("--save", help="Save the trained model to this folder (config.json + model.safetensors)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """Train one experiment at the tutorial's settings (or yours) and show what it learned.

    Prints the pairs, a progress bar, the accuracy on the training patterns and the
    prediction table, with wrong predictions marked.

    Examples:

        lstmlab run timesteps

        lstmlab run naive --epochs 1000 --seed 3

        lstmlab run timesteps --seeds 100

        lstmlab run features --alphabet 0123456789 --json

        lstmlab run timesteps --save models/abc

        lstmlab run timesteps --sequence-file poem.txt --holdout 0.2 --save models/poem
    """
    # A text brings its own alphabet, encoding and holdout; the user's options override them.
    text_settings = sequence_settings(read_sequence(sequence_file)) if sequence_file is not None else {}
    config = load_config(
        get_experiment(experiment).name,
        **text_settings
        | _overrides(
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
            encoding=encoding,
        ),
    )
    if seeds is not None and seed is not None:
        raise ConfigError("give --seed (one model) or --seeds (many), not both")
    seed_list = parse_seeds(seeds) if seeds is not None else None
    if seed_list is not None and len(seed_list) == 1:  # one seed named: an ordinary run of that seed
        config, seed_list = config.replace(seed=seed_list[0]), None
    many = seed_list is not None
    if save_dir is not None:
        check_target(save_dir)  # before training: a bad folder should not cost a training run
    enable_compile_cache()
    if as_json:
        result = run_experiment(config, seeds=seed_list)
        extra = {"statistics": distribution(result).to_dict()} if many else {}
        if save_dir is not None:
            extra["saved"] = str(save(save_dir, models_of(result)))
        if config.stateful and not many:
            extra["generations"] = generations_document(seeded_generations(result.params(), config))
        out.print(json.dumps(result_document(result, extra), ensure_ascii=False), markup=False)
        return

    out.print(f"[bold]{config.experiment}[/bold]: {get_experiment(config.experiment).summary}")
    out.print(settings_line(config), markup=False)
    dataset = make_dataset(config)
    for line in pair_lines(dataset.train, config.alphabet):
        out.print(line, markup=False)
    description = f"training {len(seed_list)} seeds (median)" if many else "training"
    with _progress(config.epochs, description) as (progress, task):

        def advance(done, metrics):
            progress.update(
                task,
                completed=done,
                loss=float(np.median(metrics.loss[:, -1])),
                accuracy=float(np.median(metrics.accuracy[:, -1])),
            )

        result = run_experiment(config, seeds=seed_list, on_progress=advance, dataset=dataset)
    if many:
        for line in distribution_lines(distribution(result)):
            out.print(line, markup=False)
        out.print(timing_line(result), markup=False)
        _save(save_dir, result)
        return
    out.print(accuracy_line(result.accuracy), markup=False)
    if result.holdout_accuracies is not None:
        out.print(accuracy_line(float(result.holdout_accuracies[0]), "Held-out Accuracy"), markup=False)
    for line in prediction_lines(result):
        out.print(line, markup=False)
    if config.stateful:
        for line in generation_lines(seeded_generations(result.params(), config)):
            out.print(line, markup=False)
    out.print(timing_line(result), markup=False)
    _save(save_dir, result)


def _save(save_dir: Path | None, result) -> None:
    if save_dir is not None:
        models = models_of(result)
        save(save_dir, models)
        where = f"{save_dir}" if len(models) == 1 else f"{save_dir}/seed-<k>/ (one model per seed)"
        out.print(f"Saved to {where}", markup=False)


@contextmanager
def _progress(epochs: int, description: str = "training"):
    """A Rich progress bar on stderr, labelled with the latest epoch's loss and accuracy."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("epochs  loss {task.fields[loss]:.4f}  accuracy {task.fields[accuracy]:.4f}"),
        TimeElapsedColumn(),
        console=err,
    )
    with progress:
        yield progress, progress.add_task(description, total=epochs, loss=float("nan"), accuracy=0.0)


# --- reproduce: every experiment over many seeds, and a report -------------------------------


@app.command("reproduce")
def reproduce_tutorial(
    seeds: Annotated[
        str, typer.Option(help="Seeds per experiment: a count N (seeds 1..N), a list 1,5,9 or a range 3-10.")
    ] = "100",
    out_dir: Annotated[
        Path, typer.Option("--out", help="Report folder: made, or a previous report there replaced whole.")
    ] = Path("report"),
    experiments: Annotated[
        str | None, typer.Option(help="Some experiments, comma-separated (default: all).", show_default=False)
    ] = None,
    epochs: Annotated[
        int | None, typer.Option(help="Train every experiment this many epochs (a quick look).", show_default=False)
    ] = None,
    epochs_scale: Annotated[
        float | None,
        typer.Option(help="Multiply each experiment's tutorial epochs by this, e.g. 0.1.", show_default=False),
    ] = None,
) -> None:
    """Run every experiment at the tutorial's settings over many seeds and write a report.

    Writes DIR/report.md, DIR/report.html (self-contained, pictures embedded),
    DIR/results.json and DIR/figures/*.png: per experiment the accuracy distribution
    with the tutorial's figure marked, and the training curves across seeds. The folder
    appears whole when everything is written; an error or Ctrl-C leaves none.

    Examples:

        lstmlab reproduce

        lstmlab reproduce --seeds 20 --out report/

        lstmlab reproduce --seeds 5 --epochs-scale 0.1 --experiments naive,timesteps --out /tmp/quick
    """
    seed_list = parse_seeds(seeds)
    configs = plan(experiments, epochs, epochs_scale, out_dir)  # every check before any training
    enable_compile_cache()
    progress = Progress(
        TextColumn("{task.description:>16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        console=err,
    )
    with progress:
        overall = progress.add_task("experiments", total=len(configs), unit="done")
        current = progress.add_task("", total=1, unit="epochs", visible=False)

        def start(index, config):
            progress.update(overall, completed=index)
            progress.reset(current, total=config.epochs, description=config.experiment, visible=True)

        def advance(done, metrics):
            progress.update(current, completed=done)

        outcomes = reproduce(configs, seed_list, out_dir, on_start=start, on_progress=advance)
        progress.update(overall, completed=len(configs))
    out.print(f"The tutorial over {len(seed_list)} seeds:", markup=False)
    for line in table_lines(summary_rows(outcomes)):
        out.print(line, markup=False)
    out.print(f"Report: {out_dir / 'report.html'} (also report.md, results.json, figures/)", markup=False)


# --- saved models: predict, generate, inspect ---------------------------------------------

ModelDir = Annotated[
    Path, typer.Argument(help="A model folder written by `lstmlab run … --save DIR`.", show_default=False)
]


@app.command("predict")
def predict_next(
    model_dir: ModelDir,
    text: Annotated[str, typer.Argument(help="Symbols from the model's alphabet.", show_default=False)],
    top: Annotated[int, typer.Option(help="How many of the most probable symbols to list.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """The symbol after TEXT, with its probability and the most probable alternatives.

    A fixed-window model reads TEXT as one window, so TEXT has the window's length (a
    variable-length model takes 1 up to it); a stateful model reads TEXT letter by letter
    from a reset state.

    Examples:

        lstmlab predict models/abc ABC

        lstmlab predict models/abc XYZ --top 5 --json
    """
    model = load(model_dir)
    enable_compile_cache()
    prediction = model.predict(text, top)
    if as_json:
        out.print(json.dumps(prediction.to_dict(), ensure_ascii=False), markup=False)
        return
    out.print(f"{text} -> {shown(prediction.predicted)}  (p = {prediction.probability:.4f})", markup=False)
    for rank, (symbol, probability) in enumerate(prediction.top, start=1):
        out.print(f"  {rank}. {shown(symbol)}  {probability:.4f}", markup=False)


@app.command("generate")
def generate_sequence(
    model_dir: ModelDir,
    start: Annotated[str, typer.Option(help="The text to start from.", show_default=False)],
    steps: Annotated[int, typer.Option(help="How many symbols to generate.", show_default=False)],
    warmup: Annotated[str, typer.Option(help="Symbols fed first and not printed (they set the context).")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """Feed the model its own predictions and print the sequence: START and what follows.

    A window model slides its window over its own output; a stateful model carries its
    state from symbol to symbol.

    Examples:

        lstmlab generate models/abc --start ABC --steps 23

        lstmlab generate models/stateful --start K --steps 5 --warmup ABCDEFGHIJ
    """
    model = load(model_dir)
    enable_compile_cache()
    generated = model.generate(start, steps, warmup=warmup)
    sequence = start + "".join(step.predicted for step in generated)
    if as_json:
        document = {
            "warmup": warmup,
            "start": start,
            "sequence": sequence,
            "steps": [
                {"context": s.context, "predicted": s.predicted, "probability": round(s.probability, 6)}
                for s in generated
            ],
        }
        out.print(json.dumps(document, ensure_ascii=False), markup=False)
        return
    out.print(sequence, markup=False)


@app.command("inspect")
def inspect_gates(
    model_dir: ModelDir,
    text: Annotated[str, typer.Argument(help="Symbols from the model's alphabet.", show_default=False)],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Also draw the gates as a heatmap PNG here.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every value as one JSON document.")] = False,
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
    if out_file is not None:
        check_out_path(out_file)
    model = load(model_dir)
    enable_compile_cache()
    inspection = model.inspect(text)
    if out_file is not None:
        save_heatmap(inspection, out_file)
    if as_json:
        document = inspection.to_dict()
        if out_file is not None:
            document["heatmap"] = str(out_file)
        out.print(json.dumps(document, ensure_ascii=False), markup=False)
        return
    out.print(
        f"{text} -> {shown(inspection.predicted)}  (p = {inspection.probability:.4f}); "
        f"{inspection.steps} step{'s' if inspection.steps != 1 else ''}, {inspection.units} units",
        markup=False,
    )
    table = Table(box=box.SIMPLE_HEAD, caption="i, f, o: mean over units, 0 shut .. 1 open; g: mean, -1 .. 1")
    for column in ("t", "input", "i", "f", "g", "o", "largest Δc (unit Δc)"):
        table.add_column(column, justify="right" if column in ("t", "i", "f", "g", "o") else "left", no_wrap=True)
    for t, row in enumerate(summarise(inspection)):
        changes = " ".join(f"u{unit} {delta:+.2f}" for unit, delta in row.changes)
        table.add_row(str(t + 1), shown(row.label), *(f"{v:.3f}" for v in (row.i, row.f, row.g, row.o)), changes)
    out.print(table)
    if out_file is not None:
        width, height = figure_pixels(inspection.steps, inspection.units)
        out.print(f"Heatmap: {out_file} ({width}×{height} px)", markup=False)

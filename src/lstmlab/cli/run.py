"""`lstmlab list` and `lstmlab run`: one experiment or paper task, one seed or many, or a sweep."""

from pathlib import Path
from typing import Annotated

import typer

from lstmlab.cli.console import err, show
from lstmlab.cli.group import app
from lstmlab.cli.options import (
    AddressOption,
    AsJson,
    CellOption,
    EngineOption,
    ForgetBiasOption,
    GroupOption,
    ResumeOption,
    tutorial_help,
)
from lstmlab.cli.progress import progress, progress_bar, task_progress
from lstmlab.errors import ConfigError
from lstmlab.i18n import N_, _, later, ngettext
from lstmlab.settings.config import check_count
from lstmlab.settings.experiments import EXPERIMENTS
from lstmlab.settings.paper import PAPER_TASKS
from lstmlab.settings.seeds import MAX_SEEDS


@app.command("list")
def list_experiments(as_json: AsJson = False) -> None:
    """The tutorial's experiments, their settings, and the accuracy the tutorial reported.

    Examples:

        lstmlab list

        lstmlab list --json
    """
    from lstmlab.results.catalogue import experiment_list

    show(experiment_list(), as_json)


def run_settings(experiment: str, seed, seeds, sequence_file, options: dict):
    """The config and seeds a `run` asks for; every mistake found here, before JAX loads."""
    from lstmlab.settings.request import read_sequence, run_request

    text = read_sequence(sequence_file) if sequence_file is not None else None
    given = {name: value for name, value in options.items() if value is not None}
    return run_request(experiment, given, text=text, seed=seed, seeds=seeds)


@app.command()
def run(
    experiment: Annotated[
        str,
        typer.Argument(
            help=later(
                "One of the tutorial's: {experiments}; or of the 1997 paper's tasks: {tasks}.",
                experiments=", ".join(EXPERIMENTS),
                tasks=", ".join(PAPER_TASKS),
            ),
            show_default=False,
        ),
    ],
    epochs: Annotated[int | None, typer.Option(help="Training epochs, 1..100,000 (default: the tutorial's).")] = None,
    batch_size: Annotated[
        str | None, typer.Option(help="Samples per update, 1..1,000,000, or 'all' (default: the tutorial's).")
    ] = None,
    units: Annotated[int | None, typer.Option(help="LSTM units, 1..4096 (default: the tutorial's).")] = None,
    cell: CellOption = None,
    forget_bias: ForgetBiasOption = None,
    optimizer: Annotated[
        str | None, typer.Option(help="'adam' (Keras's default) or 'sgd' (plain gradient descent).")
    ] = None,
    learning_rate: Annotated[
        float | None,
        typer.Option(help=tutorial_help(N_("Learning rate, above 0 up to 100"), "learning_rate"), show_default=False),
    ] = None,
    seq_length: Annotated[
        int | None, typer.Option(help="Window length (longest run for variable-length), 1..1000.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help=tutorial_help(N_("Random seed for weights and shuffling"), "seed"))
    ] = None,
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
        str | None,
        typer.Option(
            help=tutorial_help(
                N_("Recurrent activation: 'sigmoid' or Keras 1/2's 'hard_sigmoid'"), "recurrent_activation"
            )
        ),
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
    lag: Annotated[
        int | None, typer.Option(help="A paper task's time lag: p for long-lag, T for adding and temporal-order.")
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option(help="A paper task's most training sequences per seed (default: ten times the paper's mean)."),
    ] = None,
    check_every: Annotated[
        int | None, typer.Option(help="A paper task: training sequences between checks on held-out sequences.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Run the seeds as a sweep kept in this folder: each finished group of seeds at once, "
            "then results.json and report.txt.",
            show_default=False,
        ),
    ] = None,
    group: GroupOption = None,
    engine: EngineOption = "local",
    address: AddressOption = None,
    resume: ResumeOption = False,
    as_json: AsJson = False,
) -> None:
    """Train one experiment at the tutorial's settings (or yours) and show what it learned.

    Prints the pairs, a progress bar, the accuracy on the training patterns and the
    prediction table, with wrong predictions marked.

    With --out DIR the seeds run as a sweep: in groups of --group seeds, each group a job
    of --engine, kept in DIR/jobs/ the moment it finishes (--resume runs only the groups
    missing); then DIR/results.json and DIR/report.txt hold what the command shows.

    Examples:

        lstmlab run timesteps

        lstmlab run naive --epochs 1000 --seed 3

        lstmlab run timesteps --seeds 100

        lstmlab run timesteps --cell gru --seeds 20

        lstmlab run features --alphabet 0123456789 --json

        lstmlab run timesteps --save models/abc

        lstmlab run timesteps --sequence-file poem.txt --holdout 0.2 --save models/poem

        lstmlab run adding --forget-bias 5 --seeds 10 --budget 150000

        lstmlab run adding --lag 100 --seeds 100 --group 10 --engine ray --address auto --out adding-100
    """
    sweep_options = dict(out=out_dir, group=group, engine=engine, address=address, resume=resume)
    common = dict(cell=cell, forget_bias=forget_bias, optimizer=optimizer, learning_rate=learning_rate, units=units)
    common |= dict(recurrent_activation=activation)
    if experiment not in EXPERIMENTS and experiment not in PAPER_TASKS:
        raise ConfigError(
            _(
                "unknown experiment {name!r}; choose one of: {experiments}; or one of the 1997 paper's tasks: {tasks}"
            ).format(name=experiment, experiments=", ".join(EXPERIMENTS), tasks=", ".join(PAPER_TASKS))
        )
    if experiment in PAPER_TASKS:
        tutorial_only = dict(epochs=epochs, seq_length=seq_length, alphabet=alphabet, shuffle=shuffle, padding=padding)
        tutorial_only |= dict(holdout=holdout, sequence_file=sequence_file, encoding=encoding, save=save_dir)
        task_options = dict(lag=lag, budget=budget, check_every=check_every, batch_size=batch_size)
        return run_paper_task(experiment, seed, seeds, common | task_options, tutorial_only, sweep_options, as_json)
    for name, value in dict(lag=lag, budget=budget, check_every=check_every).items():
        if value is not None:
            raise ConfigError(
                _("{option} applies to the 1997 paper's tasks ({tasks}), not to the tutorial's {name!r}").format(
                    option=f"--{name.replace('_', '-')}", tasks=", ".join(PAPER_TASKS), name=experiment
                )
            )
    options = dict(epochs=epochs, batch_size=batch_size, units=units, seq_length=seq_length, alphabet=alphabet)
    options |= dict(shuffle=shuffle, padding=padding, holdout=holdout, recurrent_activation=activation)
    options |= dict(cell=cell, forget_bias=forget_bias, optimizer=optimizer, learning_rate=learning_rate)
    config, seed_list = run_settings(experiment, seed, seeds, sequence_file, options | dict(encoding=encoding))
    if out_dir is not None and save_dir is not None:
        raise ConfigError(
            _(
                "--save keeps the models of a run in this process; a sweep (--out) keeps each seed's results, "
                "not its models: leave out one of them"
            )
        )
    if check_sweep(**sweep_options):
        return run_as_sweep(config, seed_list or [config.seed], sweep_options, as_json)
    from lstmlab.engine import runtime
    from lstmlab.model.persist import check_target
    from lstmlab.results.run import run_experiment

    if save_dir is not None:
        check_target(save_dir)  # before training: a bad folder should not cost a training run
    runtime.start()
    many = _("{experiment}: training {n} seeds (median)").format(experiment=config.experiment, n=len(seed_list or ()))
    label = many if seed_list else config.experiment
    with progress(config.epochs, label) as on_progress:
        document = run_experiment(config, seed_list, save_to=save_dir, on_progress=on_progress)
    show(document, as_json)


def run_paper_task(name: str, seed, seeds, options: dict, tutorial_only: dict, sweep_options: dict, as_json) -> None:
    """`lstmlab run TASK`: train until solved over the seeds, and show the outcome."""

    for option, value in tutorial_only.items():
        if value is not None:
            raise ConfigError(
                _(
                    "--{option} applies to the tutorial's experiments, not to the task {name!r} "
                    "(it trains until solved or --budget runs out)"
                ).format(option=option.replace("_", "-"), name=name)
            )
    from lstmlab.settings.request import task_request

    given = {name: value for name, value in options.items() if value is not None}
    config, seed_list = task_request(name, given, seed=seed, seeds=seeds)
    if check_sweep(**sweep_options):
        return run_as_sweep(config, seed_list, sweep_options, as_json)
    from lstmlab.engine import runtime
    from lstmlab.results.task import run_task

    runtime.start()
    with task_progress(config, len(seed_list)) as on_progress:
        document = run_task(config, seed_list, on_progress)
    show(document, as_json)


def check_sweep(out, group, engine, address, resume) -> bool:
    """Whether `run` is a sweep (--out given), every sweep option checked before any work."""
    if group is not None:
        check_count("--group", group, MAX_SEEDS)
    if out is None:
        for option, given in (("--group", group is not None), ("--engine", engine != "local"), ("--resume", resume)):
            if given:
                raise ConfigError(
                    _("{option} is for a sweep, whose finished seeds are kept in a folder: add --out DIR").format(
                        option=option
                    )
                )
    from lstmlab.sweeps.engines import check_engine
    from lstmlab.sweeps.sweep import check_folder

    check_engine(engine, address)
    if out is None:
        return False
    check_folder(out, resume)
    return True


def run_as_sweep(config, seed_list, sweep_options: dict, as_json: bool) -> None:
    """`run ... --out DIR`: the seeds in groups, each a job of the chosen engine, kept in DIR."""
    from lstmlab.settings.config import TaskConfig
    from lstmlab.sweeps.seed_jobs import plan, run_sweep

    task = isinstance(config, TaskConfig)
    name = config.task if task else config.experiment
    jobs = plan(config, seed_list, sweep_options["group"])
    sizes = [len(job.seeds) for job in jobs]
    bar = progress_bar("{task.description}", "{task.fields[unit]}")
    with bar:
        label = ngettext("{task}: {n} seed", "{task}: {n} seeds", len(seed_list)).format(task=name, n=len(seed_list))
        overall = bar.add_task(label, total=len(seed_list), unit=_("seeds"))
        # the group this process trains (the local engine): its epochs, or a task's sequences
        current = bar.add_task("", total=1, unit=_("sequences") if task else _("epochs"), visible=False)

        def planned(missing: list[int]) -> None:
            done, total = len(sizes) - len(missing), len(sizes)
            if sweep_options["resume"]:
                again = _("{done} of {total} jobs already done, running {rest}.")
                err.print(again.format(done=done, total=total, rest=total - done), markup=False)
            bar.update(overall, completed=len(seed_list) - sum(sizes[i] for i in missing))

        def started(index: int) -> None:
            steps = config.budget if task else config.epochs
            bar.reset(current, total=steps, description=f"  {jobs[index].id}", visible=True)

        def finished(index: int) -> None:
            bar.advance(overall, sizes[index])

        options = {k: v for k, v in sweep_options.items() if k != "out"}
        document = run_sweep(
            config, seed_list, sweep_options["out"], **options, on_plan=planned, on_done=finished,
            on_start=started, on_progress=lambda done, *_: bar.update(current, completed=done),
        )  # fmt: skip
    show(document, as_json)

"""The `lstmlab` command line: parses options, calls the library, renders the document it
returns as text or JSON; nothing else.

Starting it loads Typer and the settings modules only; JAX loads in the commands that
compute, matplotlib in those that draw (hence the imports inside the command functions).
"""

import dataclasses
import json
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lstmlab import __version__
from lstmlab.cli.text import in_our_words, localize
from lstmlab.errors import ConfigError, LstmlabError
from lstmlab.i18n import N_, _, later, ngettext
from lstmlab.settings.config import MAX_STEPS, MAX_TOP, check_count, load_config
from lstmlab.settings.experiments import EXPERIMENTS, TUTORIAL, get_experiment
from lstmlab.settings.paper import PAPER_TASKS
from lstmlab.settings.seeds import MAX_SEEDS, parse_seeds


class _Interrupted(Exception):
    """Ctrl-C, carried past Typer (which would turn it into a silent exit status)."""


class _ReaderGone(Exception):
    """stdout's reader went away (`lstmlab run … | head`), carried past Typer likewise."""


class _Console(Console):
    def on_broken_pipe(self) -> None:  # Rich's own exits with status 1
        raise _ReaderGone()


out = _Console(highlight=False, soft_wrap=True)
err = _Console(stderr=True, highlight=False, soft_wrap=True)


class OneLineErrors(typer.core.TyperGroup):
    """User mistakes, ours or click's, become one line on stderr and exit status 2; a reader
    that goes away (`| head`) ends the command quietly; Ctrl-C is one line and status 130."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None
        except BrokenPipeError:
            raise _ReaderGone() from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        # SIGTERM and SIGHUP as Ctrl-C: the cleanups that remove half-written folders run for all.
        previous = _on_signals(_terminated)
        previous_hook, sys.unraisablehook = sys.unraisablehook, _interrupt_again
        _usable_streams()
        localize(self)  # the help, in the language of this call
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as e:  # click's usage errors: unknown option, not a number, ...
            line = in_our_words(" ".join(e.format_message().split()))
            err.print(_("Error: {message}").format(message=line), markup=False)
            sys.exit(2 if e.exit_code in (1, 2) else e.exit_code)
        except LstmlabError as e:
            err.print(_("Error: {message}").format(message=e), markup=False)
            sys.exit(2)
        except (_Interrupted, KeyboardInterrupt, typer.Abort):
            err.print(_("Interrupted."), markup=False)
            sys.exit(128 + _signal_received[-1] if _signal_received else 130)
        except _ReaderGone:
            _quiet_stdout()
            sys.exit(0)
        except SystemExit as e:  # Rich's own broken-pipe exit (Typer's help console): status 1
            if isinstance(e.__context__, BrokenPipeError):
                _quiet_stdout()
                sys.exit(0)
            raise
        except OSError as e:  # a fault at a path the user named: a full disk, a vanished folder
            reason = e.strerror or e
            line = _("Error: cannot use '{path}': {reason}") if e.filename else _("Error: cannot use: {reason}")
            err.print(line.format(path=e.filename, reason=reason), markup=False)
            sys.exit(2)
        finally:
            _on_signals(previous)
            sys.unraisablehook = previous_hook
        _finish(code if isinstance(code, int) else 0)


# The terminating signals treated as Ctrl-C; the exit status is 128 + the signal's number.
SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_signal_received: list[int] = []


def _terminated(signum, frame):
    _signal_received.append(signum)
    raise KeyboardInterrupt


def _interrupt_again(unraisable) -> None:
    """Ctrl-C or a signal that came while Python ran a callback it cannot raise from (JAX's
    garbage-collection callback, right after each compiled step: nearly always) would be
    printed as "Exception ignored" and the work would go on: raise it again in the main
    thread, at the next line of ordinary code."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        try:  # a moment later, from a timer: raising here would be ignored again
            signal.signal(signal.SIGALRM, _raise_keyboard_interrupt)
            signal.setitimer(signal.ITIMER_REAL, 0.02)
        except ValueError:  # not the main thread
            pass
    else:
        sys.__unraisablehook__(unraisable)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def _on_signals(handler):
    """Set the handler of SIGNALS; returns the previous ones (None off the main thread, where
    they cannot be set). `handler` is one function, or what an earlier call returned."""
    if handler is None:
        return None
    _signal_received.clear()
    try:
        if isinstance(handler, dict):
            return {signum: signal.signal(signum, h) for signum, h in handler.items() if h is not None}
        return {signum: signal.signal(signum, handler) for signum in SIGNALS}
    except ValueError:
        return None


def _usable_streams() -> None:
    """A closed stdout or stderr (`>&-`) becomes /dev/null, so the work still finishes and is
    saved; a terminal or pipe that cannot show a character (PYTHONIOENCODING=ascii, LANG=C)
    gets it as a backslash escape instead of a crash."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - for the whole process
        elif hasattr(stream, "reconfigure") and getattr(stream, "errors", None) == "strict":
            stream.reconfigure(errors="backslashreplace")


def _finish(code: int) -> None:
    """Exit with `code`. From a terminal or a pipe, skip the interpreter's teardown: with JAX
    loaded it takes about 0.2 s and has nothing left to do (every file lstmlab writes is
    closed and flushed by then). Under a test runner, whose stdout is not the process's,
    exit normally."""
    if "jax" in sys.modules and sys.stdout is sys.__stdout__ and sys.stderr is sys.__stderr__:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that Python's exit flush cannot fail on the closed pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test runner's)
        pass


app = typer.Typer(
    cls=OneLineErrors,
    invoke_without_command=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Learn and study how an LSTM learns sequences: the Keras alphabet tutorial, compiled, "
    "over many seeds, with its gates in view.",
)

AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document instead (see docs/json.md).")]


def show(document, as_json: bool) -> None:
    """The one place a result reaches the terminal: as JSON, or as the text of `render_text`."""
    if as_json:  # straight to stdout: Rich would scan megabytes of JSON for markup and wrapping
        sys.stdout.write(json.dumps(document.to_json(), ensure_ascii=False) + "\n")
        return
    from lstmlab.render.text import lines

    for line in lines(document):
        out.print(line, markup=False) if isinstance(line, str) else out.print(line)


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
def list_experiments(as_json: AsJson = False) -> None:
    """The tutorial's experiments, their settings, and the accuracy the tutorial reported.

    Examples:

        lstmlab list

        lstmlab list --json
    """
    from lstmlab.results.catalogue import experiment_list

    show(experiment_list(), as_json)


def _progress_bar(label: str, fields: str):
    """A Rich progress bar on stderr, shown only when stderr is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn(fields), TimeElapsedColumn()]
    return Progress(*columns, console=err, disable=not err.is_terminal)


@contextmanager
def progress(epochs: int, description: str):
    """A Rich progress bar on stderr (when it is a terminal); yields the training callback."""
    import numpy as np

    bar = _progress_bar(
        "{task.description}", _("epochs  loss {task.fields[loss]:.4f}  accuracy {task.fields[accuracy]:.4f}")
    )
    with bar:
        task = bar.add_task(description, total=epochs, loss=float("nan"), accuracy=0.0)

        def advance(done, metrics):
            loss, accuracy = (float(np.median(m[:, -1])) for m in (metrics.loss, metrics.accuracy))
            bar.update(task, completed=done, loss=loss, accuracy=accuracy)

        yield advance


# --- run ------------------------------------------------------------------------------------


def _batch_size(text: str | None) -> int | None:
    if text is None or text == "all":
        return None
    try:
        return int(text)
    except ValueError:
        message = _("batch size {value!r} is not allowed; give a positive whole number or 'all'")
        raise ConfigError(message.format(value=text)) from None


def run_settings(experiment: str, seed, seeds, sequence_file, options: dict):
    """The config and seeds a `run` asks for; every mistake found here, before JAX loads."""
    from lstmlab.engine.data import read_sequence, sequence_settings

    if seeds is not None and seed is not None:
        raise ConfigError(_("give --seed (one model) or --seeds (many), not both"))
    # A text brings its own alphabet, encoding and holdout; the user's options override them.
    text_settings = sequence_settings(read_sequence(sequence_file)) if sequence_file is not None else {}
    given = {name: value for name, value in options.items() if value is not None}
    if "batch_size" in given:
        given["batch_size"] = _batch_size(given["batch_size"])
    config = load_config(get_experiment(experiment).name, **text_settings | given | _seed(seed))
    seed_list = parse_seeds(seeds) if seeds is not None else None
    if seed_list is not None and len(seed_list) == 1:  # one seed named: an ordinary run of that seed
        return config.replace(seed=seed_list[0]), None
    return config, seed_list


def _seed(seed: int | None) -> dict:
    return {} if seed is None else {"seed": seed}


def _help(text: str, setting: str) -> str:
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
    typer.Option(help=_help(N_("The LSTM forget gate's starting bias"), "forget_bias"), show_default=False),
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
        typer.Option(help=_help(N_("Learning rate, above 0 up to 100"), "learning_rate"), show_default=False),
    ] = None,
    seq_length: Annotated[
        int | None, typer.Option(help="Window length (longest run for variable-length), 1..1000.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help=_help(N_("Random seed for weights and shuffling"), "seed"))] = None,
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
            help=_help(N_("Recurrent activation: 'sigmoid' or Keras 1/2's 'hard_sigmoid'"), "recurrent_activation")
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
    from lstmlab.settings.config import load_task_config

    for option, value in tutorial_only.items():
        if value is not None:
            raise ConfigError(
                _(
                    "--{option} applies to the tutorial's experiments, not to the task {name!r} "
                    "(it trains until solved or --budget runs out)"
                ).format(option=option.replace("_", "-"), name=name)
            )
    if seeds is not None and seed is not None:
        raise ConfigError(_("give --seed (one model) or --seeds (many), not both"))
    if options.get("batch_size") is not None:
        options["batch_size"] = _batch_size(options["batch_size"])
        if options["batch_size"] is None:
            raise ConfigError(
                _("batch size 'all' is not allowed for a task (its sequences never run out); give a number")
            )
    config = load_task_config(name, **{k: v for k, v in options.items() if v is not None} | _seed(seed))
    seed_list = parse_seeds(seeds) if seeds is not None else [config.seed]
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
                    _(
                        "{option} is for a sweep, whose finished seeds are kept in a folder: add --out DIR"
                    ).format(option=option)
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
    bar = _progress_bar("{task.description}", "{task.fields[unit]}")
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


@contextmanager
def task_progress(config, seeds: int):
    """A bar of training sequences per seed, with the seeds solved so far."""
    bar = _progress_bar("{task.description}", _("sequences  solved {task.fields[solved]}"))
    with bar:
        label = ngettext("{task}: {n} seed", "{task}: {n} seeds", seeds).format(task=config.task, n=seeds)
        task = bar.add_task(label, total=config.budget, solved=0)
        yield lambda done, solved: bar.update(task, completed=done, solved=f"{int(solved.sum())}/{len(solved)}")


# --- reproduce: every experiment over many seeds, and a report -------------------------------




@app.command("reproduce")
def reproduce_tutorial(
    seeds: Annotated[
        str, typer.Option(help="Seeds per experiment: a count N (seeds 1..N), a list 1,5,9 or a range 3-10.")
    ] = "100",
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", help="Sweep and report folder: made, or a previous report there replaced whole when done."
        ),
    ] = Path("report"),
    experiments: Annotated[
        str | None, typer.Option(help="Some experiments, comma-separated (default: all).", show_default=False)
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(help="Train every experiment this many epochs, 1..100,000 (a quick look).", show_default=False),
    ] = None,
    epochs_scale: Annotated[
        float | None,
        typer.Option(
            help="Multiply each experiment's tutorial epochs by this (above 0, up to 20), e.g. 0.1.", show_default=False
        ),
    ] = None,
    cell: CellOption = None,
    forget_bias: ForgetBiasOption = None,
    engine: EngineOption = "local",
    address: AddressOption = None,
    resume: ResumeOption = False,
    as_json: AsJson = False,
) -> None:
    """Run every experiment at the tutorial's settings over many seeds and write a report.

    Writes DIR/report.md, DIR/report.html (self-contained, pictures embedded),
    DIR/results.json and DIR/figures/*.png: per experiment the accuracy distribution
    with the tutorial's figure marked, and the training curves across seeds. Each experiment
    is a job whose outcome is kept in DIR/jobs/ as it finishes (--resume runs only those
    missing); the report appears whole when everything is written.

    Examples:

        lstmlab reproduce

        lstmlab reproduce --seeds 20 --out report/

        lstmlab reproduce --seeds 5 --epochs-scale 0.1 --experiments naive,timesteps --out /tmp/quick

        lstmlab reproduce --seeds 20 --cell gru --out report-gru/

        lstmlab reproduce --seeds 1000 --engine ray --address auto --out report-1000 --resume
    """
    seed_list = parse_seeds(seeds)
    from lstmlab.results.reproduction import plan
    from lstmlab.sweeps.engines import check_engine
    from lstmlab.sweeps.experiment_jobs import reproduce
    from lstmlab.sweeps.sweep import check_folder

    changes = {name: value for name, value in (("cell", cell), ("forget_bias", forget_bias)) if value is not None}
    configs = plan(experiments, epochs, epochs_scale, **changes)
    check_engine(engine, address)
    check_folder(out_dir, resume)  # every check before any training

    with reproduce_progress(len(configs)) as (already_done, on_start, on_progress, on_done):

        def planned(done: int, total: int) -> None:
            if resume:
                again = _("{done} of {total} jobs already done, running {rest}.")
                err.print(again.format(done=done, total=total, rest=total - done), markup=False)
            already_done(done)

        local = {} if engine == "ray" else {"on_start": on_start, "on_progress": on_progress}
        document = reproduce(
            configs, seed_list, out_dir, **local, engine=engine, address=address, resume=resume,
            on_plan=planned, on_done=on_done,
        )  # fmt: skip
    show(document, as_json)


@contextmanager
def reproduce_progress(experiments: int):
    """Two bars on stderr: experiments done (on any engine, counting those a resumed sweep had
    done), and the current one's epochs (when this process trains it). Yields the callbacks:
    already_done(n), on_start(index, config), on_progress(epoch, metrics), on_done(index)."""
    bar = _progress_bar("{task.description:>16}", "{task.fields[unit]}")
    with bar:
        overall = bar.add_task(_("experiments"), total=experiments, unit=_("done"))
        current = bar.add_task("", total=1, unit=_("epochs"), visible=False)

        def on_start(index, config):
            bar.reset(current, total=config.epochs, description=config.experiment, visible=True)

        yield (
            lambda done: bar.update(overall, completed=done),
            on_start,
            lambda done, metrics: bar.update(current, completed=done),
            lambda index: bar.advance(overall),
        )


# --- compare: every cell at every lag of a paper task --------------------------------------------


@app.command("compare")
def compare_cells(
    task: Annotated[
        str, typer.Argument(help=later("One of the 1997 paper's tasks: {tasks}.", tasks=", ".join(PAPER_TASKS)))
    ],
    cells: Annotated[
        str,
        typer.Option(help="Cells, comma-separated, at most 20; 'lstm:B' is an LSTM with forget bias B."),
    ] = "lstm,lstm:5,lstm-1997,gru,rnn",
    lags: Annotated[
        str | None, typer.Option(help="Lags, comma-separated, at most 50 (default: 10,20,50,100).", show_default=False)
    ] = None,
    seeds: Annotated[str, typer.Option(help="Seeds per cell and lag: a count N (1..N), a list or a range.")] = "10",
    budget: Annotated[
        int | None,
        typer.Option(
            help="Most training sequences per seed (default: ten times the paper's mean).", show_default=False
        ),
    ] = None,
    check_every: Annotated[
        int | None, typer.Option(help="Training sequences between checks (default: the task's).", show_default=False)
    ] = None,
    units: Annotated[
        int | None, typer.Option(help="Units of every cell, 1..4096 (default: 8).", show_default=False)
    ] = None,
    optimizer: Annotated[str | None, typer.Option(help="'adam' (default) or 'sgd'.", show_default=False)] = None,
    learning_rate: Annotated[
        float | None, typer.Option(help="Learning rate, above 0 up to 100 (default: 0.001).", show_default=False)
    ] = None,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Sweep and report folder: each finished job is kept in DIR/jobs/ at once; a previous report "
            "there is replaced whole when the sweep is done.",
        ),
    ] = Path("compare"),
    group: Annotated[
        int | None,
        typer.Option(
            min=1, help="Seeds per job, 1..100,000 (default: all of a cell and lag's seeds in one job).",
            show_default=False,
        ),
    ] = None,
    engine: EngineOption = "local",
    address: AddressOption = None,
    resume: ResumeOption = False,
    as_json: AsJson = False,
) -> None:
    """Every cell at every lag of one of the paper's tasks, over many seeds, and a report.

    Each (cell, lag) trains its seeds side by side until each solves the task or the budget
    runs out. Writes DIR/report.md, DIR/report.html (self-contained), DIR/results.json and
    DIR/figures/: the share of seeds that solved the task against the lag, a line per cell,
    and the median training sequences they needed, beside the paper's figure.

    Examples:

        lstmlab compare adding --lags 10,20,50,100 --seeds 10 --out compare-adding

        lstmlab compare long-lag --cells lstm,lstm:5,lstm-1997,gru,rnn --lags 10,50,100 --seeds 5

        lstmlab compare embedded-reber --cells lstm,gru --seeds 4 --budget 20000

        lstmlab compare adding --seeds 100 --group 10 --engine ray --address auto --out sweep-adding

        lstmlab compare adding --seeds 100 --group 10 --engine ray --address auto --out sweep-adding --resume
    """
    from lstmlab.results.comparison import parse_cells, parse_lags, plan_jobs
    from lstmlab.settings.paper import get_task
    from lstmlab.sweeps.engines import check_engine
    from lstmlab.sweeps.sweep import check_folder

    get_task(task)
    seed_list = parse_seeds(seeds)
    settings = dict(budget=budget, check_every=check_every, units=units, optimizer=optimizer)
    settings |= dict(learning_rate=learning_rate)
    if group is not None:
        check_count("--group", group, MAX_SEEDS)
    jobs = plan_jobs(task, parse_cells(cells), parse_lags(lags, task), seed_list, group, **settings)
    check_engine(engine, address)
    check_folder(out_dir, resume)  # every check before any training
    from lstmlab.sweeps.compare_jobs import compare

    bar = _progress_bar("{task.description}", _("jobs"))
    with bar:
        overall = bar.add_task(_("{task}: cells × lags").format(task=task), total=len(jobs))

        def planned(done: int, total: int) -> None:
            if resume:
                again = _("{done} of {total} jobs already done, running {rest}.")
                err.print(again.format(done=done, total=total, rest=total - done), markup=False)
            bar.update(overall, completed=done)

        document = compare(
            jobs, seed_list, out_dir, lambda _: bar.advance(overall),
            engine=engine, address=address, resume=resume, group=group, on_plan=planned,
        )
    show(document, as_json)


@app.command("gradients")
def gradients(
    task: Annotated[
        str, typer.Argument(help="A paper task answered at its last step: long-lag, adding, temporal-order.")
    ],
    cell: Annotated[
        str, typer.Option(help="Cells, comma-separated; 'lstm:B' is an LSTM with forget bias B.")
    ] = "lstm,rnn",
    seeds: Annotated[str, typer.Option(help="Seeds: a count N (1..N), a list or a range.")] = "5",
    lag: Annotated[int | None, typer.Option(help="The task's lag (default: 100).", show_default=False)] = None,
    budget: Annotated[
        int | None,
        typer.Option(
            help="Training sequences per seed before measuring (default: the paper's mean).", show_default=False
        ),
    ] = None,
    untrained: Annotated[bool, typer.Option("--untrained", help="Only the untrained models (no training).")] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Draw the gradients as a PNG here.", show_default=False)
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The vanishing gradient: how much of the last step's error reaches k steps back.

    For each distance k, the norm of the gradient of the last step's loss with respect to
    the hidden state (and the input) k steps earlier, averaged over held-out sequences;
    median and spread over seeds, for untrained models and for models trained on the task.

    Examples:

        lstmlab gradients adding --cell lstm,lstm:5,lstm-1997,gru,rnn --untrained --out gradients.png

        lstmlab gradients long-lag --cell lstm,rnn --seeds 5 --lag 50 --out long-lag.png --json
    """
    from lstmlab.render.heatmap import check_out_path, write_png
    from lstmlab.results.comparison import parse_cells
    from lstmlab.settings.paper import ANSWERED_AT_THE_END

    if task not in ANSWERED_AT_THE_END:
        raise ConfigError(
            _("gradients needs a task answered at its last step; choose one of: {tasks}").format(
                tasks=", ".join(ANSWERED_AT_THE_END)
            )
        )
    cells = parse_cells(cell)
    seed_list = parse_seeds(seeds)
    if out_file is not None:
        check_out_path(out_file)
    from lstmlab.engine import runtime
    from lstmlab.results.gradient_flow import measure

    runtime.start()
    document = measure(task, cells, seed_list, lag=lag, budget=budget, untrained_only=untrained)
    if out_file is not None:
        from lstmlab.render.figures import gradients_figure

        picture = gradients_figure(document)
        write_png(out_file, lambda file: file.write(picture))
        document = dataclasses.replace(document, figure=str(out_file))
    show(document, as_json)


# --- saved models: predict, generate, inspect ---------------------------------------------

ModelDir = Annotated[
    Path, typer.Argument(help="A model folder written by `lstmlab run … --save DIR`.", show_default=False)
]


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


# --- serve: the playground in the browser -----------------------------------------------


@app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; any but 127.0.0.1, ::1 or localhost lets other machines in.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8000,
    models_dir: Annotated[
        Path, typer.Option("--models", help="Folder of saved models: the page opens them and saves into it.")
    ] = Path("models"),
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in your web browser.")] = False,
) -> None:
    """The playground: train, watch it learn, type, and see the gates, in your browser.

    Serves a page and a JSON API (docs/api.md) until Ctrl-C; every number on the page is
    the document the other commands print with --json.

    Examples:

        lstmlab serve

        lstmlab serve --port 8080 --models models/ --open
    """
    if not 0 <= port <= 65535:
        raise ConfigError(_("port {port} is not allowed; give 1..65535, or 0 for any free port").format(port=port))
    if models_dir.exists() and not models_dir.is_dir():
        message = _("--models '{folder}' is a file; give a folder (it is made when a model is saved)")
        raise ConfigError(message.format(folder=models_dir))
    from lstmlab.server.main import serve as serve_playground

    say, warn = (lambda line: out.print(line, markup=False)), (lambda line: err.print(line, markup=False))
    serve_playground(host, port, models_dir, open_page, say=say, warn=warn)


# --- Keras files: a model trained in Keras in, an lstmlab model out to Keras ---------------


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


if __name__ == "__main__":  # python -m lstmlab.cli.app
    app()

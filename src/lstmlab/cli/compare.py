"""`lstmlab compare` and `lstmlab gradients`: every cell at every lag of a paper task; the gradient
k steps back."""

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from lstmlab.cli.console import err, show
from lstmlab.cli.group import (
    app,
)
from lstmlab.cli.options import (
    AddressOption,
    AsJson,
    EngineOption,
    ResumeOption,
)
from lstmlab.cli.progress import progress_bar
from lstmlab.errors import ConfigError
from lstmlab.i18n import _, later
from lstmlab.settings.config import check_count
from lstmlab.settings.paper import PAPER_TASKS
from lstmlab.settings.seeds import MAX_SEEDS, parse_seeds


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
            min=1,
            help="Seeds per job, 1..100,000 (default: all of a cell and lag's seeds in one job).",
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

    bar = progress_bar("{task.description}", _("jobs"))
    with bar:
        overall = bar.add_task(_("{task}: cells × lags").format(task=task), total=len(jobs))

        def planned(done: int, total: int) -> None:
            if resume:
                again = _("{done} of {total} jobs already done, running {rest}.")
                err.print(again.format(done=done, total=total, rest=total - done), markup=False)
            bar.update(overall, completed=done)

        document = compare(
            jobs,
            seed_list,
            out_dir,
            lambda _: bar.advance(overall),
            engine=engine,
            address=address,
            resume=resume,
            group=group,
            on_plan=planned,
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

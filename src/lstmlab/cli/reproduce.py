"""`lstmlab reproduce`: every experiment of the tutorial over many seeds, and a report."""

from pathlib import Path
from typing import Annotated

import typer

from lstmlab.cli.console import err, show
from lstmlab.cli.group import app
from lstmlab.cli.options import AddressOption, AsJson, CellOption, EngineOption, ForgetBiasOption, ResumeOption
from lstmlab.cli.progress import reproduce_progress
from lstmlab.i18n import _
from lstmlab.settings.seeds import parse_seeds


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

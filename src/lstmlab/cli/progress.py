"""Progress bars on stderr (shown only when it is a terminal): epochs, sequences, experiments."""

from contextlib import contextmanager

from lstmlab.cli.console import err
from lstmlab.i18n import _, ngettext


def progress_bar(label: str, fields: str):
    """A Rich progress bar on stderr, shown only when stderr is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn(fields), TimeElapsedColumn()]
    return Progress(*columns, console=err, disable=not err.is_terminal)


@contextmanager
def progress(epochs: int, description: str):
    """A Rich progress bar on stderr (when it is a terminal); yields the training callback."""
    import numpy as np

    bar = progress_bar(
        "{task.description}", _("epochs  loss {task.fields[loss]:.4f}  accuracy {task.fields[accuracy]:.4f}")
    )
    with bar:
        task = bar.add_task(description, total=epochs, loss=float("nan"), accuracy=0.0)

        def advance(done, metrics):
            loss, accuracy = (float(np.median(m[:, -1])) for m in (metrics.loss, metrics.accuracy))
            bar.update(task, completed=done, loss=loss, accuracy=accuracy)

        yield advance


@contextmanager
def task_progress(config, seeds: int):
    """A bar of training sequences per seed, with the seeds solved so far."""
    bar = progress_bar("{task.description}", _("sequences  solved {task.fields[solved]}"))
    with bar:
        label = ngettext("{task}: {n} seed", "{task}: {n} seeds", seeds).format(task=config.task, n=seeds)
        task = bar.add_task(label, total=config.budget, solved=0)
        yield lambda done, solved: bar.update(task, completed=done, solved=f"{int(solved.sum())}/{len(solved)}")


@contextmanager
def reproduce_progress(experiments: int):
    """Two bars on stderr: experiments done (on any engine, counting those a resumed sweep had
    done), and the current one's epochs (when this process trains it). Yields the callbacks:
    already_done(n), on_start(index, config), on_progress(epoch, metrics), on_done(index)."""
    bar = progress_bar("{task.description:>16}", "{task.fields[unit]}")
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

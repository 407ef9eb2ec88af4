"""The paper's tasks as terminal text: a task run, and the task list `lstmlab list` adds.

Like `render_text` (which dispatches here by document kind), nothing here computes: every
number comes from the document.
"""

from rich import box
from rich.table import Table

from lstmlab.i18n import _, ngettext, translate


def cell_label(settings: dict) -> str:
    """'lstm', 'lstm (forget bias 5)', 'gru', ..."""
    cell = settings["cell"]
    if cell == "lstm" and settings["forget_bias"] != 1.0:
        return _("lstm (forget bias {bias:g})").format(bias=settings["forget_bias"])
    return cell


def count(n: float | None) -> str:
    return "–" if n is None else f"{n:,.0f}"


def task_settings_line(settings: dict, check_every: int, heldout: int) -> str:
    lag = [] if settings["lag"] is None else [_("lag {value}").format(value=settings["lag"])]
    optimiser = f"{settings['optimizer']} lr {settings['learning_rate']:g}"
    parts = [
        *lag,
        _("cell {value}").format(value=cell_label(settings)),
        _("units {value}").format(value=settings["units"]),
    ]
    parts += [optimiser, _("batch {value}").format(value=settings["batch_size"])]
    if settings["recurrent_activation"] != "sigmoid":
        parts.append(settings["recurrent_activation"])
    budget = _("budget {budget:,} sequences, checked every {every:,} on {heldout:,} held out")
    parts.append(budget.format(budget=settings["budget"], every=check_every, heldout=heldout))
    return ", ".join(parts)


def outcome_line(outcome) -> str:
    line = _("Solved: {solved}/{seeds} seeds ({share:.0f}%)").format(
        solved=outcome.solved, seeds=outcome.seeds, share=outcome.solved_share * 100
    )
    if outcome.solved:
        line += _("; median {median} training sequences to solve (fastest {fastest}, slowest {slowest})").format(
            median=count(outcome.median_sequences),
            fastest=count(outcome.min_sequences),
            slowest=count(outcome.max_sequences),
        )
    return line


def task_run_lines(document) -> list:
    paper = document.paper
    out = [
        _("{task} (Exp. {experiment} of the 1997 LSTM paper): {summary}").format(
            task=document.task, experiment=paper.experiment, summary=translate(document.summary)
        ),
        task_settings_line(document.settings, document.check_every, document.heldout),
        _("Solved when: {criterion}.").format(criterion=translate(document.criterion)),
        outcome_line(document.outcome),
        _("The paper's LSTM: {result}.").format(result=translate(paper.result)),
    ]
    table = Table(box=box.SIMPLE_HEAD)
    for column, name in (("seed", _("seed")), ("solved", _("solved"))) + (
        ("sequences", _("sequences to solve")),
        ("wrong", _("held-out wrong")),
    ):
        table.add_column(name, justify="left" if column == "solved" else "right")
    for seed in document.seeds:
        wrong = f"{seed.heldout_wrong * 100:.1f}%"
        table.add_row(str(seed.seed), _("yes") if seed.solved else _("no"), count(seed.sequences), wrong)
    out.append(table)
    seen = sum(1 for _seed in document.seeds)
    out.append(_("Differs from the paper: {differences}").format(differences=translate(document.differences)))
    trained = ngettext(
        "Trained {n} seed in {seconds:.2f} s (compiling took {compiling:.2f} s)",
        "Trained {n} seeds in {seconds:.2f} s (compiling took {compiling:.2f} s)",
        seen,
    )
    out.append(trained.format(n=seen, seconds=document.train_seconds, compiling=document.compile_seconds))
    return out


def task_list_lines(tasks) -> list:
    table = Table(title=_("The 1997 LSTM paper's long-time-lag tasks (lstmlab run NAME)"))
    for column in (_("name"), _("paper"), _("what it learns"), _("solved when"), _("the paper's LSTM")):
        table.add_column(column)
    for t in tasks:
        lag = "" if t.settings["lag"] is None else "\n" + _("(lag {value})").format(value=t.settings["lag"])
        experiment = _("Exp. {experiment}").format(experiment=t.paper.experiment)
        table.add_row(t.name, experiment, translate(t.summary) + lag, translate(t.criterion), translate(t.paper.result))
    return [table]


TASK_RENDERERS = {"task-run": task_run_lines}


# --- compare ----------------------------------------------------------------------------------


def comparison_rows(document) -> list[tuple[str, ...]]:
    """The compare table, cell by cell and lag by lag, then the paper's row: plain strings."""
    rows = []
    for row in document.rows:
        o = row.outcome
        spread = f"{count(o.min_sequences)}–{count(o.max_sequences)}" if o.solved else "–"
        lag = "–" if row.lag is None else str(row.lag)
        rows.append((row.cell, lag, f"{o.solved}/{o.seeds}", count(o.median_sequences), spread, f"{row.seconds:.0f}"))
    paper = document.paper
    lag = "–" if document.lags == (None,) else "100"
    mean = _("{sequences} (mean)").format(sequences=f"{paper.sequences:,}")
    rows.append((_("the paper's LSTM"), lag, paper.solved, mean, "", ""))
    return rows


def reach_lines(document) -> list[str]:
    """In words, per cell: up to which lag at least half the seeds solved the task."""
    out = []
    for cell in document.cells:
        rows = [document.row(cell, lag) for lag in document.lags]
        if document.lags == (None,):
            o = rows[0].outcome
            out.append(
                _("- {cell}: {solved} of {seeds} seeds solved it").format(cell=cell, solved=o.solved, seeds=o.seeds)
            )
            continue
        learnt = [r.lag for r in rows if r.outcome.solved_share >= 0.5]
        failed = [r.lag for r in rows if r.outcome.solved_share < 0.5]
        if not learnt:
            out.append(_("- {cell}: fewer than half the seeds solved it at every lag tried").format(cell=cell))
        elif not failed:
            line = _("- {cell}: at least half the seeds solved it at every lag tried, up to {lag}")
            out.append(line.format(cell=cell, lag=learnt[-1]))
        else:
            line = _("- {cell}: at least half the seeds solved it at lag {learnt}; fewer at {failed}")
            out.append(line.format(cell=cell, learnt=", ".join(map(str, learnt)), failed=", ".join(map(str, failed))))
    return out


def comparison_lines(document) -> list:
    title = _("{task} over {n} seeds").format(task=document.task, n=len(document.seeds))
    table = Table(box=box.SIMPLE_HEAD, title=title)
    columns = (_("cell"), _("lag"), _("solved"), _("median sequences"), _("fastest–slowest"), _("seconds"))
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in comparison_rows(document):
        table.add_row(*row)
    page = f"{document.report_folder.rstrip('/')}/report.html"
    return [
        table,
        *reach_lines(document),
        _("Report: {page} (also report.md, results.json, figures/)").format(page=page),
    ]


TASK_RENDERERS["comparison"] = comparison_lines


# --- gradients ---------------------------------------------------------------------------------


def model_state(curve, seeds: int) -> str:
    """'trained (3/5 solved)' or 'untrained': which model a gradient curve measured."""
    if not curve.trained:
        return _("untrained")
    return _("trained ({solved}/{seeds} solved)").format(solved=curve.solved, seeds=seeds)


def distances_shown(steps: int) -> list[int]:
    return sorted({k for k in (0, 1, 10, 50, steps // 2, steps - 1) if 0 <= k < steps})


def gradients_lines(document) -> list:
    steps = len(document.curves[0].hidden.median)
    shown = distances_shown(steps)
    lag = ", " + _("lag {value}").format(value=document.lag) if document.lag is not None else ""
    title = _("{task}{lag}: |dL/dh| k steps before the last (median over {n} seeds)")
    table = Table(box=box.SIMPLE_HEAD, title=title.format(task=document.task, lag=lag, n=len(document.seeds)))
    table.add_column(_("cell"))
    table.add_column(_("model"))
    for k in shown:
        table.add_column(f"k={k}", justify="right")
    for curve in document.curves:
        state = model_state(curve, len(document.seeds))
        table.add_row(curve.cell, state, *(f"{curve.hidden.median[k]:.1e}" for k in shown))
    out = [
        table,
        _("Averaged over {sequences} held-out sequences per seed; trained for up to {budget:,} sequences.").format(
            sequences=document.sequences, budget=document.budget
        ),
    ]
    if document.figure is not None:
        out.append(_("Figure: {path}").format(path=document.figure))
    return out


TASK_RENDERERS["gradients"] = gradients_lines

"""The paper's tasks as terminal text: a task run, and the task list `lstmlab list` adds.

Like `render_text` (which dispatches here by document kind), nothing here computes: every
number comes from the document.
"""

from rich import box
from rich.table import Table


def cell_label(settings: dict) -> str:
    """'lstm', 'lstm (forget bias 5)', 'gru', ..."""
    cell = settings["cell"]
    if cell == "lstm" and settings["forget_bias"] != 1.0:
        return f"lstm (forget bias {settings['forget_bias']:g})"
    return cell


def count(n: float | None) -> str:
    return "–" if n is None else f"{n:,.0f}"


def task_settings_line(settings: dict, check_every: int, heldout: int) -> str:
    lag = [] if settings["lag"] is None else [f"lag {settings['lag']}"]
    optimiser = f"{settings['optimizer']} lr {settings['learning_rate']:g}"
    parts = [*lag, f"cell {cell_label(settings)}", f"units {settings['units']}", optimiser]
    parts.append(f"batch {settings['batch_size']}")
    if settings["recurrent_activation"] != "sigmoid":
        parts.append(settings["recurrent_activation"])
    parts.append(f"budget {settings['budget']:,} sequences, checked every {check_every:,} on {heldout:,} held out")
    return ", ".join(parts)


def outcome_line(outcome) -> str:
    line = f"Solved: {outcome.solved}/{outcome.seeds} seeds ({outcome.solved_share * 100:.0f}%)"
    if outcome.solved:
        line += (
            f"; median {count(outcome.median_sequences)} training sequences to solve "
            f"(fastest {count(outcome.min_sequences)}, slowest {count(outcome.max_sequences)})"
        )
    return line


def task_run_lines(document) -> list:
    paper = document.paper
    out = [
        f"{document.task} (Exp. {paper.experiment} of the 1997 LSTM paper): {document.summary}",
        task_settings_line(document.settings, document.check_every, document.heldout),
        f"Solved when: {document.criterion}.",
        outcome_line(document.outcome),
        f"The paper's LSTM: {paper.result}.",
    ]
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("seed", "solved", "sequences to solve", "held-out wrong"):
        table.add_column(column, justify="left" if column == "solved" else "right")
    for seed in document.seeds:
        wrong = f"{seed.heldout_wrong * 100:.1f}%"
        table.add_row(str(seed.seed), "yes" if seed.solved else "no", count(seed.sequences), wrong)
    out.append(table)
    seen = sum(1 for _ in document.seeds)
    out.append(f"Differs from the paper: {document.differences}")
    out.append(
        f"Trained {seen} seed{'s' if seen != 1 else ''} in {document.train_seconds:.2f} s "
        f"(compiling took {document.compile_seconds:.2f} s)"
    )
    return out


def task_list_lines(tasks) -> list:
    table = Table(title="The 1997 LSTM paper's long-time-lag tasks (lstmlab run NAME)")
    for column in ("name", "paper", "what it learns", "solved when", "the paper's LSTM"):
        table.add_column(column)
    for t in tasks:
        lag = "" if t.settings["lag"] is None else f"\n(lag {t.settings['lag']})"
        table.add_row(t.name, f"Exp. {t.paper.experiment}", t.summary + lag, t.criterion, t.paper.result)
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
    rows.append(("the paper's LSTM", lag, paper.solved, f"{paper.sequences:,} (mean)", "", ""))
    return rows


def reach_lines(document) -> list[str]:
    """In words, per cell: up to which lag at least half the seeds solved the task."""
    out = []
    for cell in document.cells:
        rows = [document.row(cell, lag) for lag in document.lags]
        if document.lags == (None,):
            o = rows[0].outcome
            out.append(f"- {cell}: {o.solved} of {o.seeds} seeds solved it")
            continue
        learnt = [r.lag for r in rows if r.outcome.solved_share >= 0.5]
        failed = [r.lag for r in rows if r.outcome.solved_share < 0.5]
        if not learnt:
            out.append(f"- {cell}: fewer than half the seeds solved it at every lag tried")
        elif not failed:
            out.append(f"- {cell}: at least half the seeds solved it at every lag tried, up to {learnt[-1]}")
        else:
            out.append(
                f"- {cell}: at least half the seeds solved it at lag {', '.join(map(str, learnt))}; "
                f"fewer at {', '.join(map(str, failed))}"
            )
    return out


def comparison_lines(document) -> list:
    table = Table(box=box.SIMPLE_HEAD, title=f"{document.task} over {len(document.seeds)} seeds")
    for column in ("cell", "lag", "solved", "median sequences", "fastest–slowest", "seconds"):
        table.add_column(column, justify="left" if column == "cell" else "right")
    for row in comparison_rows(document):
        table.add_row(*row)
    page = f"{document.report_folder.rstrip('/')}/report.html"
    return [table, *reach_lines(document), f"Report: {page} (also report.md, results.json, figures/)"]


TASK_RENDERERS["comparison"] = comparison_lines


# --- gradients ---------------------------------------------------------------------------------


def distances_shown(steps: int) -> list[int]:
    return sorted({k for k in (0, 1, 10, 50, steps // 2, steps - 1) if 0 <= k < steps})


def gradients_lines(document) -> list:
    steps = len(document.curves[0].hidden.median)
    shown = distances_shown(steps)
    lag = f", lag {document.lag}" if document.lag is not None else ""
    table = Table(
        box=box.SIMPLE_HEAD,
        title=f"{document.task}{lag}: |dL/dh| k steps before the last (median over {len(document.seeds)} seeds)",
    )
    table.add_column("cell")
    table.add_column("model")
    for k in shown:
        table.add_column(f"k={k}", justify="right")
    for curve in document.curves:
        state = f"trained ({curve.solved}/{len(document.seeds)} solved)" if curve.trained else "untrained"
        table.add_row(curve.cell, state, *(f"{curve.hidden.median[k]:.1e}" for k in shown))
    out = [table, f"Averaged over {document.sequences} held-out sequences per seed; trained for up to "
           f"{document.budget:,} sequences."]
    if document.figure is not None:
        out.append(f"Figure: {document.figure}")
    return out


TASK_RENDERERS["gradients"] = gradients_lines

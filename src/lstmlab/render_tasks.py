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

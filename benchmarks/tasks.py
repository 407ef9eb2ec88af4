"""Long-sequence throughput: training sequences per second on one of the paper's tasks, per cell.

    python benchmarks/tasks.py                          # adding, T = 100, every cell, 1 and 100 seeds
    python benchmarks/tasks.py --task long-lag --lag 1000 --seeds 1,10
    python benchmarks/tasks.py --cells lstm,gru --sequences 4000

Each (cell, seed count) trains `--sequences` sequences per seed with no chance to stop early
(the criterion is never checked before the end), online (one sequence per update) as
`lstmlab run TASK` does. Compilation is timed apart (a first run in a fresh cache); the
training figure is the best of --repeats. Prints a table; asserts nothing.
"""

import argparse
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="adding")
    parser.add_argument("--lag", type=int, default=100)
    parser.add_argument("--cells", default="lstm,lstm:5,lstm-1997,gru,rnn")
    parser.add_argument("--seeds", default="1,100", help="comma-separated seed counts")
    parser.add_argument("--sequences", type=int, default=2000, help="training sequences per seed")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("LSTMLAB_CACHE_DIR", tempfile.mkdtemp())  # compile times as a first run's

    from lstmlab.engine import runtime

    runtime.start()
    import jax
    from rich.console import Console
    from rich.table import Table

    from lstmlab.engine.tasks import make_task
    from lstmlab.engine.until_solved import train_until_solved
    from lstmlab.results.comparison import parse_cells
    from lstmlab.settings.config import load_task_config

    devices = jax.local_devices()
    table = Table(
        title=f"lstmlab tasks: {args.task}, lag {args.lag}, {args.sequences:,} sequences per seed, "
        f"{len(devices)} {devices[0].platform} devices, {os.cpu_count()} cores"
    )
    for column in ("cell", "seeds", "compile s", "train s", "sequences/s", "per seed", "time steps/s"):
        table.add_column(column, justify="right")
    for choice in parse_cells(args.cells):
        for count in (int(n) for n in args.seeds.split(",")):
            # One check, at the end: every seed trains all its sequences.
            settings = dict(cell=choice.cell, forget_bias=choice.forget_bias, budget=args.sequences)
            config = load_task_config(args.task, lag=args.lag, check_every=args.sequences, **settings)
            runs = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                runs.append(train_until_solved(config, range(1, count + 1)))
                runs[-1] = (runs[-1], time.perf_counter() - started)
            best = min(run.train_seconds for run, _ in runs)
            sequences = count * args.sequences
            steps = sequences * make_task(config).length  # the steps computed, padding included
            table.add_row(
                choice.label,
                f"{count:,}",
                f"{runs[0][0].compile_seconds:.1f}",
                f"{best:.2f}",
                f"{sequences / best:,.0f}",
                f"{args.sequences / best:,.0f}",
                f"{steps / best:,.0f}",
            )
    Console().print(table)


if __name__ == "__main__":
    main()

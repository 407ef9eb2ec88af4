"""Time every experiment at its tutorial settings: compile seconds, train seconds, steps/s.

    python benchmarks/bench.py                 # all experiments, one seed each
    python benchmarks/bench.py timesteps naive # some of them
    python benchmarks/bench.py --repeats 3     # best of three training runs

Compilation is timed with no persistent cache (a first run); training is timed on the
compiled program. Prints a table; asserts nothing.
"""

import argparse
import time

from rich.console import Console
from rich.table import Table

from lstmlab.engine.data import make_dataset
from lstmlab.engine.training import train
from lstmlab.settings.config import load_config, steps_per_epoch
from lstmlab.settings.experiments import EXPERIMENTS


def bench_experiment(name: str, repeats: int) -> dict:
    config = load_config(name)
    dataset = make_dataset(config)
    runs = [train(config, dataset.train) for _ in range(repeats)]
    best = min(runs, key=lambda r: r.train_seconds)
    steps = config.epochs * steps_per_epoch(config, len(dataset.train))
    return {
        "experiment": name,
        "epochs": config.epochs,
        "steps": steps,
        "compile_s": runs[0].compile_seconds,
        "train_s": best.train_seconds,
        "steps_per_s": steps / best.train_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiments", nargs="*", help=f"some of: {', '.join(EXPERIMENTS)} (default: all)")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    unknown = [name for name in args.experiments if name not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment {unknown[0]!r}; choose from: {', '.join(EXPERIMENTS)}")
    args.experiments = args.experiments or list(EXPERIMENTS)

    table = Table(title="lstmlab: one seed per experiment, tutorial settings")
    for column in ("experiment", "epochs", "steps", "compile s", "train s", "steps/s"):
        table.add_column(column, justify="right" if column != "experiment" else "left")
    started = time.perf_counter()
    for name in args.experiments:
        row = bench_experiment(name, args.repeats)
        table.add_row(
            row["experiment"],
            str(row["epochs"]),
            f"{row['steps']:,}",
            f"{row['compile_s']:.2f}",
            f"{row['train_s']:.3f}",
            f"{row['steps_per_s']:,.0f}",
        )
    Console().print(table)
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
